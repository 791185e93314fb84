"""The issues' "done when" walks, as users make them: through the gateway, every component running.

Each flow makes its own data (villages from `system.fresh_village()`, NIKs from `system.fresh_nik()`,
its own keys, clients and officers), so flows sharing one running system pass in any order.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from services.registry.nik import mask_nik
from tests.e2e.system import E2E_TODAY, FRESH_NIK_BIRTH_DATE, RunningSystem

pytestmark = pytest.mark.e2e


def eventually(probe: Callable[[], Any], expected: Any, timeout: float = 10.0) -> bool:
    """Poll ``probe`` until it returns ``expected`` (events arrive within seconds, not at once)."""
    deadline = time.monotonic() + timeout
    while True:
        if probe() == expected:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client_token(system: RunningSystem, name: str, *scopes: str) -> str:
    scope_args = [arg for scope in scopes for arg in ("--scope", scope)]
    client = system.cli_json("keys", "create-client", name, *scope_args)
    response = httpx.post(
        system.gateway + "/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def village_key(system: RunningSystem, code: str) -> str:
    created = system.cli_json("keys", "create-village", code)
    assert created["village_code"] == code
    key: str = created["key"]
    assert key.startswith("sk_vil_")
    return key


def register_worker(system: RunningSystem, key: str, village: str, nik: str, **extra: Any) -> dict[str, Any]:
    body = {
        "nik": nik,
        "name": extra.pop("name", f"Pekerja {nik[-4:]}"),
        "village_code": village,
        "occupation": "petani",
        "declared_income_idr": 1_000_000,
        "programs": ["JKK", "JKM"],
        **extra,
    }
    response = httpx.post(system.gateway + "/v1/workers", json=body, headers=bearer(key), timeout=10)
    assert response.status_code == 201, response.text
    worker: dict[str, Any] = response.json()
    return worker


def test_village_keys_see_their_own_village_only(system: RunningSystem) -> None:
    gateway = system.gateway
    village_a, village_b = system.fresh_village(), system.fresh_village()
    key_a = village_key(system, village_a)
    key_b = village_key(system, village_b)

    # Issue 5: the NIK decides sex and birth date (women have day + 40).
    nik = system.fresh_nik(sex="F")
    worker = register_worker(system, key_a, village_a, nik, name="Siti Aminah")
    assert (worker["sex"], worker["birth_date"]) == ("F", FRESH_NIK_BIRTH_DATE)

    own = httpx.get(f"{gateway}/v1/workers/{worker['id']}", headers=bearer(key_a), timeout=10)
    assert own.status_code == 200
    assert own.json()["nik"] == nik  # entitled: full NIK on a single read
    listed = httpx.get(f"{gateway}/v1/workers", headers=bearer(key_a), timeout=10).json()["items"]
    assert [w["nik"] for w in listed] == [mask_nik(nik)]  # masked in lists
    assert mask_nik(nik) == nik[:4] + "*" * 10 + nik[-2:]

    other = httpx.get(f"{gateway}/v1/workers/{worker['id']}", headers=bearer(key_b), timeout=10)
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    assert httpx.get(f"{gateway}/v1/workers", headers=bearer(key_b), timeout=10).json()["items"] == []
    foreign = httpx.post(
        f"{gateway}/v1/workers",
        json={
            "nik": system.fresh_nik(),
            "name": "Orang Lain",
            "village_code": village_a,
            "occupation": "nelayan",
            "declared_income_idr": 1_500_000,
            "programs": ["JKK", "JKM"],
        },
        headers=bearer(key_b),
        timeout=10,
    )
    assert foreign.status_code in (404, 422)
    duplicate = httpx.post(
        f"{gateway}/v1/workers",
        json={
            "nik": nik,
            "name": "Siti Aminah",
            "village_code": village_b,
            "occupation": "petani",
            "declared_income_idr": 1_000_000,
            "programs": ["JKK", "JKM"],
        },
        headers=bearer(key_b),
        timeout=10,
    )
    assert duplicate.status_code == 409
    assert "existing_worker_id" not in duplicate.json()  # B may not see A's worker

    # Credentials that must not work.
    assert httpx.get(f"{gateway}/v1/workers", timeout=10).status_code == 401
    assert httpx.get(f"{gateway}/v1/workers", headers=bearer("sk_vil_wrong"), timeout=10).status_code == 401
    forged = httpx.get(
        f"{gateway}/v1/workers/{worker['id']}",
        headers={**bearer(key_b), "X-Sasar-Principal": "forged"},
        timeout=10,
    )
    assert forged.status_code == 404


def test_revoked_key_and_scopes(system: RunningSystem) -> None:
    gateway = system.gateway
    admin = client_token(system, "key admin", "keys:admin")
    created = httpx.post(
        f"{gateway}/v1/api-keys",
        json={"village_code": system.fresh_village(), "name": "OpenSID Wuled"},
        headers=bearer(admin),
        timeout=10,
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert httpx.get(f"{gateway}/v1/workers", headers=bearer(key), timeout=10).status_code == 200
    revoked = httpx.delete(f"{gateway}/v1/api-keys/{created.json()['id']}", headers=bearer(admin), timeout=10)
    assert revoked.status_code in (200, 204)
    assert httpx.get(f"{gateway}/v1/workers", headers=bearer(key), timeout=10).status_code == 401

    reader = client_token(system, "dashboard", "registry:read", "reports:read")
    billing = httpx.post(
        f"{gateway}/v1/billing-runs", json={"period": "2026-12"}, headers=bearer(reader), timeout=10
    )
    assert billing.status_code == 403
    assert billing.headers["content-type"] == "application/problem+json"
    keys = httpx.get(f"{gateway}/v1/api-keys", headers=bearer(reader), timeout=10)
    assert keys.status_code == 403


def test_the_61st_request_in_a_minute_is_refused(system: RunningSystem) -> None:
    key = village_key(system, system.fresh_village())
    statuses = []
    with httpx.Client(base_url=system.gateway, headers=bearer(key), timeout=10) as client:
        for _ in range(61):
            response = client.get("/v1/workers?limit=1")
            statuses.append(response.status_code)
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["content-type"] == "application/problem+json"


def billing_run(gateway: str, token: str, period: str) -> dict[str, Any]:
    """Start a billing run through the gateway (202 + job), poll the job until it is done; its result."""
    accepted = httpx.post(
        f"{gateway}/v1/billing-runs", json={"period": period}, headers=bearer(token), timeout=10
    )
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["location"]
    assert location.startswith("/v1/jobs/fun_")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = httpx.get(f"{gateway}{location}", headers=bearer(token), timeout=10).json()
        if job["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "succeeded", job
    result: dict[str, Any] = job["result"]
    return result


def test_money_flow_agreement_billing_payment_statement(system: RunningSystem) -> None:
    gateway = system.gateway
    village = system.fresh_village()
    key = village_key(system, village)
    workers = [register_worker(system, key, village, system.fresh_nik()) for _ in range(3)]

    agreement = httpx.post(
        f"{gateway}/v1/funding-agreements",
        json={
            "village_code": village,
            "fiscal_year": 2026,
            "source": "dana_desa",
            "legal_reference": "Perkades Ngalian No. 7 Tahun 2026",
            "budget_ceiling_idr": 10_000_000,
            "start_period": "2026-12",
            "end_period": "2026-12",
            "programs": ["JKK", "JKM"],
        },
        headers=bearer(key),
        timeout=10,
    )
    assert agreement.status_code == 201, agreement.text
    agreement_id = agreement.json()["id"]
    members = httpx.post(
        f"{gateway}/v1/funding-agreements/{agreement_id}/members",
        json={"worker_ids": [w["id"] for w in workers]},
        headers=bearer(key),
        timeout=30,
    )
    assert members.status_code in (200, 201, 207), members.text
    activated = httpx.post(
        f"{gateway}/v1/funding-agreements/{agreement_id}/activate", headers=bearer(key), timeout=10
    )
    assert activated.status_code == 200, activated.text
    assert activated.json()["budget_committed_idr"] == 50_400

    admin = client_token(system, "back office", "funding:admin")
    # The run bills every active agreement for the month; other tests' villages may be among them.
    run = billing_run(gateway, admin, "2026-12")
    assert run["invoices_issued"] >= 1 and run["lines"] >= 6 and run["total_idr"] >= 50_400
    assert billing_run(gateway, admin, "2026-12")["invoices_issued"] == 0  # nothing billed twice

    invoices = httpx.get(f"{gateway}/v1/invoices?period=2026-12", headers=bearer(key), timeout=10).json()[
        "items"
    ]
    assert [i["number"] for i in invoices] == [f"INV/2026/{village}/000001"]
    invoice = invoices[0]
    assert invoice["total_idr"] == 50_400  # 3 workers x (JKK + JKM): 6 lines

    payment = {
        "invoice_id": invoice["id"],
        "amount_idr": 50_400,
        "paid_on": "2026-12-10",
        "method": "bank_transfer",
        "reference": f"SP2D/{uuid.uuid4().hex[:8]}/2026",
    }
    headers = {**bearer(key), "Idempotency-Key": str(uuid.uuid4())}
    paid = httpx.post(f"{gateway}/v1/payments", json=payment, headers=headers, timeout=10)
    assert paid.status_code == 201, paid.text
    retried = httpx.post(f"{gateway}/v1/payments", json=payment, headers=headers, timeout=10)
    assert retried.status_code == 201
    assert retried.json()["id"] == paid.json()["id"]
    without_key = httpx.post(f"{gateway}/v1/payments", json=payment, headers=bearer(key), timeout=10)
    assert without_key.status_code == 422

    detail = httpx.get(f"{gateway}/v1/invoices/{invoice['id']}", headers=bearer(key), timeout=10).json()
    assert detail["status"] == "paid"
    statement = httpx.get(
        f"{gateway}/v1/villages/{village}/statement?fiscal_year=2026", headers=bearer(key), timeout=10
    ).json()
    december = statement["months"][11]
    assert (december["invoiced_idr"], december["paid_idr"], december["outstanding_idr"]) == (
        50_400,
        50_400,
        0,
    )

    other = village_key(system, system.fresh_village())
    assert (
        httpx.get(f"{gateway}/v1/invoices/{invoice['id']}", headers=bearer(other), timeout=10).status_code
        == 404
    )
    assert (
        httpx.get(
            f"{gateway}/v1/funding-agreements/{agreement_id}", headers=bearer(other), timeout=10
        ).status_code
        == 404
    )


def test_officer_outreach_flow(system: RunningSystem) -> None:
    gateway = system.gateway
    village, unassigned = system.fresh_village(), system.fresh_village()
    admin = client_token(system, "outreach desk", "outreach:admin", "registry:read")
    nrp = f"{uuid.uuid4().int % 10**8:08d}"
    officer = httpx.post(
        f"{gateway}/v1/officers",
        json={"nrp": nrp, "name": "Bripka Agus Santoso", "rank": "Bripka", "unit": "Polsek Wonokerto"},
        headers=bearer(admin),
        timeout=10,
    )
    assert officer.status_code == 201, officer.text
    officer_id = officer.json()["id"]
    # From the system's business date (lead conversion checks the assignment on it) or today if earlier.
    since = min(dt.date.fromisoformat(E2E_TODAY), dt.date.today()).isoformat()
    assigned = httpx.post(
        f"{gateway}/v1/officers/{officer_id}/assignments",
        json={"village_code": village, "valid_from": since},
        headers=bearer(admin),
        timeout=10,
    )
    assert assigned.status_code == 201, assigned.text

    password = system.cli_json("keys", "set-officer-password", nrp)["password"]
    login = httpx.post(
        f"{gateway}/v1/auth/token",
        data={"grant_type": "password", "username": nrp, "password": password},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    assert login.json()["refresh_token"]
    me = httpx.get(f"{gateway}/v1/me", headers=bearer(token), timeout=10).json()
    assert [v["village_code"] if isinstance(v, dict) else v for v in me["villages"]] == [village]

    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3)
    session_body = {
        "village_code": village,
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "venue": "Balai Desa Wuled",
        "kind": "sosialisasi",
    }
    session = httpx.post(
        f"{gateway}/v1/outreach-sessions", json=session_body, headers=bearer(token), timeout=10
    )
    assert session.status_code == 201, session.text
    assert session.json()["starts_at"].endswith("+07:00")
    overlapping = {**session_body, "starts_at": (start + dt.timedelta(hours=1)).isoformat()}
    overlapping["ends_at"] = (start + dt.timedelta(hours=3)).isoformat()
    clash = httpx.post(f"{gateway}/v1/outreach-sessions", json=overlapping, headers=bearer(token), timeout=10)
    assert clash.status_code == 409
    elsewhere = {
        **session_body,
        "village_code": unassigned,
        "starts_at": (start + dt.timedelta(days=1)).isoformat(),
    }
    elsewhere["ends_at"] = (start + dt.timedelta(days=1, hours=2)).isoformat()
    refused = httpx.post(f"{gateway}/v1/outreach-sessions", json=elsewhere, headers=bearer(token), timeout=10)
    assert refused.status_code in (403, 404, 422)

    consent = dt.datetime.now(dt.UTC).isoformat()
    leads = [
        {
            "client_id": str(uuid.uuid4()),
            "session_id": session.json()["id"],
            "village_code": village,
            "name": name,
            "occupation": "nelayan",
            "consent_given_at": consent,
        }
        for name in ("Budi", "Wati", "Joko")
    ]
    first = httpx.post(f"{gateway}/v1/sync", json={"leads": leads}, headers=bearer(token), timeout=30).json()
    assert [item["status"] for item in first["leads"]] == ["created"] * 3
    second = httpx.post(f"{gateway}/v1/sync", json={"leads": leads}, headers=bearer(token), timeout=30).json()
    assert [item["status"] for item in second["leads"]] == ["unchanged"] * 3

    lead_id = first["leads"][0]["id"]
    converted = httpx.post(
        f"{gateway}/v1/leads/{lead_id}/convert",
        json={"nik": system.fresh_nik(), "declared_income_idr": 1_200_000, "programs": ["JKK", "JKM"]},
        headers=bearer(token),
        timeout=30,
    )
    assert converted.status_code in (200, 201), converted.text
    worker_id = converted.json()["worker_id"]
    worker = httpx.get(f"{gateway}/v1/workers/{worker_id}", headers=bearer(admin), timeout=10)
    assert worker.status_code == 200, worker.text
    assert worker.json()["village_code"] == village
    assert str(worker.json()["officer_id"]) == str(officer_id)
    assert worker.json()["status"] == "registered"

    # Counts follow the registry's events (the relay runs beside the services): wait for delivery.
    def progress() -> tuple[int, int, int, int]:
        response = httpx.get(
            f"{gateway}/v1/outreach-progress?area={village}&year={start.year}",
            headers=bearer(admin),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return (body["registered"], body["conversions"], body["covered"], body["target"])

    assert eventually(progress, (1, 1, 0, 100))


def test_stopping_funding_shows_in_readiness_and_its_routes_answer_503(system: RunningSystem) -> None:
    token = client_token(system, "rates reader", "funding:admin")
    assert (
        httpx.get(system.gateway + "/v1/rate-schedules", headers=bearer(token), timeout=10).status_code == 200
    )
    system.stop("funding")
    try:
        ready = httpx.get(system.gateway + "/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["funding"]["status"] == "unavailable"
        answer = httpx.get(system.gateway + "/v1/rate-schedules", headers=bearer(token), timeout=10)
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == "the funding service is unavailable"
    finally:
        system.start("funding")
    assert httpx.get(system.gateway + "/readyz", timeout=10).status_code == 200


def test_an_import_through_the_gateway_completes_as_a_job(system: RunningSystem) -> None:
    gateway, village = system.gateway, system.fresh_village()
    key = village_key(system, village)
    nik = system.fresh_nik()
    content = (
        "nik,name,occupation,declared_income_idr,programs\n"
        f"{nik},Budi Santoso,petani,1000000,JKK;JKM\n"
        f"{nik},Budi Lagi,petani,1000000,JKK;JKM\n"
    ).encode()
    accepted = httpx.post(
        f"{gateway}/v1/worker-imports", files={"file": ("r.csv", content)}, headers=bearer(key), timeout=10
    )
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["location"]
    assert location == f"/v1/jobs/{accepted.json()['job_id']}" and "/reg_" in location
    deadline = time.monotonic() + 30
    while (job := httpx.get(f"{gateway}{location}", headers=bearer(key), timeout=10).json())["status"] in (
        "queued",
        "running",
    ) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job["status"] == "succeeded", job
    assert (job["result"]["accepted"], job["result"]["duplicate_in_file"]) == (1, 1)
    # The job is routed to the registry by its id, and another village's key does not see it.
    other = village_key(system, system.fresh_village())
    assert httpx.get(f"{gateway}{location}", headers=bearer(other), timeout=10).status_code == 404
