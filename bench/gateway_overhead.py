"""What the gateway costs per request: registry alone vs registry behind the gateway, same run.

Starts the registry and the gateway as uvicorn subprocesses on free ports (SQLite, areas loaded), makes a
village API key, then measures ``GET /v1/areas/33.75``:
- latency: sequential requests on a keep-alive connection, alternating direct and gateway, p50/p95;
- throughput: ``--concurrency`` clients hammering each target for the same number of requests.
Direct calls carry the principal header the gateway would send. DESIGN §9 target: the gateway adds
≤ 1 ms p50 and keeps ≥ 70 % of the direct throughput.

    .venv/bin/python -m bench.gateway_overhead                  # 2,000 requests per target
    .venv/bin/python -m bench.gateway_overhead --requests 50    # small-scale smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
import httpx

from gateway import credentials
from services.common.db import Database, create_db_engine
from services.common.migrations import upgrade
from services.common.principal import PRINCIPAL_HEADER, Principal, PrincipalKind, encode_principal
from services.common.settings import DEFAULT_INTERNAL_SECRET
from services.common.wilayah import iter_reference_areas

PATH = "/v1/areas/33.75"
VILLAGE = "33.75.01.1002"


@dataclass(frozen=True)
class Figures:
    requests: int
    concurrency: int
    direct_p50_ms: float
    direct_p95_ms: float
    gateway_p50_ms: float
    gateway_p95_ms: float
    added_p50_ms: float
    direct_rps: float
    gateway_rps: float
    throughput_ratio: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@contextmanager
def _server(module: str, env: dict[str, str], workers: int = 1) -> Iterator[str]:
    port = _free_port()
    command = [
        sys.executable, "-m", "uvicorn", module, "--factory", "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "--log-level", "warning", "--workers", str(workers),
    ]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _prepare(directory: Path, small: bool) -> tuple[str, str, str]:
    registry_url = f"sqlite:///{directory / 'registry.db'}"
    gateway_url = f"sqlite:///{directory / 'gateway.db'}"
    upgrade("registry", registry_url)
    upgrade("gateway", gateway_url)
    from services.registry.areas import load_areas

    engine = create_db_engine(registry_url)
    try:
        records = iter_reference_areas()
        load_areas(engine, [r for r in records if r.code.startswith("33")] if small else None)
    finally:
        engine.dispose()
    database = Database(gateway_url)
    try:
        with database.sessions.begin() as session:
            key = credentials.create_api_key(session, VILLAGE, "bench").key
    finally:
        database.dispose()
    return registry_url, gateway_url, key


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _latencies(direct: str, gateway: str, key: str, requests: int) -> tuple[list[float], list[float]]:
    secret = os.environ.get("SASAR_INTERNAL_SECRET", DEFAULT_INTERNAL_SECRET)
    principal = Principal(kind=PrincipalKind.village, subject="bench", villages=frozenset({VILLAGE}))
    direct_times: list[float] = []
    gateway_times: list[float] = []
    with httpx.Client(base_url=direct) as to_direct, httpx.Client(base_url=gateway) as to_gateway:
        direct_headers = {PRINCIPAL_HEADER: encode_principal(principal, secret)}
        gateway_headers = {"Authorization": f"Bearer {key}"}
        for _ in range(20):  # warm both paths (connections, key cache, SQLite pages)
            to_direct.get(PATH, headers=direct_headers).raise_for_status()
            to_gateway.get(PATH, headers=gateway_headers).raise_for_status()
        minted = time.monotonic()
        for _ in range(requests):
            if time.monotonic() - minted > 30:  # principal tokens live 60 s
                direct_headers = {PRINCIPAL_HEADER: encode_principal(principal, secret)}
                minted = time.monotonic()
            started = time.perf_counter()
            to_direct.get(PATH, headers=direct_headers).raise_for_status()
            direct_times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            to_gateway.get(PATH, headers=gateway_headers).raise_for_status()
            gateway_times.append((time.perf_counter() - started) * 1000)
    return direct_times, gateway_times


async def _throughput(url: str, headers: dict[str, str], requests: int, concurrency: int) -> float:
    remaining = requests

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            async with session.get(url + PATH, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{url}{PATH} answered {response.status}")

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


def run(requests: int = 2000, concurrency: int = 16, *, small: bool = False) -> Figures:
    secret = os.environ.get("SASAR_INTERNAL_SECRET", DEFAULT_INTERNAL_SECRET)
    with tempfile.TemporaryDirectory(prefix="sasar-bench-") as tmp:
        registry_db, gateway_db, key = _prepare(Path(tmp), small)
        common = {"SASAR_LOG_LEVEL": "WARNING", "SASAR_INTERNAL_SECRET": secret}
        with _server(
            "services.registry.main:create_app", {**common, "SASAR_REGISTRY_DATABASE_URL": registry_db}
        ) as direct:
            gateway_env = {
                **common,
                "SASAR_GATEWAY_DATABASE_URL": gateway_db,
                "SASAR_GATEWAY_REGISTRY_URL": direct,
                "SASAR_GATEWAY_RATE_LIMIT_VILLAGE": "100000000/minute",  # measure the path, not the limit
            }
            with _server("gateway.main:create_app", gateway_env) as gateway:
                direct_times, gateway_times = _latencies(direct, gateway, key, requests)
                principal = Principal(
                    kind=PrincipalKind.village, subject="bench", villages=frozenset({VILLAGE})
                )
                direct_headers = {PRINCIPAL_HEADER: encode_principal(principal, secret)}
                direct_rps = asyncio.run(_throughput(direct, direct_headers, requests, concurrency))
                gateway_rps = asyncio.run(
                    _throughput(gateway, {"Authorization": f"Bearer {key}"}, requests, concurrency)
                )
    direct_p50 = statistics.median(direct_times)
    gateway_p50 = statistics.median(gateway_times)
    return Figures(
        requests=requests,
        concurrency=concurrency,
        direct_p50_ms=round(direct_p50, 3),
        direct_p95_ms=round(_percentile(direct_times, 0.95), 3),
        gateway_p50_ms=round(gateway_p50, 3),
        gateway_p95_ms=round(_percentile(gateway_times, 0.95), 3),
        added_p50_ms=round(gateway_p50 - direct_p50, 3),
        direct_rps=round(direct_rps, 1),
        gateway_rps=round(gateway_rps, 1),
        throughput_ratio=round(gateway_rps / direct_rps, 3),
    )


def main(argv: list[str] | None = None) -> Figures:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requests", type=int, default=2000, help="requests per target (latency and throughput)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients for throughput")
    parser.add_argument("--small", action="store_true", help="load only province 33's areas (quick setup)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    figures = run(args.requests, args.concurrency, small=args.small)
    if args.json:
        print(json.dumps(asdict(figures)))
    else:
        print(f"GET {PATH} with a village API key, {figures.requests} requests per target")
        print(f"  direct   p50 {figures.direct_p50_ms:7.3f} ms   p95 {figures.direct_p95_ms:7.3f} ms")
        print(f"  gateway  p50 {figures.gateway_p50_ms:7.3f} ms   p95 {figures.gateway_p95_ms:7.3f} ms")
        print(f"  added by the gateway (p50): {figures.added_p50_ms:.3f} ms   (target ≤ 1 ms)")
        print(
            f"  throughput at {figures.concurrency} clients: direct {figures.direct_rps:.0f} req/s, "
            f"gateway {figures.gateway_rps:.0f} req/s, ratio {figures.throughput_ratio:.2f} (target ≥ 0.70)"
        )
    return figures


if __name__ == "__main__":
    main()
