"""Fixtures for the webhooks API tests: the service on each backend, allowed to reach loopback
receivers (as tests and the local demo configure it)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.common.events import RELAY_HEADER, relay_token
from tests.support import TEST_SECRET, internal_headers, village_headers

VILLAGE = "33.26.15.2001"
OTHER_VILLAGE = "33.26.15.2002"
ADMIN = internal_headers(["webhooks:admin"])
VILLAGE_KEY = village_headers(VILLAGE)
OTHER_KEY = village_headers(OTHER_VILLAGE, subject="key-other")
LOOPBACK = "127.0.0.1/32"


@pytest.fixture
def webhooks(service_client: Callable[..., TestClient]) -> TestClient:
    return service_client("webhooks", allow_private_targets=LOOPBACK)


def create_endpoint(
    client: TestClient,
    headers: dict[str, str],
    url: str = "http://127.0.0.1:9/hook",
    event_types: tuple[str, ...] = ("payment.received",),
    **extra: Any,
) -> dict[str, Any]:
    response = client.post(
        "/v1/webhook-endpoints", json={"url": url, "event_types": list(event_types), **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def event(
    event_type: str = "payment.received", village_code: str | None = VILLAGE, **data: Any
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "source": "funding",
        "aggregate_type": "invoice",
        "aggregate_id": "7",
        "village_code": village_code,
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "data": data or {"invoice_id": 7, "amount_idr": 16800},
    }


def relay(client: TestClient, *events: dict[str, Any]) -> list[dict[str, Any]]:
    """Deliver ``events`` as the relay does."""
    response = client.post(
        "/internal/events", json={"events": list(events)}, headers={RELAY_HEADER: relay_token(TEST_SECRET)}
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results
