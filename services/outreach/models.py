"""Outreach tables (the outreach database only)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from services.common.db import make_metadata


class OutreachBase(DeclarativeBase):
    metadata = make_metadata()


# Tables filled by migrations or loaders (reference data): tests keep them between cases.
REFERENCE_TABLES: frozenset[str] = frozenset()
