"""Every tenancy and scope rule of the funding routes, tried from the wrong side."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.funding.conftest import OTHER_VILLAGE, VILLAGE, FakeRegistry
from tests.funding_support import ADMIN, active_agreement, agreement_body, bill
from tests.support import anonymous_headers, internal_headers, officer_headers, village_headers

INTRUDER = village_headers(OTHER_VILLAGE, subject="key-other")
REPORTS = internal_headers(scopes=["reports:read"])
NO_SCOPE = internal_headers(scopes=["registry:read"])
OFFICER = officer_headers("7", [VILLAGE])


@pytest.fixture
def billed(funding: TestClient, registry: FakeRegistry) -> dict[str, Any]:
    agreement = active_agreement(funding, VILLAGE, [registry.add("t1")])
    run = bill(funding, "2026-12")
    invoice = funding.get("/v1/invoices", headers=ADMIN).json()["items"][0]
    payment = funding.post(
        "/v1/payments",
        json={
            "invoice_id": invoice["id"],
            "amount_idr": 100,
            "paid_on": "2026-12-01",
            "method": "cash",
            "reference": "R1",
        },
        headers={**village_headers(VILLAGE), "Idempotency-Key": "tenancy-0001"},
    ).json()
    return {"agreement": agreement, "invoice": invoice, "run": run, "payment": payment}


def test_other_village_sees_nothing(funding: TestClient, billed: dict[str, Any]) -> None:
    a, i = billed["agreement"]["id"], billed["invoice"]["id"]
    for path in (
        f"/v1/funding-agreements/{a}",
        f"/v1/invoices/{i}",
        f"/v1/villages/{VILLAGE}/statement?fiscal_year=2026",
    ):
        assert funding.get(path, headers=INTRUDER).status_code == 404, path
    for path in (
        f"/v1/villages/{VILLAGE}/arrears?as_of=2027-01-01",
        f"/v1/villages/{VILLAGE}/budget-exhausted",
    ):
        assert funding.get(path, headers=INTRUDER).status_code == 404, path
    assert funding.get("/v1/funding-agreements", headers=INTRUDER).json()["items"] == []
    assert funding.get("/v1/invoices", headers=INTRUDER).json()["items"] == []
    assert funding.get("/v1/payments", headers=INTRUDER).json()["items"] == []
    assert (
        funding.patch(
            f"/v1/funding-agreements/{a}", json={"legal_reference": "x"}, headers=INTRUDER
        ).status_code
        == 404
    )
    assert funding.post(f"/v1/funding-agreements/{a}/activate", headers=INTRUDER).status_code == 404
    assert funding.post(f"/v1/funding-agreements/{a}/end", headers=INTRUDER).status_code == 404
    members = funding.post(
        f"/v1/funding-agreements/{a}/members", json={"worker_ids": ["t1"]}, headers=INTRUDER
    )
    assert members.status_code == 404
    assert funding.delete(f"/v1/funding-agreements/{a}/members/t1", headers=INTRUDER).status_code == 404
    assert funding.post(f"/v1/invoices/{i}/void", headers=INTRUDER).status_code == 404
    pay = funding.post(
        "/v1/payments",
        json={"invoice_id": i, "amount_idr": 1, "paid_on": "2026-12-01", "method": "cash", "reference": "X"},
        headers={**INTRUDER, "Idempotency-Key": "intruder-0001"},
    )
    assert pay.status_code == 404
    created = funding.post("/v1/funding-agreements", json=agreement_body(VILLAGE), headers=INTRUDER)
    assert created.status_code == 403


def test_admin_actions_need_funding_admin(funding: TestClient, billed: dict[str, Any]) -> None:
    for headers in (village_headers(VILLAGE), REPORTS, NO_SCOPE, OFFICER):
        assert (
            funding.post("/v1/billing-runs", json={"period": "2026-12"}, headers=headers).status_code == 403
        )
        assert (
            funding.post(
                "/v1/invoices/overdue-runs", json={"as_of": "2027-01-01"}, headers=headers
            ).status_code
            == 403
        )
        assert (
            funding.post("/v1/invoices/lapse-runs", json={"as_of": "2027-01-01"}, headers=headers).status_code
            == 403
        )
        edit = funding.post("/v1/rate-schedules/bpu-2026/versions", json={}, headers=headers)
        assert edit.status_code in (403, 422)
    assert (
        funding.get(f"/v1/billing-runs/{billed['run']['id']}", headers=village_headers(VILLAGE)).status_code
        == 403
    )
    assert funding.get(f"/v1/billing-runs/{billed['run']['id']}", headers=REPORTS).status_code == 200


def test_internal_reads_need_a_scope_and_officers_have_no_money_access(
    funding: TestClient, billed: dict[str, Any]
) -> None:
    for headers in (NO_SCOPE, OFFICER):
        assert funding.get("/v1/invoices", headers=headers).status_code == 403
        assert funding.get("/v1/funding-agreements", headers=headers).status_code == 403
        assert (
            funding.post("/v1/funding-agreements", json=agreement_body(VILLAGE), headers=headers).status_code
            == 403
        )
    assert len(funding.get("/v1/invoices", headers=REPORTS).json()["items"]) == 1
    assert (
        funding.post("/v1/funding-agreements", json=agreement_body(VILLAGE), headers=REPORTS).status_code
        == 403
    )
    assert funding.get("/v1/rate-schedules", headers=anonymous_headers()).status_code == 401
    assert funding.get("/v1/rate-schedules").status_code == 401
    assert funding.get("/v1/rate-schedules", headers=OFFICER).status_code == 200
