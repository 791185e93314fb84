"""Lists integrators sync from: webhook endpoints and their delivery log in creation order, `sort`,
`updated_since` (delivery attempts change rows in set-based UPDATEs), ties (one event fan-out
shares one timestamp), refusals, timestamps (a village's endpoint in its offset, the log in UTC `Z`),
tenancy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient

from services.common.timeutil import utcnow
from services.webhooks.deliveries import Attempt, deliver_due
from services.webhooks.models import WebhookEndpoint
from tests.api.webhooks.conftest import ADMIN, OTHER_KEY, VILLAGE_KEY, create_endpoint, event, relay
from tests.support import village_headers
from tests.sync_support import check_openapi, check_refusals, check_sorts, check_ties, ids, walk

PAPUA = "91.03.01.2004"  # WIT, +09:00


def _deliver_all(client: TestClient) -> int:
    def accept(url: str, headers: dict[str, str], body: str, address: str) -> Attempt:
        return Attempt(200, None)

    app = client.app
    moment = utcnow() + dt.timedelta(seconds=1)
    return deliver_due(app.state.database, app.state.settings, accept, now=lambda: moment)  # type: ignore[attr-defined]


def test_endpoints_in_creation_order_and_in_their_own_time_form(
    webhooks: TestClient, database_url: Callable[[str], str]
) -> None:
    papua_key = village_headers(PAPUA, subject="key-papua")
    made = [
        create_endpoint(webhooks, VILLAGE_KEY),
        create_endpoint(webhooks, ADMIN),  # every village: no village to take an offset from
        create_endpoint(webhooks, papua_key),
        create_endpoint(webhooks, VILLAGE_KEY, url="http://127.0.0.1:9/second"),
    ]
    check_sorts(webhooks, "/v1/webhook-endpoints", ADMIN, [e["id"] for e in made])
    forms = [
        (e["created_at"][-6:], e["updated_at"][-6:]) for e in walk(webhooks, "/v1/webhook-endpoints", ADMIN)
    ]
    assert [f[0] for f in forms] == ["+07:00", made[1]["created_at"][-6:], "+09:00", "+07:00"]
    assert made[1]["created_at"].endswith("Z") and made[1]["updated_at"].endswith("Z")
    assert all(created == updated for created, updated in forms)
    # A village key sees only its own endpoints, however far back it syncs.
    assert ids(walk(webhooks, "/v1/webhook-endpoints", papua_key, updated_since="2000-01-01T00:00:00Z")) == [
        made[2]["id"]
    ]
    check_refusals(webhooks, "/v1/webhook-endpoints", ADMIN)
    check_openapi(webhooks, "/v1/webhook-endpoints")
    check_ties(webhooks, "/v1/webhook-endpoints", ADMIN, database_url("webhooks"), WebhookEndpoint.__table__)  # type: ignore[arg-type]


def test_the_delivery_log_syncs_attempts_and_replays(webhooks: TestClient) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    log = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    # One relay batch fans out in one statement: the deliveries share one created_at and updated_at.
    relay(webhooks, *[event(invoice_id=n, amount_idr=16_800) for n in range(5)])
    pending = walk(webhooks, log, VILLAGE_KEY)
    made = ids(pending)
    assert made == sorted(made) and len(made) == 5
    assert len({d["updated_at"] for d in pending}) == 1
    assert all(d["created_at"].endswith("Z") and d["updated_at"].endswith("Z") for d in pending)
    for sort in ("created_at", "updated_at"):
        assert ids(walk(webhooks, log, VILLAGE_KEY, sort=sort, limit=2)) == made
    assert ids(walk(webhooks, log, VILLAGE_KEY, sort="-created_at", limit=2)) == made[::-1]
    check_refusals(webhooks, log, VILLAGE_KEY)
    check_openapi(webhooks, "/v1/webhook-endpoints/{endpoint_id}/deliveries")
    checkpoint = dt.datetime.now(dt.UTC).isoformat()
    assert walk(webhooks, log, VILLAGE_KEY, updated_since=checkpoint) == []
    # The deliverer claims and settles rows with UPDATE statements: every attempt shows up.
    assert _deliver_all(webhooks) == 5
    delivered = walk(webhooks, log, VILLAGE_KEY, updated_since=checkpoint, sort="updated_at")
    assert sorted(ids(delivered)) == made and {d["status"] for d in delivered} == {"delivered"}
    second = dt.datetime.now(dt.UTC).isoformat()
    replayed = webhooks.post(f"{log}/{made[2]}/replay", headers=VILLAGE_KEY)
    assert replayed.status_code == 202, replayed.text
    assert [(d["id"], d["status"]) for d in walk(webhooks, log, VILLAGE_KEY, updated_since=second)] == [
        (made[2], "pending")
    ]
    # Another village cannot read this log at all.
    assert webhooks.get(log, params={"updated_since": checkpoint}, headers=OTHER_KEY).status_code == 404
