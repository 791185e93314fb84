"""Billing-run benchmark on PostgreSQL: funding's billing run next to a raw ``INSERT … SELECT``.

Seeds N villages x M workers (default 1,000 x 100) set-based with ``generate_series`` into a fresh
database, bills 2026-12 with :func:`services.funding.billing.run_billing`, then times a raw
``INSERT … SELECT`` writing the same lines (same workers, programmes and amounts) into a copy of the
invoice-line table, and checks both produced the same number of lines and rupiah.

    .venv/bin/python -m bench.billing_run                      # 1,000 villages x 100 workers
    .venv/bin/python -m bench.billing_run --villages 3 --workers 5  # small-scale mode
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench._report import BenchResult as Reported
from bench._report import Goal, emit
from services.common.db import Database, normalise_url
from services.common.migrations import upgrade
from services.common.wilayah import reference_village_codes
from services.funding.billing import run_billing
from services.funding.pricing import Period
from services.funding.rates import period_index

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PERIOD = Period(2026, 12)


@dataclass(frozen=True)
class BenchResult:
    villages: int
    workers: int
    lines: int
    total_idr: int
    billing_seconds: float
    raw_seconds: float
    # Seconds per step of the run (services.funding.billing.STEPS), in order: where the time goes.
    steps: tuple[tuple[str, float], ...] = ()

    @property
    def ratio(self) -> float:
        return self.billing_seconds / self.raw_seconds if self.raw_seconds else float("inf")


def _seed(database: Database, villages: int, workers: int) -> int:
    """Seeds at most ``villages`` desa (the area table has fewer); returns how many."""
    codes = sorted(c for c in reference_village_codes() if c[9] == "2")[:villages]
    start, end = period_index(Period(2026, 1)), period_index(Period(2026, 12))
    with database.engine.begin() as connection:
        connection.execute(
            text("""
            INSERT INTO funding_agreements (id, village_code, fiscal_year, source, legal_reference,
                budget_ceiling_idr, start_idx, end_idx, includes_jht, allow_over_budget, status, version,
                created_at, updated_at)
            SELECT v.n, v.code, 2026, CASE WHEN v.n % 2 = 0 THEN 'csr' ELSE 'dana_desa' END, 'Perkades bench',
                   1000000000, :start, :end, v.n % 3 = 0, false, 'active', 1, now(), now()
            FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY AS v(code, n)
            """),
            {"codes": codes, "start": start, "end": end},
        )
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('funding_agreements', 'id'), :n)"), {"n": len(codes)}
        )
        connection.execute(
            text("""
            INSERT INTO funded_workers (worker_id, village_code, occupation, declared_income_idr, has_jht,
                                        status, registry_version, synced_at)
            SELECT 'w' || a.id || '-' || g.i, a.village_code,
                   (ARRAY['petani','nelayan','pedagang','ojol','sopir','prt'])[1 + g.i % 6],
                   1000000 + (g.i * 73013) % 19700000, g.i % 4 = 0, 'active', 1, now()
            FROM funding_agreements a CROSS JOIN generate_series(1, :workers) AS g(i)
            """),
            {"workers": workers},
        )
        connection.execute(
            text("""
            INSERT INTO agreement_members (agreement_id, worker_id, status, added_at, first_period_idx)
            SELECT a.id, 'w' || a.id || '-' || g.i, 'active', now(), a.start_idx
            FROM funding_agreements a CROSS JOIN generate_series(1, :workers) AS g(i)
            """),
            {"workers": workers},
        )
        connection.execute(text("ANALYZE"))
    return len(codes)


# The same lines as billing, written directly for the invoices the run created: rates of the seeded
# schedule inlined, no counters, no schedule or discount lookup - the floor a billing run is compared with.
RAW_INSERT = """
    INSERT INTO bench_raw_lines (invoice_id, line_no, worker_id, program, schedule_id, declared_income_idr,
                                 amount_idr, discount_idr, paid_idr, credited_idr)
    SELECT i.id, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY w.worker_id, p.position),
           w.worker_id, p.program,
           'bpu-2026', w.declared_income_idr, x.amount, x.full_idr - x.amount, 0, 0
    FROM agreement_members m
    JOIN funding_agreements a ON a.id = m.agreement_id
    JOIN invoices i ON i.agreement_id = a.id AND i.period_idx = :p
    JOIN funded_workers w ON w.worker_id = m.worker_id
    JOIN funding_programs p ON (p.program <> 'JHT' OR (a.includes_jht AND w.has_jht))
    CROSS JOIN LATERAL (SELECT CASE p.program
        WHEN 'JKK' THEN LEAST(GREATEST((2 * w.declared_income_idr * 100 + 10000) / 20000, 10000), 207000)
        WHEN 'JKM' THEN 6800 ELSE (2 * w.declared_income_idr * 200 + 10000) / 20000 END AS full_idr) f
    CROSS JOIN LATERAL (SELECT f.full_idr,
        CASE WHEN p.program <> 'JHT' AND a.source NOT IN ('dana_desa', 'apbd_kelurahan')
             THEN (2 * f.full_idr * 50 + 100) / 200 ELSE f.full_idr END AS amount) x
    WHERE m.status = 'active' AND a.status = 'active'
"""


def run_bench(url: str, villages: int, workers: int) -> BenchResult:
    admin_url = normalise_url(url)
    name = f"sasar_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    bench_url = make_url(admin_url).set(database=name).render_as_string(False)
    database: Database | None = None
    try:
        upgrade("funding", bench_url)
        database = Database(bench_url)
        villages = _seed(database, villages, workers)
        marks: list[tuple[str, float]] = []
        started = time.perf_counter()
        with database.sessions() as session, session.begin():
            result = run_billing(
                session,
                PERIOD,
                actor="bench",
                progress=lambda step: marks.append((step, time.perf_counter())),
            )
        billing_seconds = time.perf_counter() - started
        marks.append(("commit", time.perf_counter()))
        steps = tuple((name, at - (marks[i - 1][1] if i else started)) for i, (name, at) in enumerate(marks))
        with database.engine.begin() as connection:
            # Same columns, defaults, indexes and foreign key as invoice_lines: the same lines, raw.
            connection.execute(text("CREATE TABLE bench_raw_lines (LIKE invoice_lines INCLUDING ALL)"))
            connection.execute(
                text("ALTER TABLE bench_raw_lines ADD FOREIGN KEY (invoice_id) REFERENCES invoices (id)")
            )
        started = time.perf_counter()
        with database.engine.begin() as connection:
            connection.execute(text(RAW_INSERT), {"p": period_index(PERIOD)})
        raw_seconds = time.perf_counter() - started
        with database.engine.connect() as connection:
            raw_lines, raw_total = connection.execute(
                text("SELECT COUNT(*), COALESCE(SUM(amount_idr), 0) FROM bench_raw_lines")
            ).one()
        if (raw_lines, raw_total) != (result.lines, result.total_idr):
            raise RuntimeError(f"baseline differs: {raw_lines} lines Rp{raw_total} vs {result}")
        return BenchResult(
            villages, workers, result.lines, result.total_idr, billing_seconds, raw_seconds, steps
        )
    finally:
        if database is not None:
            database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> BenchResult:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--villages", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=100, help="workers per village")
    parser.add_argument("--url", default=os.environ.get("SASAR_BENCH_POSTGRES_URL", DEFAULT_URL))
    parser.add_argument(
        "--peak-rss-only", action="store_true", help="run, print only the process's peak RSS in MB (a probe)"
    )
    args = parser.parse_args(argv)
    result = run_bench(args.url, args.villages, args.workers)
    if args.peak_rss_only:
        print(f"{_peak_rss_mb():.1f}")
        return result
    print(f"villages x workers     : {result.villages:,} x {result.workers:,}")
    print(f"lines                  : {result.lines:,} (Rp{result.total_idr:,})")
    print(
        f"funding billing run    : {result.billing_seconds:.2f} s "
        f"({result.lines / result.billing_seconds:,.0f} lines/s)"
    )
    print(
        "steps of the run       : " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.steps)
    )
    print(
        f"raw INSERT ... SELECT  : {result.raw_seconds:.2f} s "
        f"({result.lines / result.raw_seconds:,.0f} lines/s)"
    )
    scale = f"{result.villages:,} villages x {result.workers:,} workers, {result.lines:,} lines"
    emit(
        Reported(
            name="national billing run" if result.villages >= 50_000 else "billing run",
            figure=result.billing_seconds,
            unit="s",
            baseline=result.raw_seconds,
            baseline_label="raw INSERT ... SELECT of the same lines",
            goal=Goal("<= 1.3x the raw INSERT ... SELECT", "ratio", "<=", 1.3),
            reason=_where_the_time_went(result),
            scale=scale,
        )
    )
    # The run is set-based, so the billing process's memory must not grow with the number of workers:
    # its peak is compared with the peak of the same run at a hundredth of the villages, in a fresh process.
    small = max(args.villages // 100, 1)
    probe = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.billing_run",
            "--villages",
            str(small),
            "--workers",
            str(args.workers),
            "--url",
            args.url,
            "--peak-rss-only",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    small_peak = float(probe.stdout.strip().splitlines()[-1])
    emit(
        Reported(
            name="billing run, peak RSS of the billing process",
            figure=_peak_rss_mb(),
            unit="MB",
            baseline=small_peak,
            baseline_label=f"the same run at {small:,} villages",
            goal=Goal(
                "flat in the number of workers (<= 1.25x the peak at 1/100 the scale)", "ratio", "<=", 1.25
            ),
            scale=scale,
        )
    )
    return result


def _where_the_time_went(result: BenchResult) -> str:
    """This run's own profile by step: the line statement (pricing, the not-yet-billed check, the invoice
    totals) against the raw INSERT, and what the other steps add."""
    steps = dict(result.steps)
    lines = steps.get("lines", 0.0)
    others = result.billing_seconds - lines
    return (
        f"by step, the line statement (priced per schedule and discount, checked not billed yet, invoice "
        f"totals summed as written) took {lines:.1f} s = {lines / result.raw_seconds:.2f}x the raw INSERT, "
        f"the other steps {others:.1f} s ("
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.steps if name != "lines")
        + ")"
    )


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kilobytes


if __name__ == "__main__":
    main()
