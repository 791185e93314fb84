"""What funding asks the registry about a worker it is asked to fund (over HTTP, never its tables).

The answer is stored as funding's own copy (:class:`~services.funding.models.FundedWorker`) so that
billing never calls another service; registry events keep the same rows current.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.http import ServiceClient
from services.common.principal import Principal, PrincipalKind
from services.funding.models import FundedWorker

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
    temporary_id_expires_on: dt.date | None = None


class WorkerDirectory(Protocol):
    def fetch_worker(self, worker_id: str) -> RegistryWorker | None: ...


@dataclass(frozen=True)
class WorkerIdentity:
    """Who a worker is, for documents a village reads (funding keeps no names or NIKs)."""

    id: str
    name: str
    nik_masked: str | None
    temporary_id: str | None


class IdentityDirectory(Protocol):
    def fetch_identities(self, worker_ids: Sequence[str]) -> dict[str, WorkerIdentity]: ...


LOOKUP_BATCH = 1_000  # the registry's limit per POST /v1/workers/lookup


def parse_worker(body: dict[str, Any]) -> RegistryWorker:
    return RegistryWorker(
        id=str(body["id"]),
        village_code=str(body["village_code"]),
        occupation=str(body["occupation"]),
        declared_income_idr=int(body["declared_income_idr"]),
        programs=tuple(str(p) for p in body.get("programs") or ()),
        status=str(body["status"]),
        version=int(body["version"]) if body.get("version") is not None else None,
        temporary_id_expires_on=_temporary_expiry(body),
    )


def _temporary_expiry(body: dict[str, Any]) -> dt.date | None:
    """Events name it ``temporary_id_expires_on``; the worker resource ``temporary_deadline``."""
    value = body.get("temporary_id_expires_on", body.get("temporary_deadline"))
    return dt.date.fromisoformat(str(value)) if value else None


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

    def fetch_identities(self, worker_ids: Sequence[str]) -> dict[str, WorkerIdentity]:
        """Names and masked NIKs of ``worker_ids``, one call per 1,000; ids the registry lacks are absent."""
        wanted = sorted(set(worker_ids))
        found: dict[str, WorkerIdentity] = {}
        for start in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[start : start + LOOKUP_BATCH]
            response = self.client.request(
                "POST", "/v1/workers/lookup", FUNDING_PRINCIPAL, json={"ids": batch}
            )
            if response.status_code != 200:
                self.client.raise_problem(response)
            for item in response.json()["items"]:
                found[str(item["id"])] = WorkerIdentity(
                    id=str(item["id"]),
                    name=str(item["name"]),
                    nik_masked=item.get("nik_masked"),
                    temporary_id=item.get("temporary_id"),
                )
        return found

    def close(self) -> None:
        self.client.close()


class LocalFirstDirectory:
    """Funding's own copy of the workers first (kept current by the registry's events); the registry is
    asked only about workers whose registration event has not arrived yet, all up front, before the
    caller takes any lock (so no HTTP call is ever made while an agreement is locked)."""

    def __init__(self, known: dict[str, RegistryWorker]) -> None:
        self.known = known

    @classmethod
    def prefetch(
        cls, session: Session, worker_ids: Sequence[str], remote: WorkerDirectory
    ) -> LocalFirstDirectory:
        wanted = list(dict.fromkeys(worker_ids))
        known: dict[str, RegistryWorker] = {}
        if wanted:
            for copy in session.scalars(select(FundedWorker).where(FundedWorker.worker_id.in_(wanted))):
                programs = ("JKK", "JKM", "JHT") if copy.has_jht else ("JKK", "JKM")
                known[copy.worker_id] = RegistryWorker(
                    id=copy.worker_id,
                    village_code=copy.village_code,
                    occupation=copy.occupation,
                    declared_income_idr=copy.declared_income_idr,
                    programs=programs,
                    status=copy.status,
                    version=copy.registry_version,
                    temporary_id_expires_on=copy.temporary_id_expires_on,
                )
        for worker_id in wanted:
            if worker_id not in known:
                worker = remote.fetch_worker(worker_id)
                if worker is not None:
                    known[worker_id] = worker
        return cls(known)

    def fetch_worker(self, worker_id: str) -> RegistryWorker | None:
        return self.known.get(worker_id)
