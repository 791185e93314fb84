"""The ``sasar`` command: run the system, migrate databases, load reference data, manage credentials."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from sasar import jobs_cli
from sasar.billing_cli import app as billing_app
from sasar.keys_cli import app as keys_app
from sasar.ports import DEFAULT_BASE_PORT, PortPlanError, busy_port_report, port_plan
from services.common.health import INSTANCE_HEADER, INSTANCE_TOKEN_ENV
from services.common.migrations import COMPONENTS, upgrade
from services.common.settings import ComponentSettings

app = typer.Typer(help="Sasar: village workers' social security backend.", no_args_is_help=True)
areas_app = typer.Typer(help="Area reference data (kode wilayah).", no_args_is_help=True)
app.add_typer(areas_app, name="areas")
app.add_typer(keys_app, name="keys")
app.add_typer(billing_app, name="billing")
app.command()(jobs_cli.worker)
app.command()(jobs_cli.scheduler)


def component_settings(component: str) -> ComponentSettings:
    if component == "registry":
        from services.registry.config import RegistrySettings

        return RegistrySettings()
    if component == "funding":
        from services.funding.config import FundingSettings

        return FundingSettings()
    if component == "outreach":
        from services.outreach.config import OutreachSettings

        return OutreachSettings()
    if component == "webhooks":
        from services.webhooks.config import WebhooksSettings

        return WebhooksSettings()
    if component == "gateway":
        from gateway.config import GatewaySettings

        return GatewaySettings()
    raise typer.BadParameter(f"unknown component {component!r}")


@app.command()
def migrate(
    component: Annotated[
        list[str] | None, typer.Option("--component", "-c", help="Only these components (repeatable)")
    ] = None,
) -> None:
    """Upgrade each component's database to the head of its migration branch."""
    for name in component or list(COMPONENTS):
        settings = component_settings(name)
        started = time.perf_counter()
        upgrade(name, settings.database_url)
        typer.echo(f"migrated {name:<9} ({time.perf_counter() - started:.2f} s)")


@areas_app.command("load")
def areas_load() -> None:
    """Load the shipped area table (38 provinces … 83,762 villages) into the registry; idempotent."""
    from services.common.db import Database
    from services.registry.areas import load_areas
    from services.registry.config import RegistrySettings

    database = Database(RegistrySettings().database_url)
    try:
        report = load_areas(database.engine)
    finally:
        database.dispose()
    typer.echo(
        f"areas: {report.total} in the reference table, {report.inserted} inserted, "
        f"{report.updated} updated, in {report.seconds:.2f} s ({database.dialect})"
    )


EVENT_SOURCES = ("registry", "funding", "outreach")


@app.command()
def relay() -> None:
    """Deliver the services' outboxes (domain events) to their subscribers until stopped.

    Embedded transport by default (each service's /internal/events); NATS JetStream when
    SASAR_EVENT_BROKER=nats://… is set. Run several on PostgreSQL to share the work.
    """
    import asyncio
    import logging

    from services.common.logging import configure_logging
    from services.common.relay import RelaySettings, run_relay

    settings = RelaySettings()
    configure_logging(settings.log_level, json=settings.log_json)
    # One line per delivery is noise: the relay logs failures and the outbox lag itself.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    urls = {name: component_settings(name).database_url for name in EVENT_SOURCES}

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_relay(settings, urls, stop)

    asyncio.run(main())


@dataclass(frozen=True)
class _Process:
    name: str
    module: str


# Services first, so the gateway finds them when it starts.
_PROCESSES = (
    _Process("registry", "services.registry.main:create_app"),
    _Process("funding", "services.funding.main:create_app"),
    _Process("outreach", "services.outreach.main:create_app"),
    _Process("webhooks", "services.webhooks.main:create_app"),
    _Process("gateway", "gateway.main:create_app"),
)
READY_TIMEOUT_SECONDS = 60.0


def probe_host(host: str) -> str:
    """Where to reach a server bound to ``host`` from this machine."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def base_url(host: str, port: int) -> str:
    address = probe_host(host)
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"


def child_environment(base: dict[str, str], host: str, ports: dict[str, int]) -> dict[str, str]:
    """The environment every started process shares: each component's URL follows the chosen ports.

    Set, not defaulted: the processes `sasar up` starts must find each other, whatever a shell
    exported for some other deployment."""
    env = dict(base)
    urls = {name: base_url(host, port) for name, port in ports.items()}
    for service in ("registry", "funding", "outreach", "webhooks"):
        env[f"SASAR_GATEWAY_{service.upper()}_URL"] = urls[service]
        env[f"SASAR_RELAY_{service.upper()}_URL"] = urls[service]
    env["SASAR_FUNDING_REGISTRY_URL"] = urls["registry"]
    env["SASAR_OUTREACH_REGISTRY_URL"] = urls["registry"]
    env["SASAR_REGISTRY_OUTREACH_URL"] = urls["outreach"]
    if ports["gateway"] != DEFAULT_BASE_PORT:
        # Problem type URIs default to :8000; point them at the gateway actually running.
        env.setdefault("SASAR_PUBLIC_BASE_URL", urls["gateway"])
    # The demo's receivers run on this machine; production leaves private targets refused.
    env.setdefault("SASAR_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "127.0.0.1/32")
    return env


def answers_as(url: str, token: str) -> bool:
    """Whether ``url``/healthz is answered by the process started with ``token`` (not just anyone)."""
    if not token:  # an empty token is what every process not started by us "proves"
        return False
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            return response.status == 200 and secrets.compare_digest(
                response.headers.get(INSTANCE_HEADER, ""), token
            )
    except (urllib.error.URLError, OSError):
        return False


def _answers_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=5) as response:
            status: int = response.status
            return status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_ready(
    servers: dict[str, tuple[str, str]],
    children: dict[str, subprocess.Popen[bytes]],
    timeout: float,
    *,
    stopping: Callable[[], bool] = lambda: False,
) -> str | None:
    """Wait until each of ``servers`` (name → (url, instance token)) answers as the process we started
    and the gateway (the last) reports every component ready. ``None`` when ready, else why not."""
    deadline = time.monotonic() + timeout
    gateway_url = next(reversed(servers.values()))[0]
    pending = dict(servers)
    while not stopping():
        for name, child in children.items():
            if child.poll() is not None:
                return f"{name} exited (code {child.returncode}) before the system was ready"
        for name, (url, token) in list(pending.items()):
            if answers_as(url, token):
                del pending[name]
        if not pending and _answers_ready(gateway_url):
            return None
        if time.monotonic() > deadline:
            if pending:
                names = ", ".join(f"{name} ({url})" for name, (url, _) in pending.items())
                return (
                    f"not ready within {timeout:.0f} s: no answer from the process started for {names}; "
                    "if something answers there, it is not the process `sasar up` started"
                )
            return f"not ready within {timeout:.0f} s: {gateway_url}/readyz reports a component not ready"
        time.sleep(0.3)
    return "stopped before the system was ready"


def _stop_all(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    for child in children.values():
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def proxy_header_args(trusted: str) -> list[str]:
    """uvicorn flags for ``SASAR_FORWARDED_ALLOW_IPS``: proxy headers are believed only from those
    addresses. Empty (the default) believes nobody: uvicorn's own default trusts 127.0.0.1, so any
    local process could rotate ``X-Forwarded-For`` past the per-address limits."""
    trusted = trusted.strip()
    if not trusted:
        return ["--no-proxy-headers"]
    return ["--proxy-headers", "--forwarded-allow-ips", trusted]


PortOption = Annotated[int | None, typer.Option(min=1, max=65535, show_default="base port + offset")]


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    base_port: Annotated[
        int,
        typer.Option(
            min=1, max=65531, help="gateway at N, registry N+1, funding N+2, outreach N+3, webhooks N+4"
        ),
    ] = DEFAULT_BASE_PORT,
    gateway_port: PortOption = None,
    registry_port: PortOption = None,
    funding_port: PortOption = None,
    outreach_port: PortOption = None,
    webhooks_port: PortOption = None,
    workers: Annotated[int, typer.Option(help="uvicorn workers per component")] = 1,
    skip_setup: Annotated[bool, typer.Option(help="Do not migrate or load areas first")] = False,
) -> None:
    """Migrate, load areas, then run the gateway and the four services (ports from --base-port, 8000 by
    default, or one option per component), the event relay, job workers, the webhook deliverer and the
    scheduler until Ctrl-C. Refuses to start when a port is taken; says ready only when the processes it
    started answer."""
    overrides = {
        "gateway": gateway_port,
        "registry": registry_port,
        "funding": funding_port,
        "outreach": outreach_port,
        "webhooks": webhooks_port,
    }
    try:
        ports = port_plan(base_port, overrides)
    except PortPlanError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    busy = busy_port_report(host, ports)
    if busy:
        typer.echo("Sasar cannot start: " + "\n  ".join(["", *busy]), err=True)
        typer.echo("(or choose other ports: --base-port N, or --gateway-port … per component)", err=True)
        raise typer.Exit(3)
    if not skip_setup:
        migrate(None)
        areas_load()
    env = child_environment(dict(os.environ), host, ports)
    children: dict[str, subprocess.Popen[bytes]] = {}
    servers: dict[str, tuple[str, str]] = {}
    for process in _PROCESSES:
        token = secrets.token_urlsafe(24)
        command = [
            sys.executable, "-m", "uvicorn", process.module, "--factory",
            "--host", host, "--port", str(ports[process.name]), "--workers", str(workers),
            "--no-access-log", "--log-level", "warning",
            *proxy_header_args(env.get("SASAR_FORWARDED_ALLOW_IPS", "")),
        ]  # fmt: skip
        children[process.name] = subprocess.Popen(command, env={**env, INSTANCE_TOKEN_ENV: token})
        servers[process.name] = (base_url(host, ports[process.name]), token)
    # The event relay: delivers each service's outbox to the others (payments → coverage, …).
    children["relay"] = subprocess.Popen([sys.executable, "-m", "sasar.cli", "relay"], env=env)
    # The job workers (one per service that has jobs) and the scheduler (one active per deployment).
    for component in (*jobs_cli.JOB_COMPONENTS, "webhooks"):
        worker_command = [sys.executable, "-m", "sasar.cli", "worker", "--component", component]
        children[f"{component} worker"] = subprocess.Popen(worker_command, env=env)
    children["scheduler"] = subprocess.Popen([sys.executable, "-m", "sasar.cli", "scheduler"], env=env)

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    not_ready = wait_until_ready(servers, children, READY_TIMEOUT_SECONDS, stopping=lambda: stopping)
    if not_ready is None:
        gateway = servers["gateway"][0]
        others = "   ".join(f"{name} {servers[name][0]}" for name in ("registry", "funding", "outreach"))
        typer.echo(
            "\nSasar is ready.\n"
            f"  gateway   {gateway}   (API docs: {gateway}/docs)\n"
            f"  {others}\n"
            f"  webhooks {servers['webhooks'][0]}\n"
            f"  try:      curl {gateway}/v1/areas/33.75/children\n"
            f"  first key: {Path(sys.executable).with_name('sasar')} keys create-village 33.26.15.2001\n"
            "Ctrl-C stops everything."
        )
    elif not stopping:
        typer.echo(f"Sasar did not start: {not_ready}; stopping the others (see the logs above).", err=True)
        code = 1
        stopping = True
    while not stopping:
        exited = [name for name, child in children.items() if child.poll() is not None]
        if exited:
            typer.echo(f"{', '.join(exited)} exited; stopping the others", err=True)
            code = 1
            break
        time.sleep(0.3)
    _stop_all(children)
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
