"""Rate schedules as data (read by anyone, new versions by funding:admin) and contribution quotes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.common.db import create_db_engine
from tests.funding_support import ADMIN
from tests.support import village_headers

VILLAGE = village_headers("33.26.15.2001")


def _quote(funding: TestClient, **body: Any) -> Any:
    return funding.post("/v1/contribution-quotes", json=body, headers=VILLAGE)


@pytest.mark.parametrize(
    ("income", "programs", "period", "source", "occupation", "total"),
    [
        (1_000_000, ["JKK", "JKM"], "2026-12", "dana_desa", "petani", 16_800),
        (1_000_000, ["JKK", "JKM"], "2026-12", "self_pay", "petani", 8_400),
        (1_000_000, ["JKK", "JKM"], "2027-01", "self_pay", "petani", 16_800),
        (1_000_000, ["JKK", "JKM"], "2027-02", "self_pay", "ojol", 8_400),
        (1_000_000, ["JKK", "JKM", "JHT"], "2026-12", "self_pay", "petani", 28_400),
        (2_500_000, ["JKK", "JKM", "JHT"], "2026-12", "dana_desa", "petani", 81_800),
    ],
)
def test_quotes(
    funding: TestClient,
    income: int,
    programs: list[str],
    period: str,
    source: str,
    occupation: str,
    total: int,
) -> None:
    response = _quote(
        funding,
        declared_income_idr=income,
        programs=programs,
        period=period,
        funding_source=source,
        occupation=occupation,
    )
    assert response.status_code == 200, response.text
    assert response.json()["total_idr"] == total
    assert response.json()["schedule_id"] == "bpu-2026"


def test_quote_errors_are_problems(funding: TestClient) -> None:
    base = {"declared_income_idr": 1_000_000, "programs": ["JKK", "JKM"], "period": "2026-12"}
    low = _quote(
        funding, **{**base, "declared_income_idr": 999_999, "funding_source": "csr", "occupation": "petani"}
    )
    assert low.status_code == 422
    assert low.json()["errors"][0]["field"] == "declared_income_idr"
    job = _quote(funding, **base, funding_source="csr", occupation="astronaut")
    assert job.json()["errors"][0]["field"] == "occupation"
    early = _quote(funding, **{**base, "period": "2019-01"}, funding_source="csr", occupation="petani")
    assert early.json()["errors"][0]["field"] == "period"
    no_jkm = _quote(funding, **{**base, "programs": ["JKK"]}, funding_source="csr", occupation="petani")
    assert no_jkm.json()["errors"][0]["field"] == "programs"


def test_schedules_are_listed(funding: TestClient) -> None:
    schedules = funding.get("/v1/rate-schedules", headers=VILLAGE).json()
    assert [s["id"] for s in schedules] == ["bpu-2026"]
    assert schedules[0]["jkm_flat_idr"] == 6_800
    assert [d["percent_payable"] for d in schedules[0]["discounts"]] == [50, 50]
    assert schedules[0]["discounts"][1]["occupations"] == ["ojol", "sopir"]


@pytest.fixture
def restore_rates(database_url: Callable[[str], str]) -> Iterator[None]:
    yield
    # Rate tables are reference data (kept between tests): put the seeded version back.
    engine = create_db_engine(database_url("funding"))
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "DELETE FROM rate_discount_occupations WHERE discount_id IN "
                    "(SELECT id FROM rate_discounts WHERE schedule_id <> 'bpu-2026')"
                )
            )
            connection.execute(text("DELETE FROM rate_discounts WHERE schedule_id <> 'bpu-2026'"))
            connection.execute(text("DELETE FROM rate_schedules WHERE id <> 'bpu-2026'"))
            connection.execute(
                text("UPDATE rate_schedules SET superseded_at = NULL, effective_to_idx = NULL")
            )
    finally:
        engine.dispose()


def test_new_version_changes_prices(funding: TestClient, restore_rates: None) -> None:
    current = funding.get("/v1/rate-schedules", headers=VILLAGE).json()[0]
    body = {
        k: current[k] for k in ("name", "effective_from", "effective_to", "min_income_idr", "max_income_idr")
    }
    body.update({k: current[k] for k in ("jkk_rate_bp", "jkk_min_idr", "jkk_max_idr", "jht_rate_bp")})
    body["jkm_flat_idr"] = 7_000
    body["discounts"] = [
        {
            "name": "PP 50/2025 incl. village fund",
            "start_period": "2026-04",
            "end_period": "2026-12",
            "percent_payable": 50,
            "programs": ["JKK", "JKM"],
            "applies_to_dana_desa": True,
        }
    ]
    refused = funding.post("/v1/rate-schedules/bpu-2026/versions", json=body, headers=VILLAGE)
    assert refused.status_code == 403
    created = funding.post("/v1/rate-schedules/bpu-2026/versions", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "bpu-2026@v2"
    assert created.json()["version"] == 2
    listed = funding.get("/v1/rate-schedules", params={"include_superseded": True}, headers=VILLAGE).json()
    assert [(s["id"], s["in_force"]) for s in listed] == [("bpu-2026", False), ("bpu-2026@v2", True)]
    quote = _quote(
        funding,
        declared_income_idr=1_000_000,
        programs=["JKK", "JKM"],
        period="2026-12",
        funding_source="dana_desa",
        occupation="petani",
    )
    assert quote.json()["total_idr"] == 5_000 + 3_500
    assert quote.json()["schedule_id"] == "bpu-2026@v2"
    # The switch opened the reduction to the village fund only: a city paying for a kelurahan pays in full.
    city = _quote(
        funding,
        declared_income_idr=1_000_000,
        programs=["JKK", "JKM"],
        period="2026-12",
        funding_source="apbd_kelurahan",
        occupation="petani",
    )
    assert city.json()["total_idr"] == 10_000 + 7_000
    listed_discount = created.json()["discounts"][0]
    assert (listed_discount["applies_to_dana_desa"], listed_discount["applies_to_apbd_kelurahan"]) == (
        True,
        False,
    )
    unknown = funding.post("/v1/rate-schedules/nope/versions", json=body, headers=ADMIN)
    assert unknown.status_code == 404


def _version_body(funding: TestClient, **changes: Any) -> dict[str, Any]:
    current = funding.get("/v1/rate-schedules", headers=VILLAGE).json()[0]
    fields = ("name", "effective_from", "effective_to", "min_income_idr", "max_income_idr", "jkk_rate_bp")
    body = {k: current[k] for k in (*fields, "jkk_min_idr", "jkk_max_idr", "jht_rate_bp", "jkm_flat_idr")}
    body["discounts"] = []
    body.update(changes)
    return body


def test_a_new_version_applies_from_its_month_and_earlier_months_keep_theirs(
    funding: TestClient, restore_rates: None, registry: Any
) -> None:
    from tests.funding_support import active_agreement, bill

    active_agreement(funding, "33.26.15.2001", [registry.add("rate-1")])
    committed_before = funding.get("/v1/funding-agreements", headers=VILLAGE).json()["items"][0]
    bill(funding, "2026-12")
    # Publishing from a month already invoiced is refused: those invoices are priced.
    too_early = _version_body(funding, effective_from="2026-12", jkm_flat_idr=7_000)
    refused = funding.post("/v1/rate-schedules/bpu-2026/versions", json=too_early, headers=ADMIN)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "effective_from"
    created = funding.post(
        "/v1/rate-schedules/bpu-2026/versions",
        json=_version_body(funding, effective_from="2027-01", jkm_flat_idr=7_000),
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    # 2026 still has its rates (quotable, billable, budgets unchanged); 2027 has the new JKM.
    november = _quote(
        funding, declared_income_idr=1_000_000, programs=["JKK", "JKM"], period="2026-11",
        funding_source="dana_desa", occupation="petani",
    )  # fmt: skip
    assert november.status_code == 200, november.text
    assert (november.json()["total_idr"], november.json()["schedule_id"]) == (16_800, "bpu-2026")
    january = _quote(
        funding, declared_income_idr=1_000_000, programs=["JKK", "JKM"], period="2027-01",
        funding_source="self_pay", occupation="petani",
    )  # fmt: skip
    assert (january.json()["total_idr"], january.json()["schedule_id"]) == (17_000, "bpu-2026@v2")
    listed = funding.get("/v1/rate-schedules", headers=VILLAGE).json()
    assert [(s["id"], s["effective_from"], s["effective_to"]) for s in listed] == [
        ("bpu-2026", "2026-01", "2026-12"),
        ("bpu-2026@v2", "2027-01", None),
    ]
    committed_after = funding.get("/v1/funding-agreements", headers=VILLAGE).json()["items"][0]
    assert committed_after["budget_committed_idr"] == committed_before["budget_committed_idr"]
    assert bill(funding, "2026-11")["invoices_issued"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_income_idr", 0),
        ("max_income_idr", 0),
        ("jkk_rate_bp", 0),
        ("jkm_flat_idr", 0),
        ("jkk_rate_bp", 900),
    ],
)
def test_a_version_outside_the_regulation_is_refused(
    funding: TestClient, restore_rates: None, field: str, value: int
) -> None:
    body = _version_body(funding, effective_from="2027-01", **{field: value})
    if field == "max_income_idr":
        body["min_income_idr"] = 0
    response = funding.post("/v1/rate-schedules/bpu-2026/versions", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} & {field, "min_income_idr"}
