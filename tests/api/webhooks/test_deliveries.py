"""Deliveries: events fanned out to the endpoints that chose them, POSTed signed, retried on the
schedule for 24 h (fake clock), endpoints disabled after persistent failure, the log and replays, the
SSRF guard again at delivery time, and a real local receiver verifying a signed payment.received."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.common.principal import Principal, PrincipalKind
from services.common.timeutil import utcnow
from services.webhooks import deliveries, endpoints
from services.webhooks.config import WebhooksSettings
from services.webhooks.deliveries import Attempt, Sender, deliver_due, http_sender
from services.webhooks.models import WebhookDelivery
from services.webhooks.schemas import WebhookEndpointIn
from tests.api.webhooks.conftest import (
    ADMIN,
    OTHER_KEY,
    OTHER_VILLAGE,
    VILLAGE,
    VILLAGE_KEY,
    create_endpoint,
    event,
    relay,
)
from tests.support import live_server
from tests.webhooks_support import Receiver, verify_per_specification

pytestmark = pytest.mark.usefixtures("backend")


class FakeClock:
    def __init__(self) -> None:
        self.now = utcnow() + dt.timedelta(seconds=1)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


class FakeSender:
    """Answers every POST with ``status`` and records it."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.calls: list[tuple[str, dict[str, str], str]] = []
        self.addresses: list[str] = []

    def __call__(self, url: str, headers: dict[str, str], body: str, address: str) -> Attempt:
        self.calls.append((url, headers, body))
        self.addresses.append(address)
        return Attempt(self.status, None if 200 <= self.status < 300 else f"HTTP {self.status}")


def run(client: TestClient, send: Sender, clock: FakeClock, **kw: Any) -> int:
    settings: WebhooksSettings = client.app.state.settings  # type: ignore[attr-defined]
    settings = kw.pop("settings", settings)
    return deliver_due(client.app.state.database, settings, send, now=clock, **kw)  # type: ignore[attr-defined]


def log_of(client: TestClient, endpoint: dict[str, Any], headers: dict[str, str] = VILLAGE_KEY) -> list[Any]:
    response = client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


def test_events_go_to_the_endpoints_that_chose_their_type_and_village(webhooks: TestClient) -> None:
    mine = create_endpoint(webhooks, VILLAGE_KEY, event_types=("payment.received",))
    other = create_endpoint(webhooks, OTHER_KEY, event_types=("payment.received",))
    everything = create_endpoint(webhooks, ADMIN, event_types=("payment.received", "invoice.issued"))
    paid, issued = event("payment.received"), event("invoice.issued")
    results = relay(webhooks, paid, issued, event("payment.received", OTHER_VILLAGE))
    assert [r["status"] for r in results] == ["applied"] * 3
    assert [d["event_id"] for d in log_of(webhooks, mine)] == [paid["id"]]
    assert [d["event_type"] for d in log_of(webhooks, other, OTHER_KEY)] == ["payment.received"]
    assert sorted(d["event_type"] for d in log_of(webhooks, everything, ADMIN)) == [
        "invoice.issued",
        "payment.received",
        "payment.received",
    ]
    # The relay delivering the same event again creates nothing twice.
    assert [r["status"] for r in relay(webhooks, paid)] == ["duplicate"]
    assert len(log_of(webhooks, mine)) == 1


def test_a_disabled_endpoint_gets_no_new_deliveries(webhooks: TestClient) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    webhooks.patch(f"/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": False}, headers=VILLAGE_KEY)
    relay(webhooks, event())
    assert log_of(webhooks, endpoint) == []


def test_a_2xx_delivers_once_with_the_partner_envelope(webhooks: TestClient) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    paid = event(invoice_id=7, amount_idr=16800)
    relay(webhooks, paid)
    clock, sender = FakeClock(), FakeSender(200)
    assert run(webhooks, sender, clock) == 1
    assert run(webhooks, sender, clock) == 0  # delivered: never sent again
    [(url, headers, body)] = sender.calls
    assert url == "http://127.0.0.1:9/hook"
    sent = json.loads(body)
    assert set(sent) == {"id", "type", "occurred_at", "source", "village_code", "data"}
    assert (sent["id"], sent["type"], sent["village_code"]) == (paid["id"], "payment.received", VILLAGE)
    assert sent["data"] == {"invoice_id": 7, "amount_idr": 16800}
    assert headers["webhook-id"] == paid["id"]
    assert verify_per_specification(endpoint["secret"], headers, body.encode())
    [logged] = log_of(webhooks, endpoint)
    assert (logged["status"], logged["attempts"], logged["last_status_code"]) == ("delivered", 1, 200)
    assert logged["delivered_at"] is not None and logged["next_attempt_at"] is None


def test_failures_are_retried_on_the_schedule_for_24_hours_then_the_endpoint_is_disabled(
    webhooks: TestClient,
) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    relay(webhooks, event())
    clock, sender = FakeClock(), FakeSender(500)
    started = clock.now
    attempts_at: list[dt.datetime] = []
    for _ in range(200):  # a minute at a time would be slow: jump to just before, then to, each due time
        if run(webhooks, sender, clock):
            attempts_at.append(clock.now)
        [logged] = log_of(webhooks, endpoint)
        if logged["status"] != "pending":
            break
        due = dt.datetime.fromisoformat(logged["next_attempt_at"])
        clock.now = due - dt.timedelta(seconds=1)
        assert run(webhooks, sender, clock) == 0  # not before it is due
        clock.now = due
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(attempts_at)]
    assert gaps[:7] == [5, 30, 120, 600, 1800, 3600, 7200]
    assert set(gaps[6:]) == {7200}
    assert attempts_at[-1] - started <= dt.timedelta(hours=24)
    assert attempts_at[-1] + dt.timedelta(hours=2) - started > dt.timedelta(hours=24)
    [logged] = log_of(webhooks, endpoint)
    assert (logged["status"], logged["attempts"], logged["last_status_code"]) == (
        "failed",
        len(attempts_at),
        500,
    )
    assert logged["attempts"] == len(sender.calls)
    state = webhooks.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=VILLAGE_KEY).json()
    assert state["status"] == "disabled" and "HTTP 500" in state["disabled_reason"]
    # Disabled: a later event is not even queued, and nothing more is sent.
    relay(webhooks, event())
    clock.advance(dt.timedelta(hours=3))
    assert run(webhooks, sender, clock) == 0


def test_replay_sends_a_delivery_again_after_the_endpoint_is_enabled(webhooks: TestClient) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    relay(webhooks, event())
    clock = FakeClock()
    run(webhooks, FakeSender(200), clock)
    [delivered] = log_of(webhooks, endpoint)
    path = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivered['id']}/replay"
    replayed = webhooks.post(path, headers=VILLAGE_KEY)
    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["status"] == "pending"
    second = FakeSender(204)
    clock.advance(dt.timedelta(seconds=1))
    assert run(webhooks, second, clock) == 1
    [again] = log_of(webhooks, endpoint)
    assert (again["status"], again["attempts"], again["last_status_code"]) == ("delivered", 2, 204)
    assert json.loads(second.calls[0][2])["id"] == delivered["event_id"]
    missing = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/999999/replay"
    assert webhooks.post(missing, headers=VILLAGE_KEY).status_code == 404


def test_a_rotated_secret_still_verifies_with_the_previous_one(webhooks: TestClient) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    rotated = webhooks.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=VILLAGE_KEY
    ).json()
    relay(webhooks, event())
    sender = FakeSender(200)
    run(webhooks, sender, FakeClock())
    [(_, headers, body)] = sender.calls
    assert verify_per_specification(rotated["secret"], headers, body.encode())
    assert verify_per_specification(endpoint["secret"], headers, body.encode())
    # A day later only the new secret signs.
    relay(webhooks, event())
    later = FakeClock()
    later.advance(dt.timedelta(hours=24, minutes=1))
    run(webhooks, sender, later)
    _, headers, body = sender.calls[1]
    assert verify_per_specification(rotated["secret"], headers, body.encode())
    assert not verify_per_specification(endpoint["secret"], headers, body.encode())


def test_the_target_is_checked_again_at_delivery_time(webhooks: TestClient) -> None:
    # Saved while the host resolved to a public address; at delivery it resolves to loopback (DNS
    # rebinding): nothing is sent and the log says why.
    settings = WebhooksSettings(database_url="sqlite://", allow_private_targets="")
    admin = Principal(kind=PrincipalKind.internal, subject="t", scopes=frozenset({"webhooks:admin"}))
    database = webhooks.app.state.database  # type: ignore[attr-defined]
    with database.sessions() as session, session.begin():
        data = WebhookEndpointIn.model_validate(
            {"url": "https://hooks.partner.example/in", "event_types": ["payment.received"]}
        )
        saved = endpoints.create_endpoint(
            session, admin, data, settings, resolve=lambda h, p: ["36.86.63.182"]
        )
        endpoint_id = saved.id
    relay(webhooks, event())
    sender = FakeSender(200)
    clock = FakeClock()
    run(webhooks, sender, clock, settings=settings, resolve=lambda h, p: ["127.0.0.1"])
    assert sender.calls == []
    [logged] = log_of(webhooks, {"id": endpoint_id}, ADMIN)
    assert logged["status"] == "pending" and logged["attempts"] == 1
    assert "target refused" in logged["last_error"] and "loopback" in logged["last_error"]


def test_the_attempt_connects_to_the_address_that_was_checked_not_a_second_lookup(
    webhooks: TestClient,
) -> None:
    # The partner's name resolves (at check time) to the receiver's address; the system resolver knows no
    # such name (.test is reserved), so the POST can only arrive if it goes to the checked address, with the
    # partner's host name kept in Host.
    receiver = Receiver(status=204)
    with live_server(receiver.app()) as base:
        port = base.rsplit(":", 1)[1]
        settings: WebhooksSettings = webhooks.app.state.settings  # type: ignore[attr-defined]
        admin = Principal(kind=PrincipalKind.internal, subject="t", scopes=frozenset({"webhooks:admin"}))
        database = webhooks.app.state.database  # type: ignore[attr-defined]
        with database.sessions() as session, session.begin():
            data = WebhookEndpointIn.model_validate(
                {"url": f"http://hooks.partner.test:{port}/in", "event_types": ["payment.received"]}
            )
            endpoints.create_endpoint(session, admin, data, settings, resolve=lambda h, p: ["127.0.0.1"])
        relay(webhooks, event())
        send = http_sender(settings.delivery_timeout_seconds)
        assert deliver_due(database, settings, send, resolve=lambda h, p: ["127.0.0.1"]) == 1
        [got] = receiver.received
        assert got.path == "/in"
        assert got.headers["host"] == f"hooks.partner.test:{port}"


def test_a_local_receiver_gets_a_signed_payment_received_and_redirects_are_not_followed(
    webhooks: TestClient,
) -> None:
    receiver = Receiver(status=204)
    with live_server(receiver.app()) as base:
        endpoint = create_endpoint(webhooks, VILLAGE_KEY, url=f"{base}/sasar")
        paid = event(invoice_id=11, amount_idr=33600)
        relay(webhooks, paid)
        settings: WebhooksSettings = webhooks.app.state.settings  # type: ignore[attr-defined]
        send = http_sender(settings.delivery_timeout_seconds)
        assert deliveries.deliver_due(webhooks.app.state.database, settings, send) == 1  # type: ignore[attr-defined]
        [got] = receiver.received
        assert got.path == "/sasar"
        assert verify_per_specification(endpoint["secret"], got.headers, got.body)
        assert json.loads(got.body)["data"] == {"invoice_id": 11, "amount_idr": 33600}
        assert abs(int(got.headers["webhook-timestamp"]) - utcnow().timestamp()) < 10
        # A receiver answering with a redirect: the delivery fails and /elsewhere is never asked.
        receiver.status = 307
        relay(webhooks, event())
        assert deliveries.deliver_due(webhooks.app.state.database, settings, send) == 1  # type: ignore[attr-defined]
        assert [r.path for r in receiver.received] == ["/sasar", "/sasar"]
        logged = [d for d in log_of(webhooks, endpoint) if d["status"] == "pending"]
        assert logged[0]["last_status_code"] == 307


def test_deleting_an_endpoint_removes_its_log(webhooks: TestClient) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    relay(webhooks, event())
    assert len(log_of(webhooks, endpoint)) == 1
    assert webhooks.delete(f"/v1/webhook-endpoints/{endpoint['id']}", headers=VILLAGE_KEY).status_code == 204
    database = webhooks.app.state.database  # type: ignore[attr-defined]
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def test_the_delivery_loop_sends_until_stopped(webhooks: TestClient) -> None:
    receiver = Receiver(status=200)
    with live_server(receiver.app()) as base:
        create_endpoint(webhooks, VILLAGE_KEY, url=f"{base}/loop")
        relay(webhooks, event(), event())
        waits: list[float] = []
        deliveries.run_delivery_loop(
            webhooks.app.state.database,  # type: ignore[attr-defined]
            webhooks.app.state.settings,  # type: ignore[attr-defined]
            stop=lambda: bool(waits),
            wait=waits.append,
        )
    assert len(receiver.received) == 2  # the first pass sent both; the idle second pass waited
    assert waits == [webhooks.app.state.settings.poll_interval_seconds]  # type: ignore[attr-defined]
