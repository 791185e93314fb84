"""Registry tables (the registry database only)."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, make_metadata, updated_at_column
from services.common.events import make_inbox_table, make_outbox_table
from services.common.idempotency import make_idempotency_table
from services.common.jobs import make_jobs_table
from services.registry.validation import NAME_KEY_LENGTH, NAME_LENGTH


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


# Statuses that still hold the NIK: one such worker per NIK nationally (enforced by a partial unique index,
# so two concurrent registrations of one NIK give one success and one unique violation).
NIK_HOLDING_SQL = "nik IS NOT NULL AND status IN ('registered', 'active', 'lapsed')"


class Worker(RegistryBase):
    """An informal (non-wage, BPU) worker registered for coverage.

    ``programs`` is the canonical comma list (``JKK,JKM`` or ``JKK,JKM,JHT``), ``name_key`` the normalised
    name used to find possible duplicates.
    """

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nik: Mapped[str | None] = mapped_column(String(16))
    temporary_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    temporary_deadline: Mapped[dt.date | None] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(16))
    village_code: Mapped[str] = mapped_column(String(13))
    occupation: Mapped[str] = mapped_column(String(20))
    declared_income_idr: Mapped[int] = mapped_column(BigInteger)
    programs: Mapped[str] = mapped_column(String(20))
    funding: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    status_reason: Mapped[str | None] = mapped_column(String(20))
    status_effective_date: Mapped[dt.date | None] = mapped_column(Date)
    merged_into_id: Mapped[str | None] = mapped_column(String(36))
    officer_id: Mapped[str | None] = mapped_column(String(64))
    outreach_session_id: Mapped[str | None] = mapped_column(String(64))
    lead_id: Mapped[str | None] = mapped_column(String(64))
    import_id: Mapped[str | None] = mapped_column(String(36), index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = updated_at_column()

    # The ORM bumps version on every UPDATE, guarded by "AND version = <as read>": a change committed
    # meanwhile fails this flush (StaleDataError, answered 412) instead of being overwritten.
    __mapper_args__ = MappingProxyType({"version_id_col": version})
    __table_args__ = (
        Index(
            "ux_workers_active_nik",
            "nik",
            unique=True,
            postgresql_where=text(NIK_HOLDING_SQL),
            sqlite_where=text(NIK_HOLDING_SQL),
        ),
        Index("ix_workers_nik", "nik"),
        Index("ix_workers_village_code_id", "village_code", "id"),
        Index("ix_workers_village_code_status", "village_code", "status"),
        Index("ix_workers_duplicate_key", "village_code", "birth_date", "name_key"),
    )


class WorkerHistory(RegistryBase):
    """One changed field of one worker: who (principal actor), when, before and after (NIK masked)."""

    __tablename__ = "worker_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.id"), index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    field: Mapped[str] = mapped_column(String(40))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(200))


class WorkerImport(RegistryBase):
    """A bulk upload (CSV or XLSX) processed in the background."""

    __tablename__ = "worker_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    actor: Mapped[str] = mapped_column(String(120))
    village_code: Mapped[str | None] = mapped_column(String(13), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(8))
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    total: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    accepted: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rejected: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    duplicate_existing: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    duplicate_in_file: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    # The job that processes it, and the last row number whose chunk is committed (resumption point).
    job_id: Mapped[str | None] = mapped_column(String(40))
    committed_row: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = updated_at_column()
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class WorkerImportFile(RegistryBase):
    """The uploaded bytes of an import, kept until it is processed so a restarted worker can resume."""

    __tablename__ = "worker_import_files"

    import_id: Mapped[str] = mapped_column(ForeignKey("worker_imports.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class WorkerImportRow(RegistryBase):
    """The outcome of one data row of an import (row 2 is the first row under the header)."""

    __tablename__ = "worker_import_rows"

    import_id: Mapped[str] = mapped_column(ForeignKey("worker_imports.id"), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    result: Mapped[str] = mapped_column(String(20))
    errors: Mapped[str | None] = mapped_column(Text)
    worker_id: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (Index("ix_worker_import_rows_result", "import_id", "result", "row_number"),)


class DuplicateCandidate(RegistryBase):
    """Two workers that may be one person (same normalised name, birth date and village)."""

    __tablename__ = "duplicate_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    village_code: Mapped[str] = mapped_column(String(13))
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.id"))
    other_worker_id: Mapped[str] = mapped_column(ForeignKey("workers.id"))
    status: Mapped[str] = mapped_column(String(20))
    kept_worker_id: Mapped[str | None] = mapped_column(String(36))
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = updated_at_column()

    __table_args__ = (
        UniqueConstraint("worker_id", "other_worker_id"),
        Index("ix_duplicate_candidates_village_code_status", "village_code", "status", "id"),
    )


idempotency_keys = make_idempotency_table(RegistryBase.metadata)
# Events this service publishes (same transaction as the change) and the ids of those it has applied.
outbox = make_outbox_table(RegistryBase.metadata)
inbox = make_inbox_table(RegistryBase.metadata)
jobs_table = make_jobs_table(RegistryBase.metadata)

# Tables filled by migrations or loaders (reference data): tests keep them between cases.
REFERENCE_TABLES: frozenset[str] = frozenset({"areas"})

# Lists integrators sync from filter on updated_since and page in (updated_at, id) order.
Index("ix_workers_updated_at_id", Worker.updated_at, Worker.id)
Index("ix_worker_imports_updated_at_id", WorkerImport.updated_at, WorkerImport.id)
Index("ix_duplicate_candidates_updated_at_id", DuplicateCandidate.updated_at, DuplicateCandidate.id)
# UUID ids say nothing about creation order: the default (created_at, id) order gets its own index.
Index("ix_workers_created_at_id", Worker.created_at, Worker.id)
Index("ix_worker_imports_created_at_id", WorkerImport.created_at, WorkerImport.id)
