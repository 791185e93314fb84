"""Gateway tables: credentials only (no business data).

Secrets are never stored: API keys and client secrets are high-entropy random strings, so a SHA-256
digest (looked up by a short public prefix) is safe and cheap enough to check on every request;
officer passwords are chosen by people and get argon2.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, make_metadata


class GatewayBase(DeclarativeBase):
    metadata = make_metadata()


class ApiKey(GatewayBase):
    """A village government system's key (``sk_vil_…``), bound to one desa/kelurahan."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    village_code: Mapped[str] = mapped_column(String(13), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class InternalClient(GatewayBase):
    """An agency integration: client id, hashed secret and the scopes it may use."""

    __tablename__ = "internal_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(500))  # space-separated, as in OAuth2
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class OfficerLogin(GatewayBase):
    """Login of a police village officer (Bhabinkamtibmas), by NRP (8-digit police staff number)."""

    __tablename__ = "officer_logins"

    nrp: Mapped[str] = mapped_column(String(8), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Failed attempts are counted per (NRP, address) in the gateway's rate-limit store, not here: an
    # account-wide count would let anyone lock any officer out.
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class RefreshToken(GatewayBase):
    """One refresh token of a family (a login); using a rotated one again revokes the whole family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    nrp: Mapped[str] = mapped_column(ForeignKey("officer_logins.nrp", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


REFERENCE_TABLES: frozenset[str] = frozenset()
