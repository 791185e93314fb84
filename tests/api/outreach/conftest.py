"""Fixtures for the outreach API tests: the service on each backend, wired to a fake registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.outreach_support import FakeRegistry
from tests.support import internal_headers, live_server, officer_headers

ADMIN = internal_headers(["outreach:admin"])
REPORTS = internal_headers(["reports:read"])
JAVA = "33.26.15.2001"
JAVA_OTHER = "33.26.15.2002"


@dataclass
class Registry:
    fake: FakeRegistry
    url: str


@pytest.fixture(scope="session")
def registry_server() -> Iterator[Registry]:
    fake = FakeRegistry()
    with live_server(fake.app()) as url:
        yield Registry(fake, url)


@pytest.fixture
def registry(registry_server: Registry) -> Iterator[FakeRegistry]:
    registry_server.fake.reset()
    yield registry_server.fake
    registry_server.fake.reset()


@pytest.fixture
def registry_url(registry_server: Registry) -> str:
    return registry_server.url


@pytest.fixture
def outreach(
    service_client: Callable[..., TestClient], registry_server: Registry, registry: FakeRegistry
) -> TestClient:
    # These tests drive counts through the fake registry (the repair mode); event-kept counts, the
    # default, are tested in test_events.py.
    return service_client("outreach", registry_url=registry_server.url, counts_source="registry")


OfficerMaker = Callable[..., tuple[int, dict[str, str]]]


@pytest.fixture
def make_officer(outreach: TestClient) -> OfficerMaker:
    """Create an officer assigned (from 30 days ago, open-ended) to ``villages``; → (id, headers)."""
    counter = iter(range(10_000_000, 99_999_999))

    def make(*villages: str, nrp: str | None = None) -> tuple[int, dict[str, str]]:
        body = {
            "nrp": nrp or str(next(counter)),
            "name": "Bripka Ahmad",
            "rank": "Bripka",
            "unit": "Polsek Lasem",
        }
        response = outreach.post("/v1/officers", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        officer_id = response.json()["id"]
        start = (dt.date.today() - dt.timedelta(days=30)).isoformat()
        for village in villages:
            assigned = outreach.post(
                f"/v1/officers/{officer_id}/assignments",
                json={"village_code": village, "valid_from": start},
                headers=ADMIN,
            )
            assert assigned.status_code == 201, assigned.text
        return officer_id, officer_headers(str(officer_id), villages)

    return make
