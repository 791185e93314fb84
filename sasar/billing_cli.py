"""``sasar billing …``: a month's billing from the command line (the code of ``POST /v1/billing-runs``)."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from services.common.db import Database
from services.funding.billing import STEPS, run_billing
from services.funding.config import FundingSettings
from services.funding.exceptions import NoRateSchedule
from services.funding.pricing import Period, PricingError

app = typer.Typer(help="Monthly billing of funding agreements.", no_args_is_help=True)


@app.command("run")
def run(
    period: Annotated[str, typer.Argument(help="Month to bill, YYYY-MM (e.g. 2026-12)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object")] = False,
) -> None:
    """Issue the invoices of PERIOD that do not exist yet (running it again issues nothing)."""
    try:
        month = Period.parse(period)
    except PricingError as exc:
        raise typer.BadParameter(exc.reason, param_hint="PERIOD") from None
    database = Database(FundingSettings().database_url)
    started = time.perf_counter()
    try:
        with (
            typer.progressbar(length=len(STEPS), label=f"billing {month}", hidden=as_json) as bar,
            database.sessions() as session,
            session.begin(),
        ):
            result = run_billing(session, month, actor="cli:billing", progress=lambda _step: bar.update(1))
    except NoRateSchedule as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    seconds = time.perf_counter() - started
    summary = {
        "id": result.id,
        "period": str(result.period),
        "invoices_issued": result.invoices_issued,
        "lines": result.lines,
        "total_idr": result.total_idr,
        "seconds": round(seconds, 3),
    }
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(
            f"{result.invoices_issued} invoices issued for {result.period} ({result.lines} lines, "
            f"Rp{result.total_idr:,}) in {seconds:.2f} s"
            + ("" if result.invoices_issued else ": nothing new to bill")
        )
