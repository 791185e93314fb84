"""An XLSX import is parsed once and its cells re-read from a CSV copy: row numbers (blank rows included),
cells holding the delimiter, quotes or line breaks, and numbers typed as numbers come out as openpyxl
read them."""

from __future__ import annotations

import io

from openpyxl import Workbook

from services.registry import imports
from tests.conftest import ClientFactory
from tests.registry_support import IMPORT_HEADER, VILLAGE, roster_row
from tests.support import finished_job, village_headers

VIL = village_headers(VILLAGE)


def _workbook(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_csv_copy_reads_as_the_sheet() -> None:
    columns = IMPORT_HEADER.split(",")
    tricky = {**roster_row(0), "name": 'Siti, "Ani"\nAminah'}
    content = _workbook(
        [columns, [tricky[c] for c in columns], [None] * len(columns), [roster_row(1)[c] for c in columns]]
    )
    copy = imports._sheet_as_csv(content)
    assert list(imports.iter_rows(copy, imports._SHEET_AS_CSV)) == list(imports.iter_rows(content, "xlsx"))


def test_xlsx_rows_keep_their_sheet_numbers_and_cells(service_client: ClientFactory) -> None:
    client = service_client("registry")
    columns = IMPORT_HEADER.split(",")
    good = {**roster_row(0), "name": 'Siti, "Ani" Aminah'}
    bad = {**roster_row(1), "occupation": "pilot"}
    numeric = [roster_row(2)[c] if c != "declared_income_idr" else 2_500_000 for c in columns]
    content = _workbook([columns, [good[c] for c in columns], [], [bad[c] for c in columns], numeric])
    response = client.post("/v1/worker-imports", files={"file": ("r.xlsx", content)}, headers=VIL)
    assert response.status_code == 202, response.text
    finished_job(client, response, VIL, "registry")
    import_id = response.json()["id"]
    result = client.get(f"/v1/worker-imports/{import_id}", headers=VIL).json()
    assert (result["total"], result["accepted"], result["rejected"]) == (3, 2, 1), result
    listed = client.get(f"/v1/worker-imports/{import_id}/rows", headers=VIL).json()["items"]
    # Row 3 of the sheet is blank: the bad row is row 4, the numeric one row 5.
    assert {r["row"]: r["result"] for r in listed} == {2: "accepted", 4: "rejected", 5: "accepted"}
    assert [e["field"] for e in next(r for r in listed if r["row"] == 4)["errors"]] == ["occupation"]
    workers = client.get("/v1/workers", params={"village_code": VILLAGE}, headers=VIL).json()["items"]
    assert sorted(w["name"] for w in workers) == sorted(['Siti, "Ani" Aminah', "Pekerja 2"])
    assert {w["declared_income_idr"] for w in workers if w["name"] == "Pekerja 2"} == {2_500_000}
