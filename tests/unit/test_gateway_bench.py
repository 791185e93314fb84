"""The gateway overhead benchmark runs end to end at a tiny scale, so it cannot rot."""

from __future__ import annotations

from bench.gateway_overhead import main


def test_gateway_overhead_bench_small(capsys: object) -> None:
    figures = main(["--requests", "30", "--concurrency", "2", "--small"])
    assert figures.requests == 30
    assert 0 < figures.direct_p50_ms <= figures.direct_p95_ms
    assert 0 < figures.gateway_p50_ms <= figures.gateway_p95_ms
    assert figures.direct_rps > 0
    assert figures.gateway_rps > 0
    assert abs(figures.throughput_ratio - figures.gateway_rps / figures.direct_rps) < 0.01
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "added by the gateway" in out
