"""Client text in funding: control characters are a 422 naming the field (never a 500 on PostgreSQL);
text is stored in its normalised form and its length counted there."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.funding.conftest import VILLAGE
from tests.funding_support import ADMIN, agreement_body
from tests.support import village_headers

HEADERS = village_headers(VILLAGE)
PROBLEM = "application/problem+json"


def assert_refused(response: Any, field: str, reason: str = "control characters") -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    errors = response.json()["errors"]
    assert any(e["field"] == field and reason in e["reason"] for e in errors), errors


PAYMENT = {"invoice_id": 1, "amount_idr": 1000, "paid_on": "2026-02-01", "method": "cash"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/v1/funding-agreements",
            agreement_body(VILLAGE, legal_reference="Perdes\x00 7"),
            "legal_reference",
        ),
        ("/v1/funding-agreements", agreement_body(VILLAGE + "\x00"), "village_code"),
        ("/v1/payments", {**PAYMENT, "reference": "SP2D\x00001"}, "reference"),
        ("/v1/payments", {**PAYMENT, "reference": "SP2D\x85001"}, "reference"),
        (
            "/v1/contribution-quotes",
            {
                "declared_income_idr": 1_500_000,
                "programs": ["JKK"],
                "period": "2026-01",
                "funding_source": "self_pay",
                "occupation": "petani\x00",
            },
            "occupation",
        ),
        ("/v1/rate-schedules/bpu/versions", {"name": "Tarif\x1b 2027"}, "name"),
    ],
)
def test_control_characters_in_bodies_are_422(
    funding: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    headers = ADMIN if path.startswith(("/v1/payments", "/v1/rate-schedules")) else HEADERS
    assert_refused(funding.post(path, json=body, headers=headers), field)


def test_control_characters_in_agreement_patch_are_422(funding: TestClient) -> None:
    created = funding.post("/v1/funding-agreements", json=agreement_body(VILLAGE), headers=HEADERS)
    assert created.status_code == 201, created.text
    agreement = created.json()
    etag = funding.get(f"/v1/funding-agreements/{agreement['id']}", headers=HEADERS).headers["ETag"]
    response = funding.patch(
        f"/v1/funding-agreements/{agreement['id']}",
        json={"legal_reference": "Perkades\x00 8"},
        headers={**HEADERS, "If-Match": etag},
    )
    assert_refused(response, "legal_reference")
    unchanged = funding.get(f"/v1/funding-agreements/{agreement['id']}", headers=HEADERS).json()
    assert unchanged["legal_reference"] == agreement["legal_reference"]


@pytest.mark.parametrize(
    ("path", "params", "field", "reason"),
    [
        # Status filters are enums: a NUL makes an unknown status, refused with the values allowed.
        ("/v1/funding-agreements", {"status": "draft\x00"}, "status", "'draft', 'active' or 'ended'"),
        ("/v1/funding-agreements", {"village_code": "33.26\x00"}, "village_code", "control characters"),
        ("/v1/invoices", {"status": "\x00issued"}, "status", "'overdue' or 'void'"),
        ("/v1/invoices", {"village_code": "33.26.15.2001\x00"}, "village_code", "control characters"),
        ("/v1/payments", {"village_code": "33\x00"}, "village_code", "control characters"),
        ("/v1/villages/33.26.15.2001%00/statement", {"fiscal_year": "2026"}, "code", "control characters"),
    ],
)
def test_control_characters_in_query_and_path_parameters_are_422(
    funding: TestClient, path: str, params: dict[str, str], field: str, reason: str
) -> None:
    assert_refused(funding.get(path, params=params, headers=ADMIN), field, reason)


def test_member_removal_with_a_nul_in_the_worker_id_is_422(funding: TestClient) -> None:
    created = funding.post("/v1/funding-agreements", json=agreement_body(VILLAGE), headers=HEADERS)
    assert created.status_code == 201, created.text
    response = funding.delete(f"/v1/funding-agreements/{created.json()['id']}/members/w%001", headers=HEADERS)
    assert_refused(response, "worker_id")


def test_legal_reference_is_stored_normalised_and_measured_so(funding: TestClient) -> None:
    # 200 characters once composed (400 code points typed with combining accents): fits the column.
    reference = "  " + "e\u0301" * 200 + "  "
    created = funding.post(
        "/v1/funding-agreements", json=agreement_body(VILLAGE, legal_reference=reference), headers=HEADERS
    )
    assert created.status_code == 201, created.text
    assert created.json()["legal_reference"] == "\u00e9" * 200
    too_long = funding.post(
        "/v1/funding-agreements",
        json=agreement_body(VILLAGE, legal_reference="e\u0301" * 201, fiscal_year=2027),
        headers=HEADERS,
    )
    assert_refused(too_long, "legal_reference", "at most 200 characters")


def test_empty_filters_still_filter_nothing(funding: TestClient) -> None:
    created = funding.post("/v1/funding-agreements", json=agreement_body(VILLAGE), headers=HEADERS)
    assert created.status_code == 201, created.text
    listed = funding.get("/v1/funding-agreements", params={"village_code": ""}, headers=ADMIN)
    assert listed.status_code == 200, listed.text
    assert [a["id"] for a in listed.json()["items"]] == [created.json()["id"]]
    assert funding.get("/v1/invoices", params={"village_code": " "}, headers=ADMIN).status_code == 200
