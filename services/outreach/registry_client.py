"""The outreach service's view of the registry, over HTTP only (services never share code or tables).

Two calls: register a worker for a lead (as the calling officer, so the registry applies the officer's
own village rights) and read worker counts per village (as outreach itself, scope ``reports:read``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request

from services.common.errors import ValidationProblem
from services.common.http import ServiceClient
from services.common.messages import Message
from services.common.principal import Principal, PrincipalKind, Scope
from services.outreach.config import OutreachSettings

OUTREACH_PRINCIPAL = Principal(
    kind=PrincipalKind.internal, subject="outreach", scopes=frozenset({Scope.reports_read.value})
)
COUNT_FIELDS = ("registered", "active", "lapsed", "inactive", "deceased")


@dataclass(frozen=True)
class Registration:
    worker_id: str
    existing: bool  # the NIK was already registered: the existing worker is linked


class RegistryClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def register_worker(
        self, body: dict[str, Any], principal: Principal, idempotency_key: str
    ) -> Registration:
        response = self.client.request(
            "POST", "/v1/workers", principal, json=body, headers={"Idempotency-Key": idempotency_key}
        )
        if response.status_code in (200, 201):
            return Registration(str(response.json()["id"]), existing=False)
        if response.status_code == 409:
            existing = _json(response).get("existing_worker_id")
            if existing:
                return Registration(str(existing), existing=True)
        self.client.raise_problem(response)
        raise AssertionError("unreachable")  # raise_problem always raises

    def worker_counts(self, area: str) -> list[dict[str, Any]]:
        response = self.client.request("GET", "/v1/worker-counts", OUTREACH_PRINCIPAL, params={"area": area})
        if response.status_code != 200:
            self.client.raise_problem(response)
        items = _json(response).get("items")
        if not isinstance(items, list):
            raise ValidationProblem.single("area", Message("outreach.counts_without_items"))
        return [i for i in items if isinstance(i, dict)]


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def install_registry_client(app: FastAPI) -> None:
    """Startup hook: one pooled HTTP client per app."""
    settings: OutreachSettings = app.state.settings
    app.state.registry = RegistryClient(
        ServiceClient(
            settings.registry_url,
            settings.internal_secret.get_secret_value(),
            service="registry",
            timeout=settings.registry_timeout_seconds,
        )
    )


def get_registry(request: Request) -> RegistryClient:
    registry: RegistryClient = request.app.state.registry
    return registry
