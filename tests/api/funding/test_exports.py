"""Funding exports: invoices with named lines, payments, the statement as CSV/XLSX, and who gets them."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from services.common.exports import XLSX_MEDIA_TYPE
from tests.api.funding.conftest import OTHER_VILLAGE, VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, active_agreement, bill
from tests.support import internal_headers, officer_headers, village_headers

VIL = village_headers(VILLAGE)
INTRUDER = village_headers(OTHER_VILLAGE, subject="key-other")
REPORTS = internal_headers(scopes=["reports:read"])
EVIL_NAME = '=HYPERLINK("http://x","y")'


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(response: Any) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX_MEDIA_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [[c for c in row] for row in sheet.iter_rows()]


@pytest.fixture
def billed(funding: TestClient, registry: FakeRegistry) -> dict[str, Any]:
    """Two villages billed for 2026-12; ours has two workers, one with a formula for a name, and a payment."""
    registry.add("w-own-1")
    registry.add("w-own-2")
    registry.workers["w-own-2"]["name"] = EVIL_NAME
    registry.add("w-other", village_code=OTHER_VILLAGE)
    active_agreement(funding, VILLAGE, ["w-own-1", "w-own-2"])
    active_agreement(funding, OTHER_VILLAGE, ["w-other"])
    bill(funding, "2026-12")
    invoices = funding.get("/v1/invoices", headers=ADMIN).json()["items"]
    own = next(i for i in invoices if i["village_code"] == VILLAGE)
    other = next(i for i in invoices if i["village_code"] == OTHER_VILLAGE)
    for invoice, headers, key, reference in (
        (own, VIL, "exp-pay-0001", "=cmd|' /C calc'!A0"),
        (other, INTRUDER, "exp-pay-0002", "OTHER-1"),
    ):
        paid = funding.post(
            "/v1/payments",
            json={
                "invoice_id": invoice["id"],
                "amount_idr": 1000,
                "paid_on": "2026-12-05",
                "method": "cash",
                "reference": reference,
            },
            headers={**headers, "Idempotency-Key": key},
        )
        assert paid.status_code == 201, paid.text
    registry.lookups.clear()
    return {"own": own, "other": other}


def test_invoice_export_has_named_lines_of_the_village_only(
    funding: TestClient, registry: FakeRegistry, billed: dict[str, Any]
) -> None:
    response = funding.get("/v1/invoices/export?format=csv", headers=VIL)
    rows = _csv(response)
    assert {r["village_code"] for r in rows} == {VILLAGE}
    assert {r["worker_id"] for r in rows} == {"w-own-1", "w-own-2"}
    assert {r["invoice_number"] for r in rows} == {billed["own"]["number"]}
    first = next(r for r in rows if r["worker_id"] == "w-own-1")
    assert first["worker_name"] == "Pekerja w-own-1"
    assert first["nik_masked"] == "3326**********01"
    assert first["period"] == "2026-12" and first["due_date"].count("-") == 2
    assert first["invoice_created_at"].endswith("+07:00")  # the village's zone (WIB)
    # Money is whole rupiah; the lines add up to the invoice.
    assert sum(int(r["amount_idr"]) - int(r["credited_idr"]) for r in rows) == billed["own"]["total_idr"]
    evil = next(r for r in rows if r["worker_id"] == "w-own-2")
    assert evil["worker_name"] == "'" + EVIL_NAME
    # One batch call to the registry for all names, never one per line.
    assert registry.lookups == [["w-own-1", "w-own-2"]]
    assert 'filename="sasar-invoices-33.26.15.2001-' in response.headers["content-disposition"]


def test_invoice_export_as_xlsx_writes_the_formula_as_text(
    funding: TestClient, billed: dict[str, Any]
) -> None:
    accept = {**VIL, "Accept": XLSX_MEDIA_TYPE}
    table = _xlsx(funding.get("/v1/invoices/export", headers=accept))
    header = [c.value for c in table[0]]
    name = header.index("worker_name")
    cells = [row[name] for row in table[1:]]
    evil = next(c for c in cells if "HYPERLINK" in str(c.value))
    assert evil.data_type == "s" and evil.value == "'" + EVIL_NAME
    amount = header.index("amount_idr")
    assert all(isinstance(row[amount].value, int) for row in table[1:])


def test_other_village_gets_nothing_of_ours(funding: TestClient, billed: dict[str, Any]) -> None:
    own = billed["own"]
    for path in ("/v1/invoices/export", "/v1/payments/export"):
        rows = _csv(funding.get(path, headers=INTRUDER))
        assert rows and {r["village_code"] for r in rows} == {OTHER_VILLAGE}, path
        # Asking for our village by filter still yields only what the key may see: nothing.
        assert _csv(funding.get(f"{path}?village_code={VILLAGE}", headers=INTRUDER)) == [], path
    assert _csv(funding.get(f"/v1/payments/export?invoice_id={own['id']}", headers=INTRUDER)) == []
    statement = funding.get(f"/v1/villages/{VILLAGE}/statement/export?fiscal_year=2026", headers=INTRUDER)
    assert statement.status_code == 404
    xlsx = funding.get(
        f"/v1/villages/{VILLAGE}/statement/export?fiscal_year=2026&format=xlsx", headers=INTRUDER
    )
    assert xlsx.status_code == 404


def test_officers_and_unscoped_clients_are_refused(funding: TestClient, billed: dict[str, Any]) -> None:
    for headers in (officer_headers("7", [VILLAGE]), internal_headers(scopes=["registry:read"])):
        for path in (
            "/v1/invoices/export",
            "/v1/payments/export",
            f"/v1/villages/{VILLAGE}/statement/export?fiscal_year=2026",
        ):
            assert funding.get(path, headers=headers).status_code == 403, path


def test_reports_reader_exports_every_village(funding: TestClient, billed: dict[str, Any]) -> None:
    rows = _csv(funding.get("/v1/invoices/export", headers=REPORTS))
    assert {r["village_code"] for r in rows} == {VILLAGE, OTHER_VILLAGE}
    filtered = _csv(funding.get(f"/v1/invoices/export?village_code={OTHER_VILLAGE}", headers=REPORTS))
    assert {r["worker_id"] for r in filtered} == {"w-other"}
    assert _csv(funding.get("/v1/invoices/export?period=2026-11", headers=REPORTS)) == []


def test_payment_export_neutralises_references(funding: TestClient, billed: dict[str, Any]) -> None:
    rows = _csv(funding.get("/v1/payments/export", headers=VIL))
    assert len(rows) == 1
    row = rows[0]
    assert row["reference"] == "'=cmd|' /C calc'!A0"
    assert (row["allocated_idr"], row["payment_amount_idr"]) == ("1000", "1000")
    assert row["paid_on"] == "2026-12-05"
    assert row["invoice_number"] == billed["own"]["number"]
    assert row["recorded_at"].endswith("+07:00")
    table = _xlsx(funding.get("/v1/payments/export?format=xlsx", headers=VIL))
    header = [c.value for c in table[0]]
    reference = table[1][header.index("reference")]
    assert reference.data_type == "s" and reference.value.startswith("'=")


def test_statement_export_has_twelve_months_and_a_total(funding: TestClient, billed: dict[str, Any]) -> None:
    path = f"/v1/villages/{VILLAGE}/statement/export?fiscal_year=2026"
    rows = _csv(funding.get(path, headers=VIL))
    json_statement = funding.get(f"/v1/villages/{VILLAGE}/statement?fiscal_year=2026", headers=VIL).json()
    assert [r["period"] for r in rows[:12]] == [f"2026-{m:02d}" for m in range(1, 13)]
    total = rows[12]
    assert total["period"] == "total 2026"
    assert int(total["invoiced_idr"]) == json_statement["invoiced_idr"]
    assert int(total["paid_idr"]) == json_statement["paid_idr"] == 1000
    assert int(total["budget_remaining_idr"]) == json_statement["budget_remaining_idr"]
    table = _xlsx(funding.get(path + "&format=xlsx", headers=VIL))
    assert len(table) == 14 and table[12][0].value == "2026-12"


def test_unacceptable_accept_is_406(funding: TestClient, billed: dict[str, Any]) -> None:
    response = funding.get("/v1/payments/export", headers={**VIL, "Accept": "application/json"})
    assert response.status_code == 406
    assert response.headers["content-type"].startswith("application/problem+json")


def test_one_sp2d_for_two_invoices_has_a_row_per_invoice_it_paid(
    funding: TestClient, registry: FakeRegistry
) -> None:
    active_agreement(funding, VILLAGE, [registry.add("w-sp2d")])
    bill(funding, "2026-11")
    bill(funding, "2026-12")
    listed = funding.get("/v1/invoices", headers=VIL).json()["items"]
    by_period = {i["period"]: i for i in listed}
    november, december = by_period["2026-11"], by_period["2026-12"]
    paid = funding.post(
        "/v1/payments",
        json={
            "invoice_ids": [december["id"], november["id"]],
            "amount_idr": 16_800 + 8_400,
            "paid_on": "2026-12-05",
            "method": "bank_transfer",
            "reference": "SP2D/EXPORT/1",
        },
        headers={**VIL, "Idempotency-Key": "exp-pay-multi-1"},
    )
    assert paid.status_code == 201, paid.text
    rows = _csv(funding.get("/v1/payments/export", headers=VIL))
    assert [(r["invoice_number"], r["allocated_idr"], r["payment_amount_idr"]) for r in rows] == [
        (november["number"], "16800", "25200"),
        (december["number"], "8400", "25200"),
    ]
    assert sum(int(r["allocated_idr"]) for r in rows) == paid.json()["amount_idr"]
    # Filtering by the newer invoice finds the payment too: it paid part of it.
    only_december = _csv(funding.get(f"/v1/payments/export?invoice_id={december['id']}", headers=VIL))
    assert [(r["payment_id"], r["allocated_idr"]) for r in only_december] == [
        (str(paid.json()["id"]), "8400")
    ]
