"""The whole system as real processes (gateway, three services, job workers) for end-to-end tests."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from services.common.wilayah import VillageKind, reference_village_codes, village_kind
from tests.support import TEST_SECRET

COMPONENT_APPS = {
    "registry": "services.registry.main:create_app",
    "funding": "services.funding.main:create_app",
    "outreach": "services.outreach.main:create_app",
    "webhooks": "services.webhooks.main:create_app",
    "gateway": "gateway.main:create_app",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


E2E_TODAY = "2026-11-20"

# Villages handed out by `RunningSystem.fresh_village`: the desa of Kabupaten Pemalang (WIB) outside
# kecamatan 33.26.15, whose villages some tests still name themselves.
FRESH_VILLAGE_POOL = tuple(
    sorted(
        code
        for code in reference_village_codes()
        if code.startswith("33.26.")
        and not code.startswith("33.26.15.")
        and village_kind(code) is VillageKind.desa
    )
)
# Fresh NIKs: a birth date no test names itself (15 March 1985; women's day + 40), a serial per NIK.
_FRESH_NIK_REGION, _FRESH_NIK_BIRTH = "332615", "0385"
FRESH_NIK_BIRTH_DATE = "1985-03-15"


@dataclass
class RunningSystem:
    database_urls: dict[str, str]
    log_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: {name: free_port() for name in COMPONENT_APPS})
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    _villages: Iterator[str] = field(default_factory=lambda: iter(FRESH_VILLAGE_POOL), init=False, repr=False)
    _nik_serials: Iterator[int] = field(default_factory=lambda: itertools.count(1), init=False, repr=False)

    def fresh_village(self) -> str:
        """A village no other test on this system has used: a test that owns its data passes in any order."""
        return next(self._villages)

    def fresh_nik(self, sex: str = "M") -> str:
        """A valid NIK no other test on this system has registered (born 15 March 1985, of ``sex``)."""
        day = "55" if sex == "F" else "15"
        return f"{_FRESH_NIK_REGION}{day}{_FRESH_NIK_BIRTH}{next(self._nik_serials):04d}"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "SASAR_ENV": "test",
                # The business date the flows live on (their agreements are for late 2026), so they do not
                # depend on the day the suite runs.
                "SASAR_TODAY": E2E_TODAY,
                "SASAR_INTERNAL_SECRET": TEST_SECRET,
                "SASAR_LOG_LEVEL": "WARNING",
                "SASAR_GATEWAY_REGISTRY_URL": self.url("registry"),
                "SASAR_GATEWAY_FUNDING_URL": self.url("funding"),
                "SASAR_GATEWAY_OUTREACH_URL": self.url("outreach"),
                "SASAR_GATEWAY_WEBHOOKS_URL": self.url("webhooks"),
                "SASAR_FUNDING_REGISTRY_URL": self.url("registry"),
                "SASAR_OUTREACH_REGISTRY_URL": self.url("registry"),
                "SASAR_REGISTRY_OUTREACH_URL": self.url("outreach"),
                # The issue's own example limit, so the 61st request in a minute is refused.
                "SASAR_GATEWAY_RATE_LIMIT_VILLAGE": "60/minute",
                "SASAR_RELAY_REGISTRY_URL": self.url("registry"),
                "SASAR_RELAY_FUNDING_URL": self.url("funding"),
                "SASAR_RELAY_OUTREACH_URL": self.url("outreach"),
                "SASAR_RELAY_WEBHOOKS_URL": self.url("webhooks"),
                # The tests' receivers listen on loopback.
                "SASAR_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "127.0.0.1/32",
                # A receiver back from a restart is retried within seconds, not minutes.
                "SASAR_RELAY_MAX_BACKOFF_SECONDS": "2",
                "SASAR_RELAY_POLL_INTERVAL_SECONDS": "0.05",
            }
        )
        env.update(self.extra_env)
        for component, url in self.database_urls.items():
            env[f"SASAR_{component.upper()}_DATABASE_URL"] = url
        return env

    def url(self, component: str) -> str:
        return f"http://127.0.0.1:{self.ports[component]}"

    @property
    def gateway(self) -> str:
        return self.url("gateway")

    def start(self, component: str, *, wait: bool = True) -> None:
        log = (self.log_dir / f"{component}.log").open("ab")
        command = [
            sys.executable, "-m", "uvicorn", COMPONENT_APPS[component], "--factory",
            "--host", "127.0.0.1", "--port", str(self.ports[component]), "--log-level", "warning",
        ]  # fmt: skip
        self.processes[component] = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        if wait:
            self.wait_healthy(component)

    def start_relay(self) -> None:
        """``sasar relay``: delivers the services' outboxes (a process, as in production)."""
        log = (self.log_dir / "relay.log").open("ab")
        command = [sys.executable, "-m", "sasar.cli", "relay"]
        self.processes["relay"] = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)

    def wait_healthy(self, component: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[component]
            if process.poll() is not None:
                raise RuntimeError(f"{component} exited: {self.log_tail(component)}")
            try:
                if httpx.get(self.url(component) + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{component} did not start: {self.log_tail(component)}")

    def stop(self, component: str) -> None:
        process = self.processes.pop(component, None)
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def start_worker(self, component: str) -> None:
        """``sasar worker`` for a service with jobs (registry, funding), as ``sasar up`` starts it."""
        name = f"worker-{component}"
        log = (self.log_dir / f"{name}.log").open("ab")
        command = [
            sys.executable, "-m", "sasar.cli", "worker", "--component", component,
            "--poll", "0.3", "--heartbeat", "0.5", "--stale-after", "5",
        ]  # fmt: skip
        self.processes[name] = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)

    def start_all(self) -> None:
        for component in COMPONENT_APPS:
            self.start(component, wait=False)
        for component in ("registry", "funding", "webhooks"):
            self.start_worker(component)
        for component in COMPONENT_APPS:
            self.wait_healthy(component)
        self.start_relay()

    def stop_all(self) -> None:
        for component in list(self.processes):
            self.stop(component)

    def log_tail(self, component: str, lines: int = 30) -> str:
        path = self.log_dir / f"{component}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the ``sasar`` command against this system's databases."""
        return subprocess.run(
            [sys.executable, "-m", "sasar.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def cli_json(self, *args: str) -> Any:
        result = self.cli(*args, "--json")
        assert result.returncode == 0, result.stderr + result.stdout
        return json.loads(result.stdout)
