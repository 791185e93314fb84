"""Webhooks tables (the webhooks database only): partners' endpoints and the deliveries to them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, make_metadata, updated_at_column
from services.common.events import make_inbox_table

REFERENCE_TABLES: frozenset[str] = frozenset()


class WebhooksBase(DeclarativeBase):
    metadata = make_metadata()


# Ids of the events already fanned out to deliveries: a redelivered event creates nothing twice.
inbox = make_inbox_table(WebhooksBase.metadata)


class WebhookEndpoint(WebhooksBase):
    """A partner's receiver: where events of the chosen types (of one village, or all) are POSTed."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    village_code: Mapped[str | None] = mapped_column(String(13), index=True)  # None: every village
    description: Mapped[str | None] = mapped_column(String(200))
    # The signing key must be readable to sign with (HMAC), so it cannot be stored hashed.
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10))  # active | disabled
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    failed_deliveries: Mapped[int] = mapped_column(Integer, default=0)  # in a row, since the last success
    owner_kind: Mapped[str] = mapped_column(String(10))  # village | internal: who manages it
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = updated_at_column()


class WebhookDelivery(WebhooksBase):
    """One event for one endpoint, and how its attempts went: the delivery log."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(40))
    # The exact body sent (and signed) on every attempt.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Retries stop this long after the window began (creation, or the last replay).
    window_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = updated_at_column()


# Lists integrators sync from filter on updated_since and page in (updated_at, id) order.
Index("ix_webhook_endpoints_updated_at_id", WebhookEndpoint.updated_at, WebhookEndpoint.id)
Index("ix_webhook_deliveries_updated_at_id", WebhookDelivery.updated_at, WebhookDelivery.id)
# Endpoint ids are random: the default (created_at, id) order gets its own index.
Index("ix_webhook_endpoints_created_at_id", WebhookEndpoint.created_at, WebhookEndpoint.id)
