"""The ``sasar`` command: run the system, migrate databases, load reference data, manage credentials."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Annotated

import typer

from sasar import jobs_cli
from sasar.billing_cli import app as billing_app
from sasar.keys_cli import app as keys_app
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
    port: int


_PROCESSES = (
    _Process("registry", "services.registry.main:create_app", 8001),
    _Process("funding", "services.funding.main:create_app", 8002),
    _Process("outreach", "services.outreach.main:create_app", 8003),
    _Process("webhooks", "services.webhooks.main:create_app", 8004),
    _Process("gateway", "gateway.main:create_app", 8000),
)


def _wait_ready(url: str, timeout: float, children: list[subprocess.Popen[bytes]]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    return False


def proxy_header_args(trusted: str) -> list[str]:
    """uvicorn flags for ``SASAR_FORWARDED_ALLOW_IPS``: proxy headers are believed only from those
    addresses. Empty (the default) believes nobody: uvicorn's own default trusts 127.0.0.1, so any
    local process could rotate ``X-Forwarded-For`` past the per-address limits."""
    trusted = trusted.strip()
    if not trusted:
        return ["--no-proxy-headers"]
    return ["--proxy-headers", "--forwarded-allow-ips", trusted]


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    workers: Annotated[int, typer.Option(help="uvicorn workers per component")] = 1,
    skip_setup: Annotated[bool, typer.Option(help="Do not migrate or load areas first")] = False,
) -> None:
    """Migrate, load areas, then run gateway (:8000), services (:8001-8004), the event relay, job workers,
    the webhook deliverer and the scheduler until Ctrl-C."""
    if not skip_setup:
        migrate(None)
        areas_load()
    env = dict(os.environ)
    env.setdefault("SASAR_GATEWAY_REGISTRY_URL", "http://127.0.0.1:8001")
    env.setdefault("SASAR_GATEWAY_FUNDING_URL", "http://127.0.0.1:8002")
    env.setdefault("SASAR_GATEWAY_OUTREACH_URL", "http://127.0.0.1:8003")
    env.setdefault("SASAR_GATEWAY_WEBHOOKS_URL", "http://127.0.0.1:8004")
    # The demo's receivers run on this machine; production leaves private targets refused.
    env.setdefault("SASAR_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "127.0.0.1/32")
    children: list[subprocess.Popen[bytes]] = []
    for process in _PROCESSES:
        command = [
            sys.executable, "-m", "uvicorn", process.module, "--factory",
            "--host", host, "--port", str(process.port), "--workers", str(workers),
            "--no-access-log", "--log-level", "warning",
            *proxy_header_args(env.get("SASAR_FORWARDED_ALLOW_IPS", "")),
        ]  # fmt: skip
        children.append(subprocess.Popen(command, env=env))
    # The event relay: delivers each service's outbox to the others (payments → coverage, …).
    children.append(subprocess.Popen([sys.executable, "-m", "sasar.cli", "relay"], env=env))
    # The job workers (one per service that has jobs) and the scheduler (one active per deployment).
    for component in (*jobs_cli.JOB_COMPONENTS, "webhooks"):
        worker_command = [sys.executable, "-m", "sasar.cli", "worker", "--component", component]
        children.append(subprocess.Popen(worker_command, env=env))
    children.append(subprocess.Popen([sys.executable, "-m", "sasar.cli", "scheduler"], env=env))

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    if _wait_ready("http://127.0.0.1:8000/readyz", 60, children):
        typer.echo(
            "\nSasar is ready.\n"
            "  gateway   http://127.0.0.1:8000   (API docs: http://127.0.0.1:8000/docs)\n"
            "  registry  http://127.0.0.1:8001   funding http://127.0.0.1:8002   outreach http://127.0.0.1:8003\n"
            "  webhooks  http://127.0.0.1:8004\n"
            "  try:      curl http://127.0.0.1:8000/v1/areas/33.75/children\n"
            "  first key: .venv/bin/sasar keys create-village 33.26.15.2001\n"
            "Ctrl-C stops everything."
        )
    elif not stopping:
        typer.echo("Sasar did not become ready within 60 s; see the logs above.", err=True)
        code = 1
        stopping = True
    while not stopping:
        if any(child.poll() is not None for child in children):
            typer.echo("a component exited; stopping the others", err=True)
            code = 1
            break
        time.sleep(0.3)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
