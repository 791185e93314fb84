"""The registry's officer check: answers cached at most 30 s per (officer, village), fail closed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from services.common.errors import Forbidden
from services.common.http import ServiceClient, UpstreamUnavailable
from services.common.principal import Principal, PrincipalKind
from services.registry.config import RegistrySettings
from services.registry.outreach_client import OfficerChecks

VILLAGE = "33.26.15.2001"


class FakeOutreach(ServiceClient):
    """Answers from ``assigned`` (officer id → villages); counts the calls."""

    def __init__(self) -> None:
        self.assigned: dict[str, set[str]] = {}
        self.calls: list[str] = []
        self.status = 200

    def request(self, method: str, path: str, principal: Principal, **kwargs: Any) -> httpx.Response:
        assert principal.kind is PrincipalKind.internal
        self.calls.append(path)
        _, _, _, officer_id, _, village = path.split("/")
        villages = self.assigned.get(officer_id, set())
        body = {"active": officer_id in self.assigned, "assigned": village in villages}
        return httpx.Response(self.status, json=body if self.status == 200 else {"status": self.status})


def officer(subject: str) -> Principal:
    return Principal(kind=PrincipalKind.officer, subject=subject, villages=frozenset({VILLAGE}))


def test_answers_are_cached_for_the_ttl_only() -> None:
    fake = FakeOutreach()
    fake.assigned["7"] = {VILLAGE}
    now = [1000.0]
    checks = OfficerChecks(fake, ttl_seconds=20, clock=lambda: now[0])
    checks.confirm(officer("7"), VILLAGE)
    checks.confirm(officer("7"), VILLAGE)
    assert len(fake.calls) == 1
    fake.assigned["7"] = set()  # the assignment ends
    now[0] += 19.9
    checks.confirm(officer("7"), VILLAGE)  # still the cached answer
    now[0] += 0.2
    with pytest.raises(Forbidden):
        checks.confirm(officer("7"), VILLAGE)
    assert len(fake.calls) == 2


def test_inactive_officers_and_other_principals() -> None:
    fake = FakeOutreach()
    checks = OfficerChecks(fake, ttl_seconds=0)
    with pytest.raises(Forbidden, match="not active"):
        checks.confirm(officer("8"), VILLAGE)
    with pytest.raises(Forbidden):
        checks.confirm(officer("not-a-number"), VILLAGE)
    village_key = Principal(kind=PrincipalKind.village, subject="k", villages=frozenset({VILLAGE}))
    checks.confirm(village_key, VILLAGE)  # no assignments to check: never asks outreach
    assert fake.calls == [f"/internal/officers/8/assignments/{VILLAGE}"]


def test_an_odd_answer_fails_closed() -> None:
    fake = FakeOutreach()
    fake.status = 403
    with pytest.raises(UpstreamUnavailable):
        OfficerChecks(fake, ttl_seconds=0).confirm(officer("7"), VILLAGE)


def test_the_cache_may_not_outlive_30_seconds() -> None:
    with pytest.raises(ValidationError):
        RegistrySettings(officer_check_ttl_seconds=31)
    assert RegistrySettings().officer_check_ttl_seconds <= 30
