"""The printable invoice: a self-contained Indonesian A4 page, escaped, for the invoice's own village only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from services.funding.terbilang import rupiah_in_words
from tests.api.funding.conftest import OTHER_VILLAGE, VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, active_agreement, bill
from tests.support import internal_headers, officer_headers, village_headers

VIL = village_headers(VILLAGE)
INTRUDER = village_headers(OTHER_VILLAGE, subject="key-other")
REPORTS = internal_headers(scopes=["reports:read"])
EVIL_NAME = '<script>alert("x")</script> & <b>Co</b>'
EVIL_REFERENCE = "SP2D/<img src=x onerror=alert(1)>/001"


class Page(HTMLParser):
    """The tags and the visible text of a page (what a browser would build, minus layout)."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self.feed(markup)
        self.close()
        self.text = " ".join(" ".join(self.chunks).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


@pytest.fixture
def billed(funding: TestClient, registry: FakeRegistry) -> dict[str, Any]:
    """December 2026 billed for two villages; ours has two workers (one named with markup) and a payment."""
    registry.add("w-print-1")
    registry.add("w-print-2")
    registry.workers["w-print-2"]["name"] = EVIL_NAME
    registry.add("w-print-other", village_code=OTHER_VILLAGE)
    active_agreement(funding, VILLAGE, ["w-print-1", "w-print-2"])
    active_agreement(funding, OTHER_VILLAGE, ["w-print-other"])
    bill(funding, "2026-12")
    invoices = funding.get("/v1/invoices?period=2026-12", headers=ADMIN).json()["items"]
    own = next(i for i in invoices if i["village_code"] == VILLAGE)
    other = next(i for i in invoices if i["village_code"] == OTHER_VILLAGE)
    paid = funding.post(
        "/v1/payments",
        json={
            "invoice_id": own["id"],
            "amount_idr": 10_000,
            "paid_on": "2026-12-05",
            "method": "bank_transfer",
            "reference": EVIL_REFERENCE,
        },
        headers={**VIL, "Idempotency-Key": "print-pay-0001"},
    )
    assert paid.status_code == 201, paid.text
    registry.lookups.clear()
    own = funding.get(f"/v1/invoices/{own['id']}", headers=VIL).json()
    return {"own": own, "other": other}


def printable(funding: TestClient, invoice_id: int, headers: dict[str, str]) -> Any:
    return funding.get(f"/v1/invoices/{invoice_id}/printable", headers=headers)


def test_page_holds_the_invoice_in_indonesian(
    funding: TestClient, registry: FakeRegistry, billed: dict[str, Any]
) -> None:
    own = billed["own"]
    response = printable(funding, own["id"], VIL)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = Page(response.text)
    assert "TAGIHAN IURAN" in page.text and "BPJS Ketenagakerjaan" in page.text
    assert own["number"] in page.text and f"Wuled ({VILLAGE})" in page.text
    assert "Periode Desember 2026" in page.text
    assert "Jatuh tempo 15 Desember 2026" in page.text
    assert "Perkades No. 7 Tahun 2026" in page.text and "Dana Desa" in page.text
    # Two workers, each with both programs: 2 x Rp16.800 = Rp33.600 (village-funded: no discount).
    assert own["total_idr"] == 33_600 and own["paid_idr"] == 10_000 and own["outstanding_idr"] == 23_600
    assert "Pekerja w-print-1 3326**********01 JKK, JKM Rp16.800" in page.text
    assert "Jumlah iuran Rp33.600" in page.text
    assert "Sudah dibayar Rp10.000" in page.text and "Sisa tagihan Rp23.600" in page.text
    assert f"Terbilang (sisa tagihan): {rupiah_in_words(23_600)}" in page.text
    assert "Dua puluh tiga ribu enam ratus rupiah" in page.text
    assert "5 Desember 2026 Transfer bank" in page.text  # the payment received, with its SP2D
    assert f"Tuliskan nomor tagihan {own['number']}" in page.text
    assert "WIB" in page.text
    # Names from the registry the way the export asks: one batch call for all the invoice's workers.
    assert registry.lookups == [["w-print-1", "w-print-2"]]


def test_user_input_is_escaped_and_nothing_external_loads(
    funding: TestClient, billed: dict[str, Any]
) -> None:
    response = printable(funding, billed["own"]["id"], VIL)
    assert response.status_code == 200, response.text
    page = Page(response.text)
    # The name and the reference are text on the page, never markup.
    assert EVIL_NAME in page.text and EVIL_REFERENCE in page.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in response.text
    assert "<script" not in response.text.lower()
    assert {tag for tag, _ in page.tags} <= {
        "html", "head", "meta", "title", "style", "body", "header", "div", "h1", "h2", "p", "span",
        "table", "thead", "tbody", "tr", "th", "td", "strong", "section", "ol", "li", "footer",
    }  # fmt: skip
    # Self-contained: no link, image, script or URL of any kind to fetch.
    assert all(not any(k in ("src", "href") for k in attrs) for _, attrs in page.tags)
    assert "http://" not in response.text and "https://" not in response.text and "url(" not in response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    # Print CSS for A4.
    assert "@page" in response.text and "size: A4" in response.text


def test_issue_date_is_the_village_date(
    funding: TestClient, billed: dict[str, Any], database_url: Callable[[str], str]
) -> None:
    own = billed["own"]
    # Issued at 20:30 UTC on 30 November: already 1 December in Java (WIB, UTC+7).
    engine = create_engine(database_url("funding"))
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE invoices SET created_at = :at WHERE id = :id"),
                {"at": dt.datetime(2026, 11, 30, 20, 30), "id": own["id"]},
            )
    finally:
        engine.dispose()
    page = Page(printable(funding, own["id"], VIL).text)
    assert "Tanggal terbit 1 Desember 2026" in page.text


def test_same_tenancy_as_the_invoice(funding: TestClient, billed: dict[str, Any]) -> None:
    own, other = billed["own"], billed["other"]
    for crossing in (printable(funding, own["id"], INTRUDER), printable(funding, other["id"], VIL)):
        assert crossing.status_code == 404, crossing.text
        assert crossing.headers["content-type"].startswith("application/problem+json")
    assert printable(funding, 2_000_000, VIL).status_code == 404
    officer = officer_headers("7", [VILLAGE])
    assert printable(funding, own["id"], officer).status_code == 403
    assert printable(funding, own["id"], internal_headers(scopes=["registry:read"])).status_code == 403
    assert printable(funding, own["id"], REPORTS).status_code == 200
    assert printable(funding, own["id"], ADMIN).status_code == 200
    assert printable(funding, other["id"], INTRUDER).status_code == 200


def test_paid_and_void_invoices_say_so(funding: TestClient, billed: dict[str, Any]) -> None:
    own, other = billed["own"], billed["other"]
    paid = funding.post(
        "/v1/payments",
        json={
            "invoice_id": own["id"],
            "amount_idr": own["outstanding_idr"],
            "paid_on": "2026-12-10",
            "method": "bank_transfer",
            "reference": "SP2D-0002",
        },
        headers={**VIL, "Idempotency-Key": "print-pay-0002"},
    )
    assert paid.status_code == 201, paid.text
    page = Page(printable(funding, own["id"], VIL).text)
    assert "LUNAS" in page.text and "Sisa tagihan Rp0" in page.text and "Nol rupiah" in page.text
    assert "Cara pembayaran" not in page.text  # nothing left to pay
    voided = funding.post(f"/v1/invoices/{other['id']}/void", headers=ADMIN)
    assert voided.status_code == 200, voided.text
    page = Page(printable(funding, other["id"], INTRUDER).text)
    assert "DIBATALKAN" in page.text and "Cara pembayaran" not in page.text
