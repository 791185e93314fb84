"""Is this officer still allowed to write in this village? Outreach owns officers and their assignments;
the registry asks it over HTTP (never its tables) before every officer write.

An officer's token lists the villages assigned when it was issued, so an assignment that ended or an
officer deactivated since then would otherwise keep writing until the token expires. Answers are cached
per (officer, village) for ``officer_check_ttl_seconds`` (≤ 30 s: the longest such a change can lag).
When outreach cannot be reached or answers oddly, the write is refused with 503 (fail closed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request

from services.common.errors import Forbidden
from services.common.http import ServiceClient, UpstreamUnavailable
from services.common.messages import Message
from services.common.principal import Principal, PrincipalKind
from services.registry.config import RegistrySettings

REGISTRY_PRINCIPAL = Principal(kind=PrincipalKind.internal, subject="registry", scopes=frozenset())


@dataclass(frozen=True)
class _Answer:
    active: bool
    assigned: bool
    expires: float


class OfficerChecks:
    def __init__(
        self,
        client: ServiceClient,
        *,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self.clock = clock
        self._answers: dict[tuple[str, str], _Answer] = {}
        self._lock = threading.Lock()

    def confirm(self, principal: Principal, village_code: str) -> None:
        """403 unless an officer principal is active and assigned to ``village_code`` today; other
        principals pass (village keys and internal clients have no assignments)."""
        if principal.kind is not PrincipalKind.officer:
            return
        answer = self._answer(principal.subject, village_code)
        if not answer.active:
            raise Forbidden(Message("officer.not_active"))
        if not answer.assigned:
            raise Forbidden(Message("officer.not_assigned_today", village_code=village_code))

    def _answer(self, officer_id: str, village_code: str) -> _Answer:
        key = (officer_id, village_code)
        now = self.clock()
        with self._lock:
            cached = self._answers.get(key)
        if cached is not None and cached.expires > now:
            return cached
        answer = self._ask(officer_id, village_code, now)
        with self._lock:
            if len(self._answers) > 10_000:
                self._answers.clear()  # bounded: stale entries are worthless anyway
            self._answers[key] = answer
        return answer

    def _ask(self, officer_id: str, village_code: str, now: float) -> _Answer:
        if not officer_id.isdigit():
            return _Answer(active=False, assigned=False, expires=now + self.ttl)
        path = f"/internal/officers/{officer_id}/assignments/{village_code}"
        response = self.client.request("GET", path, REGISTRY_PRINCIPAL)
        body = response.json() if response.status_code == 200 else None
        if not isinstance(body, dict) or not isinstance(body.get("assigned"), bool):
            raise UpstreamUnavailable(Message("registry.assignment_unconfirmed"))
        return _Answer(active=bool(body.get("active")), assigned=body["assigned"], expires=now + self.ttl)

    def close(self) -> None:
        self.client.close()


def install_officer_checks(app: FastAPI) -> None:
    """Startup hook: one pooled client to outreach per app."""
    settings: RegistrySettings = app.state.settings
    app.state.officer_checks = OfficerChecks(
        ServiceClient(
            settings.outreach_url,
            settings.internal_secret.get_secret_value(),
            service="outreach",
            timeout=settings.outreach_timeout_seconds,
        ),
        ttl_seconds=settings.officer_check_ttl_seconds,
    )


def get_officer_checks(request: Request) -> OfficerChecks:
    checks: OfficerChecks = request.app.state.officer_checks
    return checks
