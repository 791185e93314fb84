"""Whole-country progress roll-up (38 provinces over 83,762 villages) with N leads, against a raw
``GROUP BY`` of the leads by province in the same run.

The seed is set-based: on PostgreSQL one ``INSERT … SELECT … FROM generate_series`` spreads the leads
over every village of the shipped area table; SQLite (small runs only) gets a multi-row insert.

    .venv/bin/python -m bench.outreach_progress                        # 1,000,000 leads, PostgreSQL
    .venv/bin/python -m bench.outreach_progress --backend sqlite --leads 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import time
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy import Connection, case, func, insert, select, text

from bench._outreach_db import scratch_database
from bench._report import BenchResult, Goal, emit
from services.common.db import create_db_engine
from services.common.principal import PRINCIPAL_HEADER, Principal, PrincipalKind, encode_principal
from services.common.settings import DEFAULT_INTERNAL_SECRET
from services.common.wilayah import reference_village_codes
from services.outreach.config import OutreachSettings
from services.outreach.main import create_app
from services.outreach.models import Lead, Target, VillageWorkerCount


@dataclass
class ProgressResult:
    backend: str
    leads: int
    seed_seconds: float
    rollup_seconds: float
    raw_seconds: float
    target: int
    total_leads: int

    @property
    def ratio(self) -> float:
        return self.rollup_seconds / self.raw_seconds


def _seed(connection: Connection, leads: int, villages: list[str]) -> None:
    now = dt.datetime.now(dt.UTC)
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("CREATE TEMP TABLE bench_villages (n integer PRIMARY KEY, code text NOT NULL)")
        )
        connection.execute(
            text("INSERT INTO bench_villages (n, code) VALUES (:n, :code)"),
            [{"n": n, "code": code} for n, code in enumerate(villages)],
        )
        connection.execute(
            text(
                """
                INSERT INTO leads (client_id, village_code, name, status, consent_given_at, fingerprint,
                                   created_by, created_at, updated_at, converted_at, worker_id,
                                   linked_existing)
                SELECT md5(g::text)::uuid::text, v.code, 'Lead ' || g,
                       CASE WHEN g % 10 = 0 THEN 'converted' ELSE 'open' END, :now, md5(g::text),
                       'bench', :now, :now, CASE WHEN g % 10 = 0 THEN CAST(:now AS timestamptz) END,
                       CASE WHEN g % 10 = 0 THEN g::text END, false
                FROM generate_series(1, :leads) AS g
                JOIN bench_villages v ON v.n = g % :villages
                """
            ),
            {"now": now, "leads": leads, "villages": len(villages)},
        )
        connection.execute(
            text(
                """
                INSERT INTO village_worker_counts
                    (village_code, registered, active, lapsed, inactive, deceased, refreshed_at)
                SELECT code, n % 7, n % 13, n % 3, 0, 0, :now FROM bench_villages
                """
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO outreach_targets (village_code, year, target, updated_at, updated_by) "
                "SELECT code, :year, 150, :now, 'bench' FROM bench_villages WHERE n % 100 = 0"
            ),
            {"now": now, "year": now.year},
        )
        connection.execute(text("ANALYZE"))
        return
    rows = [
        {
            "client_id": f"00000000-0000-0000-0000-{g:012d}",
            "village_code": villages[g % len(villages)],
            "name": f"Lead {g}",
            "status": "converted" if g % 10 == 0 else "open",
            "consent_given_at": now,
            "fingerprint": "x",
            "created_by": "bench",
            "created_at": now,
            "converted_at": now if g % 10 == 0 else None,
            "linked_existing": False,
        }
        for g in range(1, leads + 1)
    ]
    connection.execute(insert(Lead), rows)
    counts = [
        {
            "village_code": code,
            "registered": n % 7,
            "active": n % 13,
            "lapsed": n % 3,
            "inactive": 0,
            "deceased": 0,
            "refreshed_at": now,
        }
        for n, code in enumerate(villages)
    ]
    connection.execute(insert(VillageWorkerCount), counts)
    targets = [
        {"village_code": code, "year": now.year, "target": 150, "updated_at": now, "updated_by": "bench"}
        for n, code in enumerate(villages)
        if n % 100 == 0
    ]
    connection.execute(insert(Target), targets)


def run(leads: int = 1_000_000, backend: str = "postgres", repeat: int = 3) -> ProgressResult:
    villages = sorted(reference_village_codes())
    year = dt.datetime.now(dt.UTC).year
    with scratch_database(backend) as url:
        engine = create_db_engine(url)
        try:
            started = time.perf_counter()
            with engine.begin() as connection:
                _seed(connection, leads, villages)
            seed_seconds = time.perf_counter() - started

            raw_times = []
            province = func.substr(Lead.village_code, 1, 2)
            converted = func.sum(case((Lead.converted_at.is_not(None), 1), else_=0))
            baseline = select(province, func.count(), converted).group_by(province)
            for _ in range(repeat):
                started = time.perf_counter()
                with engine.connect() as connection:
                    connection.execute(baseline).all()
                raw_times.append(time.perf_counter() - started)
        finally:
            engine.dispose()

        settings = OutreachSettings(database_url=url, env="test", log_level="WARNING", counts_source="local")
        principal = Principal(
            kind=PrincipalKind.internal, subject="bench", scopes=frozenset({"reports:read"})
        )
        headers = {PRINCIPAL_HEADER: encode_principal(principal, DEFAULT_INTERNAL_SECRET)}
        app_times = []
        with TestClient(create_app(settings)) as client:
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get("/v1/outreach-progress", params={"year": year}, headers=headers)
                app_times.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(response.text[:300])
            body = response.json()
    return ProgressResult(
        backend=backend,
        leads=leads,
        seed_seconds=seed_seconds,
        rollup_seconds=statistics.median(app_times),
        raw_seconds=statistics.median(raw_times),
        target=body["target"],
        total_leads=body["leads"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    result = run(args.leads, args.backend, args.repeat)
    print(f"outreach progress, whole country, {result.leads:,} leads, {result.backend}")
    print(f"  seed (set-based):                {result.seed_seconds:8.2f} s")
    print(f"  GET /v1/outreach-progress (median): {result.rollup_seconds * 1000:8.1f} ms")
    print(f"  raw GROUP BY province (median):  {result.raw_seconds * 1000:8.1f} ms")
    print(f"  ratio roll-up / raw GROUP BY:    {result.ratio:8.2f} x")
    print(f"  national target {result.target:,}, leads counted {result.total_leads:,}")
    emit(
        BenchResult(
            name="national progress roll-up (GET /v1/outreach-progress)",
            figure=result.rollup_seconds * 1000,
            unit="ms",
            baseline=result.raw_seconds * 1000,
            baseline_label="raw GROUP BY province of the same leads",
            # The national dashboard is the raw aggregate plus targets and names: it should cost no more
            # than twice the GROUP BY it cannot avoid.
            goal=Goal("<= 2x the raw GROUP BY", "ratio", "<=", 2.0),
            scale=f"{result.leads:,} leads over every village, {result.backend}",
        )
    )


if __name__ == "__main__":
    main()
