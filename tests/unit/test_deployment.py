"""docker-compose.yml describes the production topology; Docker cannot run here, so check it statically."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPONENT_PORTS = {"gateway": 8000, "registry": 8001, "funding": 8002, "outreach": 8003, "webhooks": 8004}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def test_every_component_and_backing_service_is_declared(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "nats", "redis", "migrate", *COMPONENT_PORTS} <= set(services)
    for name in ("postgres", "nats", "redis", *COMPONENT_PORTS):
        assert "healthcheck" in services[name], f"{name} has no health check"


@pytest.mark.parametrize("component", sorted(COMPONENT_PORTS))
def test_component_commands_ports_and_factories(compose: dict[str, Any], component: str) -> None:
    service = compose["services"][component]
    command = service["command"]
    port = COMPONENT_PORTS[component]
    assert command[command.index("--port") + 1] == str(port)
    assert "--factory" in command
    module_name, factory = command[1].split(":")
    assert callable(getattr(importlib.import_module(module_name), factory))
    published = service.get("ports", []) + service.get("expose", [])
    assert any(str(port) in str(entry) for entry in published)
    assert str(port) in " ".join(service["healthcheck"]["test"])
    if component == "gateway":
        assert service["ports"] == ["8000:8000"]  # the one public entry
        assert {"registry", "funding", "outreach", "webhooks"} <= set(service["depends_on"])
    else:
        assert "ports" not in service, "services are reached through the gateway only"
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_one_database_per_component_and_production_profile(compose: dict[str, Any]) -> None:
    environment = compose["services"]["registry"]["environment"]
    assert environment["SASAR_ENV"] == "production"
    databases = {
        component: environment[f"SASAR_{component.upper()}_DATABASE_URL"].rsplit("/", 1)[-1]
        for component in COMPONENT_PORTS
    }
    assert databases == {component: component for component in COMPONENT_PORTS}
    init = (ROOT / "deploy/postgres/init.sql").read_text()
    assert set(re.findall(r"CREATE DATABASE (\w+);", init)) == set(COMPONENT_PORTS)
    # Secrets must be supplied: the file carries no default values for them.
    for key in ("SASAR_INTERNAL_SECRET", "SASAR_GATEWAY_JWT_SECRET"):
        assert environment[key].startswith("${") and ":?" in environment[key]
    assert environment["SASAR_EVENT_BROKER"].startswith("nats://")
    assert environment["SASAR_REDIS_URL"].startswith("redis://")


def test_dockerfile_installs_the_project_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for needed in ("COPY services", "COPY gateway", "COPY migrations", "pip install -e .", "USER sasar"):
        assert needed in dockerfile


def test_the_relay_runs_on_nats_with_every_receiver_named(compose: dict[str, Any]) -> None:
    relay = compose["services"]["relay"]
    assert relay["command"] == ["sasar", "relay"]
    assert {"nats", "registry", "funding", "outreach"} <= set(relay["depends_on"])
    environment = relay["environment"]
    assert environment["SASAR_EVENT_BROKER"] == "nats://nats:4222"
    for component, port in COMPONENT_PORTS.items():
        if component != "gateway":
            assert environment[f"SASAR_RELAY_{component.upper()}_URL"] == f"http://{component}:{port}"
    # `sasar relay` exists and reads exactly these settings.
    from sasar.cli import app
    from services.common.relay import RelaySettings

    assert "relay" in {command.name or command.callback.__name__ for command in app.registered_commands}
    settings = RelaySettings(
        event_broker=environment["SASAR_EVENT_BROKER"], registry_url=environment["SASAR_RELAY_REGISTRY_URL"]
    )
    assert settings.event_broker == "nats://nats:4222"


def test_job_workers_and_the_scheduler_run_in_production(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["registry-worker"]["command"] == ["sasar", "worker", "--component", "registry"]
    assert services["funding-worker"]["command"] == ["sasar", "worker", "--component", "funding"]
    assert services["scheduler"]["command"] == ["sasar", "scheduler"]
