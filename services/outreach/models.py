"""Outreach tables (the outreach database only).

Bhabinkamtibmas (Bhayangkara Pembina Keamanan dan Ketertiban Masyarakat) are the village police
officers who run outreach; each is identified by an NRP (Nomor Registrasi Pokok, 8 digits).
"""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, make_metadata, updated_at_column
from services.common.events import make_inbox_table, make_outbox_table
from services.common.idempotency import make_idempotency_table


class OutreachBase(DeclarativeBase):
    metadata = make_metadata()


idempotency_keys = make_idempotency_table(OutreachBase.metadata)
# Events this service publishes (same transaction as the change) and the ids of those it has applied.
outbox = make_outbox_table(OutreachBase.metadata)
inbox = make_inbox_table(OutreachBase.metadata)


class Officer(OutreachBase):
    """A village police officer (Bhabinkamtibmas)."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nrp: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    rank: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(120))  # Polres/Polsek
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = updated_at_column()

    # The ORM bumps version on every UPDATE, guarded by "AND version = <as read>": a change committed
    # meanwhile fails this flush (StaleDataError, answered 412) instead of being overwritten.
    __mapper_args__ = MappingProxyType({"version_id_col": version})


class Assignment(OutreachBase):
    """An officer's duty in one village from ``valid_from`` to ``valid_to`` (inclusive, village dates).

    Assignments are ended (``valid_to`` set), never deleted, so the history stays.
    """

    __tablename__ = "officer_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(13), index=True)
    role: Mapped[str] = mapped_column(String(12))  # primary | substitute
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),)


class OutreachSession(OutreachBase):
    """A session an officer holds in a village: sosialisasi (information meeting), door to door, or a
    registration desk; co-hosts are usually the kepala desa (village head) and the Babinsa (army
    village officer)."""

    __tablename__ = "outreach_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_code: Mapped[str] = mapped_column(String(13), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    venue: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    co_hosts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))  # scheduled | cancelled | held
    recorded: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[dt.datetime] = updated_at_column()

    # The ORM bumps version on every UPDATE, guarded by "AND version = <as read>": a change committed
    # meanwhile fails this flush (StaleDataError, answered 412) instead of being overwritten.
    __mapper_args__ = MappingProxyType({"version_id_col": version})

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_outreach_sessions_officer_starts", "officer_id", "starts_at"),
    )


class SessionChange(OutreachBase):
    """History of a session: scheduled, rescheduled (old and new times) and cancelled, with reasons."""

    __tablename__ = "outreach_session_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("outreach_sessions.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Attendance(OutreachBase):
    """Someone who attended a session, captured offline on the officer's phone."""

    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("outreach_sessions.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    nik: Mapped[str | None] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Lead(OutreachBase):
    """A person interested in joining, captured in the field; converts into a registry worker."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("outreach_sessions.id"))
    village_code: Mapped[str] = mapped_column(String(13))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    nik: Mapped[str | None] = mapped_column(String(16))
    occupation: Mapped[str | None] = mapped_column(String(20))
    consent_given_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    consent_captured_by: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12))  # open | converted
    worker_id: Mapped[str | None] = mapped_column(String(64))
    linked_existing: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    converted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    converted_by: Mapped[str | None] = mapped_column(String(120))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = updated_at_column()

    __table_args__ = (Index("ix_leads_village_code_status", "village_code", "status"),)


class Target(OutreachBase):
    """A village's goal of covered workers for a year (villages without a row have the default, 100)."""

    __tablename__ = "outreach_targets"

    village_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(120))

    __table_args__ = (CheckConstraint("target >= 0", name="target_not_negative"),)


class VillageWorkerCount(OutreachBase):
    """Local copy of the registry's worker counts per village (refreshed from the registry today;
    registry events can keep it current later without changing the progress queries)."""

    __tablename__ = "village_worker_counts"

    village_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    registered: Mapped[int] = mapped_column(Integer)
    active: Mapped[int] = mapped_column(Integer)
    lapsed: Mapped[int] = mapped_column(Integer)
    inactive: Mapped[int] = mapped_column(Integer)
    deceased: Mapped[int] = mapped_column(Integer)
    refreshed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class WorkerTally(OutreachBase):
    """Each registry worker's village and status as the last applied event said (version-guarded), so
    an event moves exactly one worker between the per-village counters."""

    __tablename__ = "worker_tallies"

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(13))
    status: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer)


# Only active feeds (not revoked) are unique per officer: revoked rows stay as the record of who
# revoked which feed and when.
ACTIVE_FEED_SQL = "revoked_at IS NULL"


class CalendarFeed(OutreachBase):
    """An officer's subscribable calendar URL. Only the SHA-256 of its secret is stored (the secret is
    shown once, like an API key); an officer has at most one feed not revoked."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    secret_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (
        Index(
            "uq_calendar_feeds_active_officer",
            "officer_id",
            unique=True,
            postgresql_where=text(ACTIVE_FEED_SQL),
            sqlite_where=text(ACTIVE_FEED_SQL),
        ),
    )


# Tables filled by migrations or loaders (reference data): tests keep them between cases.
REFERENCE_TABLES: frozenset[str] = frozenset()

# Lists integrators sync from filter on updated_since and page in (updated_at, id) order.
Index("ix_officers_updated_at_id", Officer.updated_at, Officer.id)
Index("ix_outreach_sessions_updated_at_id", OutreachSession.updated_at, OutreachSession.id)
Index("ix_leads_updated_at_id", Lead.updated_at, Lead.id)
