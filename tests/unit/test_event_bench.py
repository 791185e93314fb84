"""The event relay bench runs tiny here so it cannot rot."""

from __future__ import annotations

from bench import event_relay


def test_event_relay_bench_small() -> None:
    result = event_relay.run(events=40, backend="sqlite", transport="embedded", rate=400.0)
    assert result.events == 40 and result.burst_seconds > 0 and result.direct_seconds > 0
    assert 0 < result.latency_p50_ms <= result.latency_p99_ms
