"""The gateway's cost at 1, 16 and 64 concurrent clients, with 1 and N uvicorn workers (issue 14).

For each number of workers (1 and the machine's cores), the registry and the gateway run as uvicorn
subprocesses with that many workers (SQLite, areas loaded, a village API key). For each number of
clients, ``GET /v1/areas/33.75`` is sent by that many concurrent clients straight to the registry (with the
principal header the gateway would send) and through the gateway: p50 latency and requests/s of each,
same run. Goals: the gateway adds ≤ 0.5 ms at p50 and keeps ≥ 80 % of the direct throughput.

    .venv/bin/python -m bench.gateway_matrix                                   # 2,000 requests per cell
    .venv/bin/python -m bench.gateway_matrix --requests 40 --clients 1,4 --small  # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench._report import BenchResult, Goal, emit
from bench.gateway_overhead import PATH, VILLAGE, _prepare, _server
from services.common.principal import PRINCIPAL_HEADER, Principal, PrincipalKind, encode_principal
from services.common.settings import DEFAULT_INTERNAL_SECRET

ADDED_P50 = Goal("adds <= 0.5 ms at p50", "difference", "<=", 0.5, " ms")
THROUGHPUT = Goal(">= 80 % of direct throughput (ratio >= 0.80)", "ratio", ">=", 0.8)


# What py-spy showed of the gateway under 16 clients (2026-11-29), said when a goal is missed.
GATEWAY_PROFILE = (
    "profiled (py-spy, 16 clients): the proxied call is a second HTTP hop on loopback, parsed and framed "
    "twice; of the gateway's CPU ~55% is uvicorn/Starlette's request cycle and middleware chain "
    "(request id, security headers, path guard, metrics, error handling), ~15% the aiohttp upstream call, "
    "<3% authentication. On 2 cores the load generator, gateway and registry "
    "share the CPUs, so each gateway CPU-ms is taken from the registry's throughput"
)


@dataclass(frozen=True)
class Cell:
    workers: int
    clients: int
    requests: int
    direct_p50_ms: float
    gateway_p50_ms: float
    direct_rps: float
    gateway_rps: float


async def _load(url: str, headers: dict[str, str], requests: int, clients: int) -> tuple[float, float]:
    """``requests`` GETs by ``clients`` concurrent clients: (p50 latency in ms, requests per second)."""
    remaining = requests
    latencies: list[float] = []

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            async with session.get(url + PATH, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{url}{PATH} answered {response.status}")
            latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        for _ in range(max(10, clients)):  # warm: connections, key cache, SQLite pages
            async with session.get(url + PATH, headers=headers) as response:
                await response.read()
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return statistics.median(latencies), requests / elapsed


def run(requests: int, clients: list[int], workers: list[int], *, small: bool = False) -> list[Cell]:
    secret = os.environ.get("SASAR_INTERNAL_SECRET", DEFAULT_INTERNAL_SECRET)
    principal = Principal(kind=PrincipalKind.village, subject="bench", villages=frozenset({VILLAGE}))
    cells: list[Cell] = []
    with tempfile.TemporaryDirectory(prefix="sasar-bench-") as tmp:
        registry_db, gateway_db, key = _prepare(Path(tmp), small)
        common = {"SASAR_LOG_LEVEL": "WARNING", "SASAR_INTERNAL_SECRET": secret}
        for count in workers:
            registry_env = {**common, "SASAR_REGISTRY_DATABASE_URL": registry_db}
            with _server("services.registry.main:create_app", registry_env, count) as direct:
                gateway_env = {
                    **common,
                    "SASAR_GATEWAY_DATABASE_URL": gateway_db,
                    "SASAR_GATEWAY_REGISTRY_URL": direct,
                    "SASAR_GATEWAY_RATE_LIMIT_VILLAGE": "100000000/minute",  # the path, not the limit
                }
                with _server("gateway.main:create_app", gateway_env, count) as gateway:
                    for n in clients:
                        # Principal tokens live 60 s: a fresh one per cell.
                        direct_headers = {PRINCIPAL_HEADER: encode_principal(principal, secret)}
                        d_p50, d_rps = asyncio.run(_load(direct, direct_headers, requests, n))
                        g_p50, g_rps = asyncio.run(
                            _load(gateway, {"Authorization": f"Bearer {key}"}, requests, n)
                        )
                        cells.append(Cell(count, n, requests, d_p50, g_p50, d_rps, g_rps))
    return cells


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def main(argv: list[str] | None = None) -> list[Cell]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="requests per target and cell")
    parser.add_argument("--clients", type=_ints, default=[1, 16, 64], help="comma-separated client counts")
    cores = os.cpu_count() or 1
    parser.add_argument(
        "--workers", type=_ints, default=sorted({1, cores}), help="comma-separated uvicorn worker counts"
    )
    parser.add_argument("--small", action="store_true", help="load only province 33's areas (quick setup)")
    args = parser.parse_args(argv)
    cells = run(args.requests, args.clients, args.workers, small=args.small)
    for c in cells:
        scale = f"{c.requests:,} requests, {c.clients} clients, {c.workers} worker(s)"
        label = f"gateway, {c.clients} clients, {c.workers} worker(s)"
        emit(
            BenchResult(
                name=f"{label}, p50 latency",
                figure=c.gateway_p50_ms,
                unit="ms",
                baseline=c.direct_p50_ms,
                baseline_label="registry called directly",
                goal=ADDED_P50,
                reason=GATEWAY_PROFILE,
                scale=scale,
            )
        )
        emit(
            BenchResult(
                name=f"{label}, throughput",
                figure=c.gateway_rps,
                unit="req/s",
                baseline=c.direct_rps,
                baseline_label="registry called directly",
                goal=THROUGHPUT,
                reason=GATEWAY_PROFILE,
                scale=scale,
            )
        )
    return cells


if __name__ == "__main__":
    main()
