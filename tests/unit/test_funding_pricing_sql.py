"""The SQL pricing used by billing equals ``pricing.quote`` line by line (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.common.db import create_db_engine
from services.funding.models import FundedWorker, FundingAgreement
from services.funding.pricing import Occupation, Period, quote, schedule_for
from services.funding.pricing_sql import priced_lines
from services.funding.rates import load_schedules, period_index, schedules_in_force

SOURCES = ("dana_desa", "apbd_kelurahan", "csr", "other")
# Around every boundary: schedule start, PP 50/2025 general (2026-04..12) and transport (..2027-03) ends.
PERIODS = [
    Period(*ym)
    for ym in ((2025, 12), (2026, 1), (2026, 3), (2026, 4), (2026, 12), (2027, 1), (2027, 3), (2027, 4))
]
EDGE_INCOMES = [1_000_000, 1_000_049, 1_000_050, 1_234_567, 2_500_000, 9_999_950, 20_650_049, 20_700_000]


def test_sql_prices_equal_quote(database_url: Callable[[str], str]) -> None:
    rng = random.Random(20261125)
    incomes = EDGE_INCOMES + [rng.randint(1_000_000, 20_700_000) for _ in range(4)]
    now = dt.datetime.now(dt.UTC)
    engine = create_db_engine(database_url("funding"))
    try:
        with Session(engine) as session:
            workers = []
            for i, income in enumerate(incomes):
                for occupation in Occupation:
                    for has_jht in (False, True):
                        workers.append(
                            {
                                "worker_id": f"w{i:02d}-{occupation.value}-{int(has_jht)}",
                                "village_code": "33.26.15.2001",
                                "occupation": occupation.value,
                                "declared_income_idr": income,
                                "has_jht": has_jht,
                                "status": "active",
                                "synced_at": now,
                            }
                        )
            session.execute(FundedWorker.__table__.insert(), workers)
            agreements = []
            for source in SOURCES:
                for includes_jht in (False, True):
                    agreements.append(
                        {
                            "id": len(agreements) + 1,
                            "village_code": "33.26.15.2001",
                            "fiscal_year": 2026,
                            "source": source,
                            "legal_reference": "test",
                            "budget_ceiling_idr": 1,
                            "start_idx": period_index(Period(2026, 1)),
                            "end_idx": period_index(Period(2026, 12)),
                            "includes_jht": includes_jht,
                            "allow_over_budget": False,
                            "status": "active",
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
            session.execute(FundingAgreement.__table__.insert(), agreements)
            months = " UNION ALL ".join(f"SELECT {period_index(p)} AS period_idx" for p in PERIODS)
            source_sql = (
                "SELECT a.id AS agreement_id, w.worker_id AS worker_id, m.period_idx AS period_idx "
                f"FROM funding_agreements a CROSS JOIN funded_workers w CROSS JOIN ({months}) m"
            )
            rows = session.execute(
                text(
                    "SELECT agreement_id, worker_id, period_idx, program, schedule_id, amount_idr, "
                    "discount_idr "
                    f"FROM ({priced_lines(source_sql, session.get_bind().dialect.name)}) l"
                )
            ).all()
            schedules = schedules_in_force(session)
            assert load_schedules(session)  # the seed migration ran

        sql_lines = {(r[0], r[1], r[2], r[3]): (r[4], int(r[5]), int(r[6])) for r in rows}
        expected: dict[tuple[int, str, int, str], tuple[str, int, int]] = {}
        for agreement in agreements:
            for worker in workers:
                programs = ["JKK", "JKM"]
                if agreement["includes_jht"] and worker["has_jht"]:
                    programs.append("JHT")
                for period in PERIODS:
                    if period < Period(2026, 1):
                        continue  # no schedule in force: SQL yields no line, quote refuses
                    q = quote(
                        schedule_for(schedules, period),
                        declared_income_idr=worker["declared_income_idr"],
                        programs=programs,  # type: ignore[arg-type]
                        period=period,
                        funding_source=agreement["source"],
                        occupation=worker["occupation"],
                    )
                    for line in q.lines:
                        key = (agreement["id"], worker["worker_id"], period_index(period), line.program.value)
                        expected[key] = (q.schedule_id, line.amount_idr, line.discount_idr)
        assert len(expected) > 20_000
        assert sql_lines == expected
    finally:
        engine.dispose()
