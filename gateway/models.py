"""Gateway tables: credentials only (no business data)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from services.common.db import make_metadata


class GatewayBase(DeclarativeBase):
    metadata = make_metadata()


REFERENCE_TABLES: frozenset[str] = frozenset()
