"""The benchmark report: from results in the common shape, met and missed goals are said as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench._report import NOT_PROFILED, RESULTS_ENV, BenchResult, Goal, emit, load, render

BILLING_GOAL = Goal("<= 1.3x the raw INSERT ... SELECT", "ratio", "<=", 1.3)
ADDED = Goal("adds <= 0.5 ms at p50", "difference", "<=", 0.5, " ms")
THROUGHPUT = Goal(">= 80 % of direct throughput", "ratio", ">=", 0.8)


def billing(seconds: float, reason: str = "") -> BenchResult:
    return BenchResult(
        name="national billing run",
        figure=seconds,
        unit="s",
        baseline=167.0,
        baseline_label="raw INSERT ... SELECT",
        goal=BILLING_GOAL,
        reason=reason,
        scale="83,762 villages x 100 workers",
    )


def test_a_ratio_within_its_goal_is_met() -> None:
    result = billing(200.0)
    assert result.ratio == pytest.approx(200 / 167)
    assert (result.met, result.verdict()) == (True, "met")


def test_a_missed_ratio_says_by_how_much_and_why() -> None:
    result = billing(232.0, reason="line pricing CASE evaluated per row")
    assert result.met is False
    assert result.verdict() == (
        "misses by 0.09x (1.39x against <= 1.3x): line pricing CASE evaluated per row"
    )
    assert billing(232.0).verdict().endswith(NOT_PROFILED)  # no profile: says so, invents no reason


def test_latency_goals_compare_the_added_time_and_throughput_goals_a_floor() -> None:
    slow = BenchResult("gateway p50", 2.5, "ms", baseline=1.5, baseline_label="direct", goal=ADDED)
    fast = BenchResult("gateway p50", 1.8, "ms", baseline=1.5, baseline_label="direct", goal=ADDED)
    assert slow.verdict() == f"misses by 0.50 ms (1.00 ms against <= 0.5 ms): {NOT_PROFILED}"
    assert fast.verdict() == "met"
    short = BenchResult(
        "gateway req/s", 700, "req/s", baseline=1000, baseline_label="direct", goal=THROUGHPUT
    )
    assert short.verdict().startswith("misses by 0.10x (0.70x against >= 0.8x)")
    enough = BenchResult("gateway req/s", 850, "req/s", baseline=1000, goal=THROUGHPUT)
    assert enough.met is True


def test_figures_without_a_goal_are_recorded_not_judged() -> None:
    relay = BenchResult("event relay p99", 41.0, "ms", reason="p50 12.0 ms")
    assert relay.met is None
    assert relay.verdict() == "no goal set (figure recorded); p50 12.0 ms"
    no_baseline = BenchResult("gateway p50", 2.0, "ms", goal=ADDED)
    assert no_baseline.verdict() == "not measured (no baseline)"


def test_the_report_has_one_row_per_result_and_lists_failures() -> None:
    text = render(
        ["# Benchmarks", "- machine: 2 cores, PostgreSQL 16.4"],
        [billing(200.0), billing(232.0, reason="profiled: pricing")],
        failures=["`event_relay` exit 1: NATS not reachable"],
    )
    lines = text.splitlines()
    assert lines[:2] == ["# Benchmarks", "- machine: 2 cores, PostgreSQL 16.4"]
    rows = [line for line in lines if line.startswith("| national billing run")]
    assert len(rows) == 2
    assert rows[0].endswith("| 1.20 | <= 1.3x the raw INSERT ... SELECT | met |")
    assert "200 s" in rows[0] and "167 s (raw INSERT ... SELECT)" in rows[0]
    assert rows[1].endswith("| misses by 0.09x (1.39x against <= 1.3x): profiled: pricing |")
    assert "- `event_relay` exit 1: NATS not reachable" in lines


def test_emitted_results_reach_the_runner_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "results.jsonl"
    monkeypatch.setenv(RESULTS_ENV, str(store))
    results = [billing(232.0, reason="why"), BenchResult("sync", 80.0, "ms", baseline=20.0)]
    for result in results:
        emit(result)
    assert load(store) == results
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("national billing run: 232 s | baseline 167 s")
    assert printed[0].endswith("misses by 0.09x (1.39x against <= 1.3x): why")


def test_the_days_report_keeps_each_benchmarks_latest_run_and_its_commit() -> None:
    from bench.__main__ import render_runs

    def run(commit: str, result: BenchResult | None, failure: str | None = None) -> dict[str, object]:
        return {
            "commit": commit,
            "finished_at": "2026-11-29 07:00 UTC",
            "seconds": 3,
            "args": ["--rows", "10"],
            "results": [] if result is None else [result.to_json()],
            "failure": failure,
            "stdout": f"output of {commit}",
        }

    runs = {
        # Stored in the order they were (re)run; the report keeps the runner's order.
        "registry_import": run("bbb2222", billing(150.0)),
        "billing_run": run("aaa1111", billing(232.0)),
        "event_relay": run("bbb2222", None, failure="`event_relay` exit 1: boom"),
    }
    report = render_runs(["# Benchmarks"], runs)
    sections = [line for line in report.splitlines() if line.startswith("### ")]
    assert [s.split()[1] for s in sections] == ["billing_run", "registry_import", "event_relay"]
    assert "commit `aaa1111`" in sections[0] and "commit `bbb2222`" in sections[1]
    assert "FAILED" in sections[2]
    assert "`event_relay` exit 1: boom" in report
    assert report.count("| national billing run |") == 2
