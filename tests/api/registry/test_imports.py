"""Bulk imports: mixed good and bad rows, duplicates, idempotency, XLSX, bad files, tenancy."""

from __future__ import annotations

import io
import os
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from services.registry import import_limits
from tests.conftest import ClientFactory
from tests.registry_support import (
    BAD_ROWS,
    IMPORT_HEADER,
    OTHER_VILLAGE,
    VILLAGE,
    roster_csv,
    roster_row,
    worker_body,
)
from tests.support import finished_job, internal_headers, officer_headers, run_jobs, village_headers

VIL = village_headers(VILLAGE)
OTHER = village_headers(OTHER_VILLAGE, subject="key-other")


def _upload(
    client: TestClient, content: bytes, headers: dict[str, str] | None = None, name: str = "roster.csv"
) -> dict[str, Any]:
    response = client.post("/v1/worker-imports", files={"file": (name, content)}, headers=headers or VIL)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert set(accepted) == {"id", "status", "job_id"} and accepted["status"] == "queued"
    assert response.headers["Location"] == f"/v1/jobs/{accepted['job_id']}"
    # The import runs in the job worker: here the test runs the queued jobs, then reads the job.
    job = finished_job(client, response, headers or VIL, "registry")
    assert job["id"] == accepted["job_id"] and job["kind"] == "registry.import"
    status = client.get(f"/v1/worker-imports/{accepted['id']}", headers=headers or VIL)
    assert status.status_code == 200, status.text
    body: dict[str, Any] = status.json()
    assert job["status"] == ("succeeded" if body["status"] == "completed" else "failed")
    if body["status"] == "completed":
        assert job["result"]["accepted"] == body["accepted"] and job["result"]["total"] == body["total"]
        assert job["progress"] == {"done": body["total"], "total": body["total"]}
    return body


def _rows(client: TestClient, import_id: str, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 500, **params, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/worker-imports/{import_id}/rows", params=query, headers=headers).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_ten_thousand_rows_with_a_hundred_bad(service_client: ClientFactory) -> None:
    client = service_client("registry")
    rows = [roster_row(i) for i in range(10_000)]
    expected: dict[int, str] = {}
    for n in range(100):
        index = n * 100 + 7
        cells, field = BAD_ROWS[n % len(BAD_ROWS)]
        rows[index].update(cells)
        expected[index + 2] = field  # row 1 is the header
    result = _upload(client, roster_csv(rows))
    assert result["status"] == "completed", result
    assert (result["total"], result["accepted"], result["rejected"]) == (10_000, 9_900, 100)
    rejected = _rows(client, result["id"], VIL, result="rejected")
    assert len(rejected) == 100
    for item in rejected:
        assert item["result"] == "rejected" and item["worker_id"] is None
        fields = {e["field"] for e in item["errors"]}
        assert expected[item["row"]] in fields, item
        assert all(e["reason"] for e in item["errors"])
    assert {item["row"] for item in rejected} == set(expected)
    accepted = _rows(client, result["id"], VIL, result="accepted")
    assert len(accepted) == 9_900
    sample = client.get(f"/v1/workers/{accepted[0]['worker_id']}", headers=VIL).json()
    assert sample["name"] == "Pekerja 0" and sample["programs"] == ["JKK", "JKM"]
    history = client.get(f"/v1/workers/{sample['id']}/history", headers=VIL).json()["items"]
    assert [h["field"] for h in history] == ["*"]


def test_duplicates_in_file_and_existing(service_client: ClientFactory) -> None:
    client = service_client("registry")
    existing = client.post("/v1/workers", json=worker_body(nik=roster_row(1)["nik"]), headers=VIL).json()
    hidden = client.post(
        "/v1/workers", json=worker_body(nik=roster_row(2)["nik"], village_code=OTHER_VILLAGE), headers=OTHER
    ).json()
    rows = [roster_row(0), roster_row(1), roster_row(2), roster_row(0, name="Again"), roster_row(3)]
    result = _upload(client, roster_csv(rows))
    assert result["accepted"] == 2 and result["duplicate_existing"] == 2 and result["duplicate_in_file"] == 1
    by_row = {r["row"]: r for r in _rows(client, result["id"], VIL)}
    assert by_row[3]["result"] == "duplicate_existing" and by_row[3]["worker_id"] == existing["id"]
    # The holder lives in another village: reported as a duplicate without revealing its id.
    assert by_row[4]["result"] == "duplicate_existing" and by_row[4]["worker_id"] is None
    assert hidden["id"] not in str(by_row)
    assert by_row[5]["result"] == "duplicate_in_file"
    assert "row 2" in by_row[5]["errors"][0]["reason"]


def test_same_file_same_key_is_not_imported_twice(service_client: ClientFactory) -> None:
    client = service_client("registry")
    content = roster_csv([roster_row(i) for i in range(20)])
    headers = {**VIL, "Idempotency-Key": "roster-2026-11-a"}
    first = client.post("/v1/worker-imports", files={"file": ("r.csv", content)}, headers=headers)
    second = client.post("/v1/worker-imports", files={"file": ("r.csv", content)}, headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert second.headers["Location"] == f"/v1/jobs/{first.json()['job_id']}"
    assert run_jobs(client, "registry") == 1
    workers = client.get("/v1/workers", params={"limit": 500}, headers=VIL).json()["items"]
    assert len(workers) == 20
    changed = roster_csv([roster_row(i) for i in range(21)])
    assert (
        client.post("/v1/worker-imports", files={"file": ("r.csv", changed)}, headers=headers).status_code
        == 422
    )
    # Without the key the same file is a new import whose rows are all duplicates of existing workers.
    again = _upload(client, content)
    assert again["accepted"] == 0 and again["duplicate_existing"] == 20


def test_village_key_imports_only_into_its_village(service_client: ClientFactory) -> None:
    client = service_client("registry")
    rows = [roster_row(0), roster_row(1, village=OTHER_VILLAGE), roster_row(2, village="")]
    result = _upload(client, roster_csv(rows))
    assert result["accepted"] == 2 and result["rejected"] == 1
    rejected = _rows(client, result["id"], VIL, result="rejected")
    assert rejected[0]["row"] == 3
    assert rejected[0]["errors"] == [
        {"field": "village_code", "reason": "outside the villages you may import into"}
    ]
    assert client.get("/v1/workers", headers=OTHER).json()["items"] == []
    # An internal writer must name the village on every row.
    internal = _upload(client, roster_csv([roster_row(5, village="")]), internal_headers(["registry:write"]))
    assert internal["rejected"] == 1


def test_import_tenancy(service_client: ClientFactory) -> None:
    client = service_client("registry")
    result = _upload(client, roster_csv([roster_row(0)]))
    path = f"/v1/worker-imports/{result['id']}"
    assert client.get(path, headers=OTHER).status_code == 404
    assert client.get(f"{path}/rows", headers=OTHER).status_code == 404
    assert client.get(path, headers=internal_headers(["registry:read"])).status_code == 200
    assert client.get(path, headers=internal_headers(["funding:admin"])).status_code == 403
    assert client.get(path, headers=village_headers(VILLAGE, subject="another-key")).status_code == 200
    read_only = internal_headers(["registry:read"])
    response = client.post("/v1/worker-imports", files={"file": ("r.csv", b"x")}, headers=read_only)
    assert response.status_code == 403
    assert client.get("/v1/worker-imports/nope", headers=VIL).status_code == 404
    # Officers import only into their assigned villages and see only their own or their villages' imports.
    officer = officer_headers("31", [OTHER_VILLAGE])
    assert client.get(path, headers=officer).status_code == 404
    mixed = _upload(client, roster_csv([roster_row(7, village=OTHER_VILLAGE), roster_row(8)]), officer)
    assert (mixed["accepted"], mixed["rejected"]) == (1, 1)
    mine = client.get("/v1/workers", headers=officer).json()["items"]
    assert [w["officer_id"] for w in mine] == ["31"]


def test_xlsx_import_with_temporary_rows(service_client: ClientFactory) -> None:
    client = service_client("registry")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    columns = IMPORT_HEADER.split(",")
    sheet.append(columns)
    good = roster_row(0)
    sheet.append([good[c] if c != "declared_income_idr" else 2_500_000 for c in columns])
    temp = roster_row(1, nik="", temporary="true", sex="F", name="Wati")
    sheet.append(
        [temp[c] for c in columns[:3]]
        + [__import__("datetime").date(1979, 2, 3)]
        + [temp[c] for c in columns[4:]]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = _upload(client, buffer.getvalue(), name="roster.xlsx")
    assert result["status"] == "completed" and result["file_format"] == "xlsx"
    assert result["accepted"] == 2, _rows(client, result["id"], VIL)
    temporary = client.get("/v1/workers", params={"temporary": "true"}, headers=VIL).json()["items"]
    assert len(temporary) == 1 and temporary[0]["birth_date"] == "1979-02-03"
    assert temporary[0]["temporary_id"].startswith("TMP-")


def test_bad_files_fail_with_a_clear_status(service_client: ClientFactory) -> None:
    client = service_client("registry")
    missing = _upload(client, b"nik,name\n3326154107900001,Siti\n")
    assert missing["status"] == "failed" and "missing column" in missing["error"]
    unknown = _upload(client, roster_csv([]).replace(b"funding", b"shoe_size"))
    assert unknown["status"] == "failed" and "shoe_size" in unknown["error"]
    binary = _upload(client, b"\xff\xfe\x00garbage\x00\xff")
    assert binary["status"] == "failed" and "UTF-8" in binary["error"]
    broken_xlsx = _upload(client, b"PK\x03\x04 not really a zip", name="r.xlsx")
    assert broken_xlsx["status"] == "failed" and "XLSX" in broken_xlsx["error"]
    empty = client.post("/v1/worker-imports", files={"file": ("r.csv", b"")}, headers=VIL)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "file"
    assert client.get("/v1/workers", headers=VIL).json()["items"] == []


def test_semicolon_csv_and_misaligned_rows(service_client: ClientFactory) -> None:
    client = service_client("registry")
    good = roster_row(0, programs="JKK|JKM")
    columns = IMPORT_HEADER.split(",")
    lines = [";".join(columns), ";".join(good[c] for c in columns)]
    lines.append(";".join(roster_row(1, programs="JKK,JKM")[c] for c in columns) + ";extra;cells")
    result = _upload(client, ("\n".join(lines) + "\n").encode())
    assert result["accepted"] == 1 and result["rejected"] == 1
    rejected = _rows(client, result["id"], VIL, result="rejected")
    assert rejected[0]["errors"][0]["field"] == "row"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_xlsx_that_expands_too_much_is_a_413_before_parsing(
    service_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = service_client("registry")
    # A shared-strings bomb: a few KB that inflate a thousandfold.
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/sharedStrings.xml": b"<sst>" + b"a" * 8_000_000})
    assert len(bomb) < 50_000
    refused = client.post("/v1/worker-imports", files={"file": ("r.xlsx", bomb)}, headers=VIL)
    assert refused.status_code == 413, refused.text
    assert refused.json()["errors"][0]["field"] == "file"
    # Many members that each compress normally but add up past the total.
    monkeypatch.setattr(import_limits, "MAX_UNCOMPRESSED_BYTES", 100_000)
    plain = _zip({f"xl/worksheets/sheet{i}.xml": os.urandom(25_000) for i in range(5)})
    too_big = client.post("/v1/worker-imports", files={"file": ("r.xlsx", plain)}, headers=VIL)
    assert too_big.status_code == 413, too_big.text
    assert "expands to" in too_big.json()["detail"]


def test_blank_rows_count_towards_the_row_limit(service_client: ClientFactory) -> None:
    client = service_client("registry")
    content = roster_csv([roster_row(1)]) + b"\n" * (import_limits.MAX_PHYSICAL_ROWS + 10)
    assert len(content) < 200_000
    failed = _upload(client, content)
    assert failed["status"] == "failed"
    assert "blank rows included" in failed["error"]
    assert client.get("/v1/workers", headers=VIL).json()["items"] == []
