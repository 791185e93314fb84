"""The outreach benches run tiny here so they cannot rot."""

from __future__ import annotations

from bench import outreach_progress, outreach_sync


def test_sync_bench_small() -> None:
    result = outreach_sync.run(items=40, backend="sqlite")
    assert result.items == 40 and result.app_seconds > 0 and result.raw_seconds > 0
    assert result.items_per_second > 0 and result.ratio > 0


def test_progress_bench_small() -> None:
    result = outreach_progress.run(leads=300, backend="sqlite", repeat=1)
    # 83,762 villages x 100, plus 50 more for every hundredth village (838 of them at 150).
    assert result.target == 100 * 83_762 + 50 * 838
    assert result.total_leads == 300 and result.ratio > 0
