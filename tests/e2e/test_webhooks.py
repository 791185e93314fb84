"""Issue 13's "done when" for webhooks, through the gateway with every process running: a village
subscribes an endpoint, pays an invoice, and a local receiver verifies the signed ``payment.received``
within 5 seconds (signature checked by the specification, not the signing library)."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.e2e.system import RunningSystem
from tests.e2e.test_events import funded_village, pay
from tests.e2e.test_flows import bearer, eventually
from tests.support import live_server
from tests.webhooks_support import Receiver, verify_per_specification

pytestmark = pytest.mark.e2e


def test_a_village_gets_a_signed_payment_received_within_5_seconds(system: RunningSystem) -> None:
    village = system.fresh_village()
    key, _workers, invoice = funded_village(system, village, [f"332615030375000{n}" for n in (1, 2)])
    receiver = Receiver(status=204)
    with live_server(receiver.app()) as base:
        subscribed = httpx.post(
            f"{system.gateway}/v1/webhook-endpoints",
            json={"url": f"{base}/sasar/webhooks", "event_types": ["payment.received"]},
            headers=bearer(key),
            timeout=10,
        )
        assert subscribed.status_code == 201, subscribed.text
        endpoint = subscribed.json()
        assert endpoint["village_code"] == village
        started = time.monotonic()
        pay(system, key, invoice)
        deadline = started + 5
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert receiver.received, "no webhook within 5 s"
        [got] = receiver.received
        assert verify_per_specification(endpoint["secret"], got.headers, got.body)
        body = json.loads(got.body)
        assert (body["type"], body["village_code"]) == ("payment.received", village)
        assert body["data"]["invoice_id"] == invoice["id"]
        assert body["data"]["amount_idr"] == invoice["total_idr"]

        def logged() -> list[tuple[str, str]]:
            items = httpx.get(
                f"{system.gateway}/v1/webhook-endpoints/{endpoint['id']}/deliveries",
                headers=bearer(key),
                timeout=10,
            ).json()["items"]
            return [(d["event_type"], d["status"]) for d in items]

        # The deliverer records the outcome just after the receiver answered.
        assert eventually(logged, [("payment.received", "delivered")])
