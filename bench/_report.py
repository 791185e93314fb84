"""The one shape every benchmark reports in, and the report ``python -m bench`` writes from it.

A benchmark module prints what it likes, and calls :func:`emit` once per figure. When the runner set
``SASAR_BENCH_RESULTS``, each result is appended there as one JSON line; the runner reads them back and
renders one table: figure, same-run baseline, ratio, the goal of issue 14, and "met" or by how much it
misses and why.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

RESULTS_ENV = "SASAR_BENCH_RESULTS"
NOT_PROFILED = "not profiled in this run"


@dataclass(frozen=True)
class Goal:
    """``on`` (the ratio, the figure itself, or figure - baseline) compared with ``limit`` by ``op``."""

    text: str
    on: Literal["ratio", "figure", "difference"]
    op: Literal["<=", ">="]
    limit: float
    unit: str = "x"


@dataclass(frozen=True)
class BenchResult:
    name: str
    figure: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    goal: Goal | None = None
    # Why a goal is missed (what the profile showed), or a note on the figure.
    reason: str = ""
    scale: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.figure / self.baseline

    def measured(self) -> float | None:
        """The value the goal is about."""
        if self.goal is None:
            return None
        if self.goal.on == "figure":
            return self.figure
        if self.goal.on == "ratio":
            return self.ratio
        return None if self.baseline is None else self.figure - self.baseline

    @property
    def met(self) -> bool | None:
        value = self.measured()
        if self.goal is None or value is None:
            return None
        return value <= self.goal.limit if self.goal.op == "<=" else value >= self.goal.limit

    def verdict(self) -> str:
        if self.goal is None:
            return "no goal set (figure recorded)" + (f"; {self.reason}" if self.reason else "")
        value = self.measured()
        if value is None:
            return "not measured (no baseline)"
        if self.met:
            return "met"
        shortfall = value - self.goal.limit if self.goal.op == "<=" else self.goal.limit - value
        unit = self.goal.unit
        return (
            f"misses by {shortfall:.2f}{unit} ({value:.2f}{unit} against {self.goal.op} "
            f"{self.goal.limit:g}{unit}): {self.reason or NOT_PROFILED}"
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, line: str) -> BenchResult:
        values: dict[str, Any] = json.loads(line)
        goal = values.pop("goal")
        return cls(**values, goal=None if goal is None else Goal(**goal))


def emit(result: BenchResult) -> None:
    """Hand ``result`` to the runner (a no-op when the module runs on its own), and print its line."""
    print(line(result), flush=True)
    target = os.environ.get(RESULTS_ENV)
    if target:
        with Path(target).open("a", encoding="utf-8") as file:
            file.write(result.to_json() + "\n")


def load(path: Path) -> list[BenchResult]:
    if not path.exists():
        return []
    return [BenchResult.from_json(text) for text in path.read_text(encoding="utf-8").splitlines() if text]


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    return f"{text} {unit}".rstrip()


def line(result: BenchResult) -> str:
    """One printed line: name, figure, baseline, ratio, verdict."""
    parts = [f"{result.name}: {_number(result.figure, result.unit)}"]
    if result.baseline is not None:
        parts.append(f"baseline {_number(result.baseline, result.unit)} ({result.baseline_label})")
    if result.ratio is not None:
        parts.append(f"ratio {result.ratio:.2f}")
    if result.goal is not None:
        parts.append(f"goal {result.goal.text}")
    parts.append(result.verdict())
    return " | ".join(parts)


def render(header: Sequence[str], results: Iterable[BenchResult], failures: Sequence[str] = ()) -> str:
    """The Markdown report: ``header`` lines, the results table, then the benchmarks that failed."""
    rows = [
        "| benchmark | scale | figure | same-run baseline | ratio | goal | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        baseline = "-" if r.baseline is None else f"{_number(r.baseline, r.unit)} ({r.baseline_label})"
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        goal = "-" if r.goal is None else r.goal.text
        cells = [r.name, r.scale or "-", _number(r.figure, r.unit), baseline, ratio, goal, r.verdict()]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    text = [*header, "", *rows, ""]
    if failures:
        text += ["## Benchmarks that failed", "", *(f"- {f}" for f in failures), ""]
    return "\n".join(text)
