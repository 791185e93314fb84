"""Deliveries: each event fanned out to the endpoints that chose it, then POSTed, signed, until a 2xx.

Retries follow :data:`BACKOFF` (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h) for the retry
window (24 h) after the delivery began. A delivery still failing then is ``failed``; an endpoint whose
deliveries fail like that (``disable_after_failed_deliveries`` in a row) is disabled with the reason.
Every function takes ``now`` so the schedule can be tested with a fake clock.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.common.db import Database
from services.common.events import EventEnvelope
from services.common.messages import Message
from services.common.pagination import ListParams, paginate_list
from services.common.partner_events import PARTNER_EVENT_TYPES
from services.common.timeutil import utcnow
from services.webhooks import endpoints, signing, targets
from services.webhooks.config import WebhooksSettings
from services.webhooks.exceptions import DeliveryNotFound, UnsafeTarget
from services.webhooks.models import WebhookDelivery, WebhookEndpoint
from services.webhooks.schemas import DeliveryStatus, EndpointStatus

log = structlog.get_logger("sasar.webhooks")

BACKOFF: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=5),
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=10),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=1),
)
LATER_BACKOFF = dt.timedelta(hours=2)
# A claimed delivery is invisible to other workers this long; a worker that dies mid-attempt is retried.
CLAIM_LEASE = dt.timedelta(minutes=2)


def backoff_after(attempts: int) -> dt.timedelta:
    """Wait before the next attempt, after ``attempts`` failed ones (1-based)."""
    return BACKOFF[attempts - 1] if attempts <= len(BACKOFF) else LATER_BACKOFF


def partner_envelope(event: EventEnvelope) -> str:
    """The body partners receive (DESIGN §8): the event without the internal aggregate fields."""
    body = {
        "id": event.id,
        "type": event.type,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "source": event.source,
        "village_code": event.village_code,
        "data": event.data,
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def fan_out(session: Session, events: Sequence[EventEnvelope]) -> int:
    """One pending delivery per (event, active endpoint that chose its type and village); set-based."""
    wanted = [e for e in events if e.type in PARTNER_EVENT_TYPES]
    if not wanted:
        return 0
    villages = {e.village_code for e in wanted if e.village_code is not None}
    candidates = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.status == EndpointStatus.active.value,
            WebhookEndpoint.village_code.is_(None) | WebhookEndpoint.village_code.in_(sorted(villages)),
        )
    ).all()
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for event in wanted:
        body = partner_envelope(event)
        for endpoint in candidates:
            if event.type not in endpoint.event_types:
                continue
            if endpoint.village_code is not None and endpoint.village_code != event.village_code:
                continue
            rows.append(
                {
                    "endpoint_id": endpoint.id,
                    "event_id": event.id,
                    "event_type": event.type,
                    "payload": body,
                    "status": DeliveryStatus.pending.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "window_started_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), 1000):
        statement = insert(WebhookDelivery).values(rows[start : start + 1000])
        session.execute(statement.on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"]))
    return len(rows)


# --- the delivery loop -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What one POST achieved: a status code, or the reason no answer came."""

    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# (url, headers, body, address): ``address`` is where the target check resolved the URL's host.
Sender = Callable[[str, dict[str, str], str, str], Attempt]


def http_sender(timeout: float) -> Sender:
    def send(url: str, headers: dict[str, str], body: str, address: str) -> Attempt:
        # Connect to the checked address, not to a fresh resolution of the name (DNS rebinding).
        target = targets.pinned(url, address)
        extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
        try:
            # Redirects are not followed: a 3xx could point anywhere, past the target check.
            with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
                response = client.post(
                    target.url,
                    content=body.encode(),
                    headers={**headers, "Host": target.host_header},
                    extensions=extensions,
                )
        except httpx.HTTPError as exc:
            return Attempt(None, f"{type(exc).__name__}: {exc}"[:300])
        return Attempt(response.status_code, None if response.is_success else f"HTTP {response.status_code}")

    return send


def claim_due(session: Session, now: dt.datetime, limit: int) -> list[int]:
    """Ids of due deliveries to active endpoints, each claimed (pushed ``CLAIM_LEASE`` ahead) by a
    conditional update, so two workers never attempt the same delivery at once."""
    statement = (
        select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.pending.value,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.status == EndpointStatus.active.value,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(of=WebhookDelivery, skip_locked=True)
    claimed: list[int] = []
    for delivery_id, due_at in session.execute(statement).all():
        result = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.next_attempt_at == due_at)
            .values(next_attempt_at=now + CLAIM_LEASE)
        )
        if getattr(result, "rowcount", 0) == 1:
            claimed.append(int(delivery_id))
    return claimed


def attempt_delivery(
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    settings: WebhooksSettings,
    send: Sender,
    now: dt.datetime,
    resolve: targets.Resolver = targets.system_resolver,
) -> Attempt:
    try:
        # Again at delivery time: the host may resolve elsewhere than when the endpoint was saved.
        address = targets.check_target(
            endpoint.url, targets.parse_allow_list(settings.allow_private_targets), resolve
        )
    except UnsafeTarget as exc:
        reason = exc.errors[0]["reason"] if exc.errors else str(exc.detail)
        return Attempt(None, f"target refused: {reason}"[:300])
    headers = signing.signed_headers(
        endpoints.secrets_in_force(endpoint, now), delivery.event_id, now, delivery.payload
    )
    return send(endpoint.url, headers, delivery.payload, address)


def record_attempt(
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    outcome: Attempt,
    settings: WebhooksSettings,
    now: dt.datetime,
) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    if outcome.delivered:
        delivery.status = DeliveryStatus.delivered.value
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        endpoint.failed_deliveries = 0
        return
    next_at = now + backoff_after(delivery.attempts)
    window_ends = delivery.window_started_at + dt.timedelta(hours=settings.retry_window_hours)
    if next_at <= window_ends:
        delivery.next_attempt_at = next_at
        return
    delivery.status = DeliveryStatus.failed.value
    delivery.next_attempt_at = None
    endpoint.failed_deliveries += 1
    if (
        endpoint.status == EndpointStatus.active.value
        and endpoint.failed_deliveries >= settings.disable_after_failed_deliveries
    ):
        endpoint.status = EndpointStatus.disabled.value
        endpoint.disabled_reason = (
            f"every attempt for {settings.retry_window_hours:g} h failed "
            f"({endpoint.failed_deliveries} deliveries in a row); last: {outcome.error}"
        )[:200]
        endpoint.updated_at = now
        log.warning("webhook endpoint disabled", endpoint_id=endpoint.id, reason=endpoint.disabled_reason)


def deliver_due(
    database: Database,
    settings: WebhooksSettings,
    send: Sender,
    *,
    now: Callable[[], dt.datetime] = utcnow,
    resolve: targets.Resolver = targets.system_resolver,
) -> int:
    """One pass: claim due deliveries, attempt each (outside any transaction), record the outcomes.
    Returns how many were attempted."""
    with database.sessions() as session, session.begin():
        claimed = claim_due(session, now(), settings.batch_size)
    for delivery_id in claimed:
        with database.sessions() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
            if delivery is None or endpoint is None:
                continue  # the endpoint was deleted meanwhile
            session.expunge_all()
        moment = now()
        outcome = attempt_delivery(delivery, endpoint, settings, send, moment, resolve)
        with database.sessions() as session, session.begin():
            delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
            endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
            if delivery is None or endpoint is None:
                continue
            record_attempt(delivery, endpoint, outcome, settings, moment)
        if not outcome.delivered:
            log.info("webhook attempt failed", delivery_id=delivery_id, error=outcome.error)
    return len(claimed)


def run_delivery_loop(
    database: Database, settings: WebhooksSettings, stop: Callable[[], bool], wait: Callable[[float], Any]
) -> None:
    """``sasar worker --component webhooks``: deliver until ``stop()``."""
    send = http_sender(settings.delivery_timeout_seconds)
    while not stop():
        try:
            attempted = deliver_due(database, settings, send)
        except Exception:  # a database outage must not end the loop; it is logged and retried
            log.exception("webhook delivery pass failed")
            attempted = 0
        if attempted == 0:
            wait(settings.poll_interval_seconds)


# --- the log and replays -----------------------------------------------------------------------------


def list_deliveries(
    session: Session, endpoint: WebhookEndpoint, params: ListParams
) -> tuple[list[WebhookDelivery], str | None]:
    statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    return paginate_list(
        session,
        statement,
        created_at=WebhookDelivery.created_at,
        updated_at=WebhookDelivery.updated_at,
        id_column=WebhookDelivery.id,
        params=params,
        ids_follow_creation=True,
    )


def replay(session: Session, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again (whatever became of it): due now, with a fresh retry window."""
    delivery = session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id
        )
    ).first()
    if delivery is None:
        raise DeliveryNotFound(Message("webhooks.delivery_not_found_id", delivery_id=delivery_id))
    now = utcnow()
    delivery.status = DeliveryStatus.pending.value
    delivery.next_attempt_at = now
    delivery.window_started_at = now
    delivery.delivered_at = None
    session.flush()
    return delivery
