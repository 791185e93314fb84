"""Registry downloads: the workers export (tenancy, masking, formula safety), the import template, OpenSID
imports and the batch look-up funding uses for invoice lines."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from services.common.exports import XLSX_MEDIA_TYPE
from services.registry import imports
from tests.conftest import ClientFactory
from tests.registry_support import NIK_WOMAN, OTHER_VILLAGE, VILLAGE, nik_for, worker_body
from tests.support import finished_job, internal_headers, officer_headers, village_headers

VIL = village_headers(VILLAGE)
OTHER = village_headers(OTHER_VILLAGE, subject="key-other")
READER = internal_headers(scopes=["registry:read"])
EVIL_NAME = '=HYPERLINK("http://x","y")'


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _sheet(response: Any) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX_MEDIA_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows()]


def _register(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/workers", json=worker_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _import(client: TestClient, content: bytes, name: str = "penduduk.csv") -> dict[str, Any]:
    response = client.post("/v1/worker-imports", files={"file": (name, content)}, headers=VIL)
    assert response.status_code == 202, response.text
    job = finished_job(client, response, VIL, "registry")
    assert job["status"] == "succeeded", job
    result: dict[str, Any] = client.get(f"/v1/worker-imports/{response.json()['id']}", headers=VIL).json()
    return result


def _import_rows(client: TestClient, import_id: str) -> list[dict[str, Any]]:
    page = client.get(f"/v1/worker-imports/{import_id}/rows?limit=500", headers=VIL).json()
    items: list[dict[str, Any]] = page["items"]
    return items


# --- workers export --------------------------------------------------------------------------------


def test_each_caller_exports_only_its_villages(service_client: ClientFactory) -> None:
    client = service_client("registry")
    own = _register(client, VIL)
    other = _register(client, OTHER, nik=nik_for(7), name="Budi Other", village_code=OTHER_VILLAGE)

    rows = _csv(client.get("/v1/workers/export", headers=VIL))
    assert [r["id"] for r in rows] == [own["id"]]
    # Filtering on another village does not widen what the key sees.
    assert _csv(client.get(f"/v1/workers/export?village_code={OTHER_VILLAGE}", headers=VIL)) == []
    assert [r["id"] for r in _csv(client.get("/v1/workers/export", headers=OTHER))] == [other["id"]]
    table = _sheet(client.get("/v1/workers/export?format=xlsx", headers=OTHER))
    assert [row[0].value for row in table[1:]] == [other["id"]]

    officer = officer_headers("off-1", [OTHER_VILLAGE])
    assert [r["id"] for r in _csv(client.get("/v1/workers/export", headers=officer))] == [other["id"]]
    unassigned = officer_headers("off-2", ["33.26.15.2003"])
    assert _csv(client.get("/v1/workers/export", headers=unassigned)) == []

    everyone = _csv(client.get("/v1/workers/export", headers=READER))
    assert {r["id"] for r in everyone} == {own["id"], other["id"]}
    assert (
        client.get("/v1/workers/export", headers=internal_headers(scopes=["reports:read"])).status_code == 403
    )


def test_export_masks_the_nik_and_uses_the_village_zone(service_client: ClientFactory) -> None:
    client = service_client("registry")
    _register(client, VIL)
    response = client.get("/v1/workers/export", headers=VIL)
    (row,) = _csv(response)
    assert row["nik_masked"] == NIK_WOMAN[:4] + "*" * 10 + NIK_WOMAN[-2:]
    assert NIK_WOMAN.encode() not in response.content
    assert row["birth_date"] == "1990-07-01"
    assert row["created_at"].endswith("+07:00")
    assert row["declared_income_idr"] == "1500000" and row["programs"] == "JKK;JKM"
    assert row["phone"] == "'+6281234567890"  # a leading + is a formula trigger too
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="sasar-workers-33.26.15.2001-')
    assert disposition.endswith('.csv"')
    table = _sheet(client.get("/v1/workers/export", headers={**VIL, "Accept": XLSX_MEDIA_TYPE}))
    header = [c.value for c in table[0]]
    assert header[1] == "nik_masked" and table[1][1].value == row["nik_masked"]
    assert table[1][header.index("declared_income_idr")].value == 1_500_000


def test_export_keeps_the_list_filters(service_client: ClientFactory) -> None:
    client = service_client("registry")
    siti = _register(client, VIL)
    _register(client, VIL, nik=nik_for(8), name="Budi Santoso")
    by_name = _csv(client.get("/v1/workers/export?q=siti", headers=VIL))
    assert [r["id"] for r in by_name] == [siti["id"]]
    assert _csv(client.get("/v1/workers/export?status=active", headers=VIL)) == []
    unknown = client.get("/v1/workers/export?village_code=zz/../x", headers=READER)
    assert _csv(unknown) == [] and 'filename="sasar-workers-zz-.-x-' in unknown.headers["content-disposition"]
    assert client.get("/v1/workers/export?format=pdf", headers=VIL).status_code == 422
    refused = client.get("/v1/workers/export", headers={**VIL, "Accept": "application/json"})
    assert refused.status_code == 406


def test_a_formula_name_imported_comes_out_neutralised(service_client: ClientFactory) -> None:
    client = service_client("registry")
    content = (
        "nik,name,village_code,occupation,declared_income_idr,programs\n"
        f'{NIK_WOMAN},"{EVIL_NAME.replace(chr(34), chr(34) * 2)}",{VILLAGE},petani,1500000,JKK;JKM\n'
    ).encode()
    result = _import(client, content, "roster.csv")
    assert result["accepted"] == 1, _import_rows(client, result["id"])
    # Stored as given (it is a name, not a formula, to Sasar) ...
    listed = client.get("/v1/workers", headers=VIL).json()["items"]
    assert [w["name"] for w in listed] == [EVIL_NAME]
    # ... and never handed to a spreadsheet as a formula.
    (row,) = _csv(client.get("/v1/workers/export?format=csv", headers=VIL))
    assert row["name"] == "'" + EVIL_NAME
    table = _sheet(client.get("/v1/workers/export?format=xlsx", headers=VIL))
    name = table[1][[c.value for c in table[0]].index("name")]
    assert name.data_type == "s" and name.value == "'" + EVIL_NAME


def test_an_export_imports_back(service_client: ClientFactory) -> None:
    """The ``'`` added against formulas is taken off again on import (a phone +62… stays valid)."""
    client = service_client("registry")
    _register(client, VIL, temporary=True, nik=None, sex="M", birth_date="1980-05-17", name="Budi")
    exported = client.get("/v1/workers/export", headers=VIL).content.decode("utf-8-sig")
    assert "'+62" in exported
    rows = list(csv.DictReader(io.StringIO(exported)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["temporary", "name", "birth_date", "sex", "phone", "occupation", "declared_income_idr", "programs"]
    )
    for r in rows:
        writer.writerow(
            [
                "true",
                r["name"] + " Kedua",
                r["birth_date"],
                r["sex"],
                r["phone"],
                r["occupation"],
                r["declared_income_idr"],
                r["programs"],
            ]
        )
    result = _import(client, out.getvalue().encode(), "again.csv")
    assert result["accepted"] == 1, _import_rows(client, result["id"])


# --- import template -------------------------------------------------------------------------------


def test_template_has_the_import_columns_and_imports_cleanly(service_client: ClientFactory) -> None:
    client = service_client("registry")
    response = client.get("/v1/worker-imports/template?format=csv", headers=VIL)
    rows = _csv(response)
    assert tuple(rows[0].keys()) == imports.COLUMNS
    assert len(rows) == 1 and rows[0]["nik"] == NIK_WOMAN
    assert 'filename="sasar-worker-import.csv"' in response.headers["content-disposition"]
    assert _import(client, response.content, "template.csv")["accepted"] == 1

    table = _sheet(client.get("/v1/worker-imports/template?format=xlsx", headers=VIL))
    assert tuple(c.value for c in table[0]) == imports.COLUMNS
    nik = table[1][0]
    assert nik.data_type == "s" and nik.value == NIK_WOMAN  # text, so Excel keeps all 16 digits
    assert client.get("/v1/worker-imports/template", headers={}).status_code == 401


def test_template_xlsx_imports_too(service_client: ClientFactory) -> None:
    client = service_client("registry")
    content = client.get("/v1/worker-imports/template?format=xlsx", headers=VIL).content
    assert _import(client, content, "template.xlsx")["accepted"] == 1


# --- OpenSID ---------------------------------------------------------------------------------------

OPENSID_HEADER = (
    "alamat,dusun,rt,rw,nama,no_kk,nik,sex,tempatlahir,tanggallahir,agama_id,pekerjaan,declared_income_idr"
)


def _opensid_row(name: str, nik: str, sex: str, born: str, job: str, income: str = "1000000") -> str:
    """One resident as OpenSID exports them (address, family card and religion are ignored by Sasar)."""
    return f"Jl. Mawar,Dusun I,001,002,{name},3326150101000001,{nik},{sex},Pemalang,{born},1,{job},{income}"


def test_an_opensid_export_imports(service_client: ClientFactory) -> None:
    client = service_client("registry")
    lines = [
        OPENSID_HEADER,
        _opensid_row("SITI AMINAH", NIK_WOMAN, "2", "1990-07-01", "PETANI/PEKEBUN", "1500000"),
        _opensid_row("BUDI SANTOSO", nik_for(11), "1", "12-03-1985", "Nelayan / Perikanan", "2000000"),
        _opensid_row("AGUS", nik_for(12), "1", "1985-03-12", "19"),
        _opensid_row("DEWI", nik_for(13, woman=True), "2", "1985-03-12", "TUKANG OJEK"),
        _opensid_row("ANI", nik_for(14, woman=True), "2", "1985-03-12", "PELAJAR/MAHASISWA"),
        _opensid_row("TONO", nik_for(15), "1", "1985-03-12", "5"),
    ]
    result = _import(client, ("\n".join(lines) + "\n").encode())
    assert (result["total"], result["accepted"], result["rejected"]) == (6, 4, 2), _import_rows(
        client, result["id"]
    )
    rows = {r["row"]: r for r in _import_rows(client, result["id"])}
    for number in (6, 7):  # a pupil and a civil servant (code 5) are not informal workers
        assert rows[number]["result"] == "rejected"
        assert [e["field"] for e in rows[number]["errors"]] == ["occupation"]
        assert "has no Sasar equivalent" in rows[number]["errors"][0]["reason"]
    workers = {w["name"]: w for w in client.get("/v1/workers", headers=VIL).json()["items"]}
    assert workers["SITI AMINAH"]["occupation"] == "petani" and workers["SITI AMINAH"]["sex"] == "F"
    assert workers["BUDI SANTOSO"]["occupation"] == "nelayan"
    assert workers["BUDI SANTOSO"]["birth_date"] == "1985-03-12"
    assert workers["AGUS"]["occupation"] == "buruh_harian"
    assert workers["DEWI"]["occupation"] == "ojol"
    assert all(w["programs"] == ["JKK", "JKM"] for w in workers.values())  # the documented default
    assert all(w["village_code"] == VILLAGE for w in workers.values())


def test_an_opensid_export_without_income_is_refused_as_a_file(service_client: ClientFactory) -> None:
    client = service_client("registry")
    content = f"nik,nama,sex,tanggallahir,pekerjaan\n{NIK_WOMAN},SITI,2,1990-07-01,PETANI/PEKEBUN\n".encode()
    response = client.post("/v1/worker-imports", files={"file": ("p.csv", content)}, headers=VIL)
    job = finished_job(client, response, VIL, "registry")
    assert job["status"] == "failed"
    assert "declared_income_idr" in job["error"]["detail"]


# --- batch look-up ---------------------------------------------------------------------------------


def test_lookup_answers_only_visible_workers(service_client: ClientFactory) -> None:
    client = service_client("registry")
    own = _register(client, VIL)
    other = _register(client, OTHER, nik=nik_for(7), name="Budi Other", village_code=OTHER_VILLAGE)
    ids = {"ids": [own["id"], other["id"], "missing"]}
    mine = client.post("/v1/workers/lookup", json=ids, headers=VIL)
    assert mine.status_code == 200, mine.text
    assert mine.json()["items"] == [
        {
            "id": own["id"],
            "name": "Siti Aminah",
            "nik_masked": "3326**********01",
            "temporary_id": None,
            "village_code": VILLAGE,
        }
    ]
    both = client.post("/v1/workers/lookup", json=ids, headers=READER).json()["items"]
    assert {w["id"] for w in both} == {own["id"], other["id"]}
    too_many = client.post("/v1/workers/lookup", json={"ids": ["x"] * 1001}, headers=READER)
    assert too_many.status_code == 422
