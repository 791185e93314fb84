"""Run every benchmark in this folder: ``python -m bench`` (or ``make bench``).

Each benchmark is a module ``bench/<name>.py`` runnable on its own (``python -m bench.<name>``) that prints
its figures and emits them (:mod:`bench._report`) with the baseline measured in the same run and the goal
of issue 14. This runner runs each at issue 14's scale (``--quick``: tiny sizes, to check the wiring) and
writes one table - figure, baseline, ratio, goal, met or by how much it misses and why - with the machine
and PostgreSQL version, to ``bench/results/<date>.md``, so the numbers are kept with the code.

Each benchmark's results, output and commit are also kept in ``bench/results/<date>.json``. ``--only``
re-runs some of them (after a fix, say) and the day's report is rendered again from every benchmark's
latest run, each section naming the commit it ran on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench._report import RESULTS_ENV, BenchResult, load, render
from bench._scratch import DEFAULT_POSTGRES
from services.common.db import normalise_url


def _postgres_version() -> str:
    try:
        engine = create_engine(normalise_url(DEFAULT_POSTGRES))
        with engine.connect() as connection:
            version = str(connection.execute(text("SHOW server_version")).scalar_one())
        engine.dispose()
        return version
    except Exception as exc:  # the report says so instead of failing
        return f"unreachable ({type(exc).__name__})"


def _commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


# Issue 14's scale (the default run) and a tiny scale that only checks the wiring (``--quick``).
FULL_ARGS: dict[str, list[str]] = {
    "billing_run": ["--villages", "100000"],  # every desa of the area table x 100 workers
    "registry_import": ["--rows", "100000", "--format", "both"],
    "gateway_matrix": [],
    "event_relay": ["--backend", "postgres", "--events", "2000"],
    "outreach_progress": ["--leads", "1000000"],
    "outreach_sync": ["--backend", "postgres", "--items", "1000"],
}
QUICK_ARGS: dict[str, list[str]] = {
    "billing_run": ["--villages", "3", "--workers", "5"],
    "registry_import": ["--rows", "300", "--format", "both"],
    "gateway_matrix": ["--requests", "40", "--clients", "1,4", "--small"],
    "event_relay": ["--backend", "postgres", "--events", "40", "--transport", "embedded", "--rate", "100"],
    "outreach_progress": ["--leads", "2000", "--repeat", "1"],
    "outreach_sync": ["--backend", "postgres", "--items", "50"],
}
# bench.gateway_overhead (sequential latency, one throughput figure) is kept for ad-hoc runs and its unit
# test; gateway_matrix measures the same at 1, 16 and 64 clients with 1 and N workers.


def render_runs(header: list[str], runs: dict[str, dict[str, Any]]) -> str:
    """The day's report from each benchmark's latest run (in the order the runner runs them)."""
    ordered = [n for n in FULL_ARGS if n in runs]
    results = [BenchResult.from_json(r) for n in ordered for r in runs[n]["results"]]
    failures = [runs[n]["failure"] for n in ordered if runs[n]["failure"]]
    outputs: list[str] = []
    for n in ordered:
        run = runs[n]
        outcome = f"{'FAILED, ' if run['failure'] else ''}{run['seconds']} s"
        title = f"### {n} {' '.join(run['args'])} ({outcome}; commit `{run['commit']}`, {run['finished_at']})"
        outputs += [title, "", "```", run["stdout"], "```", ""]
    return render(header, results, failures) + "\n## Output of each benchmark\n\n" + "\n".join(outputs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks and write bench/results/<date>.md.")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the wiring, not the goals")
    parser.add_argument("--only", action="append", choices=sorted(FULL_ARGS), help="run only these")
    args = parser.parse_args(argv)
    folder = Path(__file__).parent
    names = args.only or list(FULL_ARGS)
    now = dt.datetime.now(dt.UTC)
    quick = " (quick: tiny sizes, the verdicts mean nothing)" if args.quick else ""
    target = folder / "results"
    target.mkdir(exist_ok=True)
    stem = f"{now:%Y-%m-%d}{'-quick' if args.quick else ''}"
    store_path = target / f"{stem}.json"
    # The day's earlier runs: ``--only`` replaces just the benchmarks it runs.
    runs: dict[str, dict[str, Any]] = {}
    if args.only and store_path.exists():
        runs = json.loads(store_path.read_text(encoding="utf-8"))
    commit = _commit()
    header = [
        f"# Benchmarks, {now:%Y-%m-%d}{quick}",
        "",
        f"- machine: {os.cpu_count()} cores, {platform.machine()}, PostgreSQL {_postgres_version()}",
        f"- Python {platform.python_version()}; each section below names the commit it ran on",
        "- run: `python -m bench` (`--only NAME` re-runs one and keeps the others' latest figures)",
    ]
    print("\n".join(header), flush=True)
    with tempfile.TemporaryDirectory(prefix="sasar-bench-") as tmp:
        for name in names:
            module_args = (QUICK_ARGS if args.quick else FULL_ARGS)[name]
            print(f"\n=== bench.{name} {' '.join(module_args)} ===", flush=True)
            store = Path(tmp) / f"{name}.jsonl"
            started = time.perf_counter()
            completed = subprocess.run(
                [sys.executable, "-m", f"bench.{name}", *module_args],
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, RESULTS_ENV: str(store)},
            )
            seconds = time.perf_counter() - started
            print(completed.stdout, end="", flush=True)
            found = load(store)
            failure = None
            if completed.returncode != 0 or not found:
                failure = (
                    f"`{name}` exit {completed.returncode}: {completed.stderr.strip()[-600:] or 'no result'}"
                )
            runs[name] = {
                "commit": commit,
                "finished_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "seconds": round(seconds),
                "args": module_args,
                "results": [r.to_json() for r in found],
                "failure": failure,
                "stdout": completed.stdout.strip(),
            }
            store_path.write_text(json.dumps(runs, indent=1), encoding="utf-8")
    report = render_runs(header, runs)
    path = target / f"{stem}.md"
    path.write_text(report, encoding="utf-8")
    print(f"\nreport: {path}")
    return 1 if any(runs[n]["failure"] for n in names) else 0


if __name__ == "__main__":
    sys.exit(main())
