"""What funding asks the registry about a worker it is asked to fund (over HTTP, never its tables).

The answer is stored as funding's own copy (:class:`~services.funding.models.FundedWorker`) so that
billing never calls another service; registry events will refresh the same rows later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from services.common.http import ServiceClient
from services.common.principal import Principal, PrincipalKind

FUNDING_PRINCIPAL = Principal(
    kind=PrincipalKind.internal, subject="funding", scopes=frozenset({"registry:read"})
)


@dataclass(frozen=True)
class RegistryWorker:
    id: str
    village_code: str
    occupation: str
    declared_income_idr: int
    programs: tuple[str, ...]
    status: str
    version: int | None


class WorkerDirectory(Protocol):
    def fetch_worker(self, worker_id: str) -> RegistryWorker | None: ...


def parse_worker(body: dict[str, Any]) -> RegistryWorker:
    return RegistryWorker(
        id=str(body["id"]),
        village_code=str(body["village_code"]),
        occupation=str(body["occupation"]),
        declared_income_idr=int(body["declared_income_idr"]),
        programs=tuple(str(p) for p in body.get("programs") or ()),
        status=str(body["status"]),
        version=int(body["version"]) if body.get("version") is not None else None,
    )


class RegistryDirectory:
    """``GET /v1/workers/{id}`` on the registry as the internal principal ``funding``."""

    def __init__(self, base_url: str, secret: str) -> None:
        self.client = ServiceClient(base_url, secret, service="registry")

    def fetch_worker(self, worker_id: str) -> RegistryWorker | None:
        response = self.client.request("GET", f"/v1/workers/{worker_id}", FUNDING_PRINCIPAL)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            self.client.raise_problem(response)
        return parse_worker(response.json())

    def close(self) -> None:
        self.client.close()
