"""Load: 32 clients share 64 village keys from one address, mixed reads and writes through the gateway on
PostgreSQL. Nothing may fail (no 5xx), nothing legitimate may be refused (no 401/403/429), and afterwards
every invoice's paid amount equals the sum of its payments. ``SASAR_LOAD_SECONDS`` sets the duration (15 s
in ``make test``, 60 s in ``make proof``); each process's resident memory is printed before and after.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.common.wilayah import reference_village_codes
from tests.e2e.system import COMPONENT_APPS, RunningSystem
from tests.e2e.test_events import bill
from tests.e2e.test_flows import bearer, client_token
from tests.support import DatabaseFactory

pytestmark = pytest.mark.e2e

CLIENTS, KEYS = 32, 64
SECONDS = float(os.environ.get("SASAR_LOAD_SECONDS", "15"))


@pytest.fixture(scope="module")
def loaded_system(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None
) -> Iterator[RunningSystem]:
    if postgres_url is None and os.environ.get("CI"):
        pytest.fail("PostgreSQL is required in CI")
    backend = "postgres" if postgres_url else "sqlite"
    urls = {component: databases.url(component, backend, fresh=True) for component in COMPONENT_APPS}
    running = RunningSystem(
        database_urls=urls,
        log_dir=tmp_path_factory.mktemp("e2e-load"),
        # Per-key limits are not what this measures: set them above the offered load.
        extra_env={"SASAR_GATEWAY_RATE_LIMIT_VILLAGE": "100000/minute"},
    )
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def villages() -> list[str]:
    """64 desa of one regency (Kab. Brebes, 33.29) that no other test uses."""
    codes = sorted(c for c in reference_village_codes() if c.startswith("33.29.") and c[9] == "2")
    return codes[:KEYS]


def nik(n: int) -> str:
    # Unique per worker for n < 7.5 M: region 332901, born in January 1970-1999 (day, year by n), serial.
    day, year = 1 + n // 270_000 % 28, 70 + n // 9000 % 30
    return f"332901{day:02d}01{year:02d}{n % 9000 + 1:04d}"


def setup(system: RunningSystem) -> list[dict[str, Any]]:
    admin = client_token(system, "load setup", "keys:admin", "funding:admin")
    tenants = []
    with httpx.Client(base_url=system.gateway, timeout=30) as client:
        for index, village in enumerate(villages()):
            key = client.post(
                "/v1/api-keys", json={"village_code": village, "name": f"load {index}"}, headers=bearer(admin)
            ).json()["key"]
            workers = []
            for n in range(2):
                body = {
                    "nik": nik(index * 10 + n),
                    "name": f"Pekerja {index}-{n}",
                    "village_code": village,
                    "occupation": "petani",
                    "declared_income_idr": 1_000_000,
                    "programs": ["JKK", "JKM"],
                }
                created = client.post("/v1/workers", json=body, headers=bearer(key))
                assert created.status_code == 201, created.text
                workers.append(created.json()["id"])
            agreement = client.post(
                "/v1/funding-agreements",
                json={
                    "village_code": village,
                    "fiscal_year": 2026,
                    "source": "dana_desa",
                    "legal_reference": f"Perkades {index}/2026",
                    "budget_ceiling_idr": 5_000_000,
                    "start_period": "2026-12",
                    "end_period": "2026-12",
                    "programs": ["JKK", "JKM"],
                },
                headers=bearer(key),
            ).json()
            client.post(
                f"/v1/funding-agreements/{agreement['id']}/members",
                json={"worker_ids": workers},
                headers=bearer(key),
            )
            client.post(f"/v1/funding-agreements/{agreement['id']}/activate", headers=bearer(key))
            tenants.append({"village": village, "key": key})
    bill(system, admin, "2026-12")
    with httpx.Client(base_url=system.gateway, timeout=30) as client:
        for tenant in tenants:
            invoices = client.get("/v1/invoices?period=2026-12", headers=bearer(tenant["key"])).json()[
                "items"
            ]
            tenant["invoice"] = invoices[0]["id"]
    return tenants


async def client_loop(
    system: RunningSystem, tenants: list[dict[str, Any]], seed: int, until: float, outcomes: Counter[str]
) -> None:
    rng = random.Random(seed)
    serial = 0
    async with httpx.AsyncClient(base_url=system.gateway, timeout=30) as client:
        while time.monotonic() < until:
            tenant = rng.choice(tenants)
            headers = bearer(tenant["key"])
            roll = rng.random()
            if roll < 0.35:
                kind, response = "list_workers", await client.get("/v1/workers?limit=20", headers=headers)
            elif roll < 0.55:
                kind, response = "invoices", await client.get("/v1/invoices", headers=headers)
            elif roll < 0.70:
                url = f"/v1/villages/{tenant['village']}/statement?fiscal_year=2026"
                kind, response = "statement", await client.get(url, headers=headers)
            elif roll < 0.85:
                serial += 1
                body = {
                    "nik": nik(100_000 + seed * 10_000 + serial),
                    "name": f"Beban {seed}-{serial}",
                    "village_code": tenant["village"],
                    "occupation": "nelayan",
                    "declared_income_idr": 1_500_000,
                    "programs": ["JKK", "JKM"],
                }
                kind, response = "register", await client.post("/v1/workers", json=body, headers=headers)
            else:
                payment = {
                    "invoice_id": tenant["invoice"],
                    "amount_idr": 100,
                    "paid_on": "2026-12-01",
                    "method": "bank_transfer",
                    "reference": f"SP2D/LOAD/{uuid.uuid4().hex[:12]}",
                }
                key = {"Idempotency-Key": str(uuid.uuid4())}
                kind, response = (
                    "pay",
                    await client.post("/v1/payments", json=payment, headers={**headers, **key}),
                )
                if response.status_code == 201 and rng.random() < 0.3:  # a client retrying: replayed
                    again = await client.post("/v1/payments", json=payment, headers={**headers, **key})
                    outcomes[f"pay_retry {again.status_code}"] += 1
            outcomes[f"{kind} {response.status_code}"] += 1


def test_mixed_load_from_one_address_with_64_village_keys(loaded_system: RunningSystem) -> None:
    system = loaded_system
    tenants = setup(system)
    pids = {name: process.pid for name, process in system.processes.items()}
    before = {name: rss_kib(pid) for name, pid in pids.items()}
    outcomes: Counter[str] = Counter()
    until = time.monotonic() + SECONDS

    async def run() -> None:
        await asyncio.gather(
            *(client_loop(system, tenants, seed, until, outcomes) for seed in range(CLIENTS))
        )

    started = time.monotonic()
    asyncio.run(run())
    elapsed = time.monotonic() - started
    after = {name: rss_kib(pid) for name, pid in pids.items()}
    total = sum(outcomes.values())
    print(
        f"\n{total} requests in {elapsed:.1f} s ({total / elapsed:,.0f}/s) by {CLIENTS} clients, {KEYS} keys"
    )
    for name in pids:
        print(f"  RSS {name:<9} {before[name] / 1024:7.1f} MiB -> {after[name] / 1024:7.1f} MiB")
    print("  " + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    failed = {k: v for k, v in outcomes.items() if k.split()[-1].startswith("5")}
    refused = {k: v for k, v in outcomes.items() if k.split()[-1] in ("401", "403", "429")}
    assert not failed, failed
    assert not refused, refused
    expected = {
        "list_workers 200",
        "invoices 200",
        "statement 200",
        "register 201",
        "pay 201",
        "pay_retry 201",
    }
    assert set(outcomes) <= expected | {"pay 422"}, outcomes  # 422: the invoice is fully paid
    # Money: each invoice's paid amount is exactly the sum of the payments recorded on it.
    admin = client_token(system, "load audit", "funding:admin", "reports:read")
    with httpx.Client(base_url=system.gateway, timeout=30, headers=bearer(admin)) as client:
        for tenant in tenants:
            invoice = client.get(f"/v1/invoices/{tenant['invoice']}").json()
            payments, cursor = [], None
            while True:
                page = client.get(
                    "/v1/payments", params={"invoice_id": tenant["invoice"], "limit": 500, "cursor": cursor}
                ).json()
                payments += page["items"]
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            assert invoice["paid_idr"] == sum(p["amount_idr"] for p in payments), tenant
            assert invoice["paid_idr"] <= invoice["total_idr"]
