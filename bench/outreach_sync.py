"""Offline sync throughput: one ``POST /v1/sync`` batch of N leads through the whole app (validation,
tenancy, set-based insert, per-item results), against a raw multi-row INSERT of the same rows in the
same run.

    .venv/bin/python -m bench.outreach_sync                 # 1,000 items on SQLite
    .venv/bin/python -m bench.outreach_sync --backend postgres --items 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, insert

from bench._outreach_db import scratch_database
from bench._report import BenchResult, Goal, emit
from services.common.db import create_db_engine
from services.common.principal import PRINCIPAL_HEADER, Principal, PrincipalKind, encode_principal
from services.common.settings import DEFAULT_INTERNAL_SECRET
from services.outreach.config import OutreachSettings
from services.outreach.main import create_app
from services.outreach.models import Lead

VILLAGE = "33.26.15.2001"


def _headers(kind: PrincipalKind, subject: str, **claims: Any) -> dict[str, str]:
    principal = Principal(kind=kind, subject=subject, **claims)
    return {PRINCIPAL_HEADER: encode_principal(principal, DEFAULT_INTERNAL_SECRET)}


@dataclass
class SyncResult:
    backend: str
    items: int
    app_seconds: float
    replay_seconds: float
    raw_seconds: float

    @property
    def items_per_second(self) -> float:
        return self.items / self.app_seconds

    @property
    def ratio(self) -> float:
        return self.app_seconds / self.raw_seconds


def run(items: int = 1000, backend: str = "sqlite") -> SyncResult:
    with scratch_database(backend) as url:
        settings = OutreachSettings(database_url=url, env="test", log_level="WARNING")
        with TestClient(create_app(settings)) as client:
            admin = _headers(PrincipalKind.internal, "bench", scopes=frozenset({"outreach:admin"}))
            officer = {"nrp": "12345678", "name": "Bench", "rank": "Bripka", "unit": "Polsek"}
            officer_id = client.post("/v1/officers", json=officer, headers=admin).json()["id"]
            client.post(
                f"/v1/officers/{officer_id}/assignments",
                json={"village_code": VILLAGE, "valid_from": "2020-01-01"},
                headers=admin,
            )
            headers = _headers(PrincipalKind.officer, str(officer_id), villages=frozenset({VILLAGE}))
            consent = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
            batch = {
                "leads": [
                    {
                        "client_id": str(uuid.uuid4()),
                        "village_code": VILLAGE,
                        "name": f"Calon peserta {i}",
                        "phone": f"+62812{i:08d}",
                        "occupation": "petani",
                        "consent_given_at": consent,
                    }
                    for i in range(items)
                ]
            }
            started = time.perf_counter()
            response = client.post("/v1/sync", json=batch, headers=headers)
            app_seconds = time.perf_counter() - started
            created = [r for r in response.json()["leads"] if r["status"] == "created"]
            if len(created) != items:
                raise RuntimeError(f"sync created {len(created)} of {items}: {response.text[:300]}")
            started = time.perf_counter()
            replay = client.post("/v1/sync", json=batch, headers=headers).json()["leads"]
            replay_seconds = time.perf_counter() - started
            if any(r["status"] != "unchanged" for r in replay):
                raise RuntimeError("replayed batch was not all unchanged")

        # Baseline: the same rows, already validated, in one multi-row insert.
        engine = create_db_engine(url)
        try:
            with engine.begin() as connection:
                rows = [dict(r._mapping) for r in connection.execute(Lead.__table__.select())]
                connection.execute(delete(Lead.__table__))
            for row in rows:
                row.pop("id")
            started = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(insert(Lead.__table__), rows)
            raw_seconds = time.perf_counter() - started
        finally:
            engine.dispose()
    return SyncResult(backend, items, app_seconds, replay_seconds, raw_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    result = run(args.items, args.backend)
    print(f"outreach sync, {result.items} leads in one batch, {result.backend}")
    rate = f"{result.items_per_second:,.0f} items/s"
    print(f"  POST /v1/sync (created):   {result.app_seconds * 1000:8.1f} ms  ({rate})")
    print(f"  same batch again (unchanged): {result.replay_seconds * 1000:5.1f} ms")
    print(f"  raw multi-row INSERT:      {result.raw_seconds * 1000:8.1f} ms")
    print(f"  ratio app / raw insert:    {result.ratio:8.1f} x")
    emit(
        BenchResult(
            name="offline sync (POST /v1/sync, one batch)",
            figure=result.app_seconds * 1000,
            unit="ms",
            baseline=result.raw_seconds * 1000,
            baseline_label="raw multi-row INSERT of the same rows",
            # An officer back in signal sends a day's capture at once; the server's part should stay well
            # under the upload time on a village network.
            goal=Goal("<= 1,000 ms for a batch of 1,000", "figure", "<=", 1000, " ms"),
            reason=(
                f"{result.items_per_second:,.0f} items/s; "
                f"the same batch replayed: {result.replay_seconds * 1000:.0f} ms"
            ),
            scale=f"{result.items:,} items, {result.backend}",
        )
    )


if __name__ == "__main__":
    main()
