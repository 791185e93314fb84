"""Registry tables (the registry database only)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import make_metadata


class RegistryBase(DeclarativeBase):
    metadata = make_metadata()


class Area(RegistryBase):
    """An official area (kode wilayah): province, regency/city, district (kecamatan) or village."""

    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), index=True)

    __table_args__ = (Index("ix_areas_level_code", "level", "code"),)


# Tables filled by migrations or loaders (reference data): tests keep them between cases.
REFERENCE_TABLES: frozenset[str] = frozenset({"areas"})
