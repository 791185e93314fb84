"""Run every benchmark in this folder: ``python -m bench`` (or ``make bench``).

Each benchmark is a module ``bench/<name>.py`` runnable on its own (``python -m bench.<name>``) that prints
its figures and the ratio to a baseline measured in the same run. This runner also writes what they
printed, with the machine it ran on, to ``bench/results/<date>.md``, so the numbers are kept with the code.
"""

from __future__ import annotations

import datetime as dt
import os
import pkgutil
import platform
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

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


def main() -> int:
    folder = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if not m.name.startswith("_"))
    now = dt.datetime.now(dt.UTC)
    sections = [
        f"# Benchmarks, {now:%Y-%m-%d %H:%M} UTC",
        "",
        f"- commit `{_commit()}`, Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{platform.machine()}, PostgreSQL {_postgres_version()}",
        f"- arguments: `{' '.join(sys.argv[1:]) or '(defaults)'}`",
        "",
    ]
    failures = 0
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", f"bench.{name}", *sys.argv[1:]],
            capture_output=True,
            text=True,
            check=False,
        )
        print(result.stdout, end="", flush=True)
        failures += result.returncode != 0
        outcome = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        sections += [
            f"## {name} ({outcome}, {time.perf_counter() - started:.0f} s)",
            "",
            "```",
            result.stdout.strip(),
        ]
        if result.returncode != 0:
            sections += [result.stderr.strip()[-2000:]]
        sections += ["```", ""]
    results = folder / "results"
    results.mkdir(exist_ok=True)
    report = results / f"{now:%Y-%m-%d}.md"
    report.write_text("\n".join(sections))
    print(f"\nreport: {report}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
