"""Funding answers problems in Bahasa Indonesia by default and in English on request."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.funding.conftest import FakeRegistry
from tests.funding_support import ADMIN, agreement_body
from tests.i18n_support import ENGLISH, assert_no_english, default_language
from tests.support import village_headers

VILLAGE_CODE = "33.26.15.2001"
VILLAGE = village_headers(VILLAGE_CODE)


def _quote(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "declared_income_idr": 1_000_000,
        "programs": ["JKK", "JKM"],
        "period": "2026-12",
        "funding_source": "dana_desa",
        "occupation": "petani",
    }
    body.update(overrides)
    return body


def test_an_unknown_invoice_is_tagihan_tidak_ditemukan_in_indonesian(funding: TestClient) -> None:
    client = default_language(funding)
    indonesian = client.get("/v1/invoices/404404", headers=VILLAGE)
    english = client.get("/v1/invoices/404404", headers={**VILLAGE, **ENGLISH})
    assert indonesian.status_code == english.status_code == 404
    assert indonesian.json()["detail"] == "tagihan 404404 tidak ditemukan"
    assert indonesian.headers["content-language"] == "id"
    assert english.json()["detail"] == "invoice 404404 not found"
    assert english.headers["content-language"] == "en"


def test_quote_reasons_with_rupiah_amounts_in_both_languages(funding: TestClient) -> None:
    client = default_language(funding)
    body = _quote(declared_income_idr=50_000_000_000)
    indonesian = client.post("/v1/contribution-quotes", json=body, headers=VILLAGE)
    english = client.post("/v1/contribution-quotes", json=body, headers={**VILLAGE, **ENGLISH})
    assert indonesian.status_code == english.status_code == 422, indonesian.text
    (reason,) = [e["reason"] for e in indonesian.json()["errors"] if e["field"] == "declared_income_idr"]
    (english_reason,) = [e["reason"] for e in english.json()["errors"] if e["field"] == "declared_income_idr"]
    # Indonesian groups thousands with dots, English with commas.
    assert "Rp50.000.000.000" in reason and reason.startswith("harus antara Rp"), reason
    assert "Rp50,000,000,000" in english_reason and english_reason.startswith("must be between Rp")


def test_payment_and_agreement_refusals(funding: TestClient) -> None:
    client = default_language(funding)
    no_key = client.post(
        "/v1/payments",
        json={
            "invoice_id": 1,
            "amount_idr": 1000,
            "paid_on": "2026-12-05",
            "method": "bank_transfer",
            "reference": "SP2D-1",
        },
        headers=VILLAGE,
    )
    assert no_key.status_code == 422, no_key.text
    assert no_key.json()["errors"] == [
        {
            "field": "Idempotency-Key",
            "reason": "wajib untuk pembayaran (gunakan UUID baru untuk setiap pembayaran)",
        }
    ]
    bad_terms = agreement_body(VILLAGE_CODE, start_period="2027-01", programs=["JKK", "JHT"])
    indonesian = client.post("/v1/funding-agreements", json=bad_terms, headers=ADMIN).json()
    english = client.post("/v1/funding-agreements", json=bad_terms, headers={**ADMIN, **ENGLISH}).json()
    assert indonesian["detail"] == "ketentuan perjanjian tidak valid"
    assert english["detail"] == "the agreement terms are invalid"
    reasons = {e["field"]: e["reason"] for e in indonesian["errors"]}
    assert reasons["programs"] == "JKK dan JKM wajib"
    assert reasons["start_period"] == "harus berada dalam tahun anggaran 2026"


def test_roster_refusals_in_both_languages(funding: TestClient, registry: FakeRegistry) -> None:
    client = default_language(funding)
    created = client.post("/v1/funding-agreements", json=agreement_body(VILLAGE_CODE), headers=VILLAGE)
    assert created.status_code == 201, created.text
    url = f"/v1/funding-agreements/{created.json()['id']}/members"
    registry.add("w-other", village_code="33.26.15.2002")
    workers = {"worker_ids": ["w-other", "w-unknown"]}

    indonesian = client.post(url, json=workers, headers=VILLAGE)
    english = client.post(url, json=workers, headers={**VILLAGE, **ENGLISH})
    assert indonesian.status_code == english.status_code == 422, indonesian.text
    assert indonesian.json()["detail"] == "tidak ada pekerja yang dapat ditambahkan"
    assert indonesian.json()["errors"] == [
        {"field": "worker_ids.0", "reason": "bukan pekerja desa ini"},
        {"field": "worker_ids.1", "reason": "pekerja tidak dikenal"},
    ]
    assert [r["reason"] for r in indonesian.json()["results"]] == [
        "bukan pekerja desa ini",
        "pekerja tidak dikenal",
    ]
    assert english.json()["detail"] == "no worker could be added"
    assert [r["reason"] for r in english.json()["results"]] == [
        "not a worker of this village",
        "unknown worker",
    ]


def test_funding_refusals_carry_no_english_by_default(funding: TestClient) -> None:
    client = default_language(funding)
    refusals = [
        client.post("/v1/contribution-quotes", json=_quote(period="2026-13"), headers=VILLAGE),
        client.post("/v1/contribution-quotes", json=_quote(period="Desember"), headers=VILLAGE),
        client.post("/v1/contribution-quotes", json=_quote(programs=["JKK"]), headers=VILLAGE),
        client.post("/v1/contribution-quotes", json=_quote(declared_income_idr=-5), headers=VILLAGE),
        client.post("/v1/contribution-quotes", json=_quote(occupation="astronot"), headers=VILLAGE),
        client.post("/v1/funding-agreements", json=agreement_body("33.26.15.2002"), headers=VILLAGE),
        client.post("/v1/funding-agreements", json=agreement_body("99.99.99.2999"), headers=ADMIN),
        client.post("/v1/funding-agreements", json=agreement_body(VILLAGE_CODE, source="kas"), headers=ADMIN),
        client.get("/v1/funding-agreements/404404", headers=ADMIN),
        client.get("/v1/invoices", params={"period": "12-2026"}, headers=VILLAGE),
        client.get("/v1/billing-runs", headers=VILLAGE),
        client.post(
            "/v1/payments", json={"amount_idr": "seribu"}, headers={**VILLAGE, "Idempotency-Key": "k1"}
        ),
    ]
    for response in refusals:
        assert response.status_code >= 400, response.text
        assert response.headers["content-language"] == "id"
        assert_no_english(response.json())
