"""`sasar billing run` and the billing benchmark in small-scale mode (so neither can rot)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bench import billing_run
from sasar.cli import app
from services.common.db import create_db_engine
from tests.support import postgres_admin_url, postgres_reachable


def _seed_one_agreement(url: str) -> None:
    now = dt.datetime.now(dt.UTC)
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("""
                INSERT INTO funding_agreements (village_code, fiscal_year, source, legal_reference,
                    budget_ceiling_idr, start_idx, end_idx, includes_jht, allow_over_budget, status, version,
                    created_at, updated_at)
                VALUES ('33.26.15.2001', 2026, 'dana_desa', 'Perkades 1/2026', 1000000, 24312, 24323,
                        false, false, 'active', 1, :now, :now)
                """),
                {"now": now},
            )
            for n in range(3):
                connection.execute(
                    text("""
                    INSERT INTO funded_workers (worker_id, village_code, occupation, declared_income_idr,
                                                has_jht,
                                                status, synced_at)
                    VALUES (:w, '33.26.15.2001', 'petani', 1000000, false, 'active', :now)
                    """),
                    {"w": f"cli-{n}", "now": now},
                )
            connection.execute(
                text("""
                INSERT INTO agreement_members (agreement_id, worker_id, status, added_at, first_period_idx)
                SELECT a.id, w.worker_id, 'active', :now, a.start_idx
                FROM funding_agreements a CROSS JOIN funded_workers w
                """),
                {"now": now},
            )
    finally:
        engine.dispose()


def test_cli_billing_run_is_idempotent(
    database_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_url("funding")
    _seed_one_agreement(url)
    monkeypatch.setenv("SASAR_FUNDING_DATABASE_URL", url)
    runner = CliRunner()
    first = runner.invoke(app, ["billing", "run", "2026-12", "--json"])
    assert first.exit_code == 0, first.output
    body = json.loads(first.output.strip().splitlines()[-1])
    assert (body["invoices_issued"], body["lines"], body["total_idr"]) == (1, 6, 50_400)
    second = runner.invoke(app, ["billing", "run", "2026-12"])
    assert second.exit_code == 0, second.output
    assert "0 invoices issued for 2026-12" in second.output
    assert "nothing new to bill" in second.output
    bad = runner.invoke(app, ["billing", "run", "2026-13"])
    assert bad.exit_code != 0
    no_rates = runner.invoke(app, ["billing", "run", "2019-01"])
    assert no_rates.exit_code == 2


@pytest.mark.postgres
def test_bench_small_scale(capsys: pytest.CaptureFixture[str]) -> None:
    url = postgres_admin_url()
    if not postgres_reachable(url):
        pytest.skip("PostgreSQL not reachable")
    result = billing_run.main(["--villages", "3", "--workers", "4", "--url", url])
    assert result.lines >= 3 * 4 * 2
    assert result.billing_seconds > 0 and result.raw_seconds > 0
    out = capsys.readouterr().out
    assert "ratio" in out and "lines/s" in out
