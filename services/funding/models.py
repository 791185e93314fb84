"""Funding tables (the funding database only).

Periods (contribution months) are stored as an integer index ``year * 12 + month - 1`` so that SQL can
compare and range over them on every backend; ``services.funding.rates.period_index`` converts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from types import MappingProxyType

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, make_metadata, updated_at_column
from services.common.events import make_inbox_table, make_outbox_table
from services.common.idempotency import make_idempotency_table
from services.common.jobs import make_jobs_table, make_lease_table
from services.funding.statuses import AgreementStatus, InvoiceStatus, MemberStatus, PaymentMethod

# Sources an agreement may name (self-pay is a quote-only source: no agreement pays for itself).
AGREEMENT_SOURCES = ("dana_desa", "apbd_kelurahan", "csr", "other")


def one_of(column: str, values: Iterable[str]) -> str:
    """SQL for a CHECK that ``column`` holds one of ``values`` (the same text the migration writes)."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class FundingBase(DeclarativeBase):
    metadata = make_metadata()


idempotency_keys = make_idempotency_table(FundingBase.metadata)
# Events this service publishes (same transaction as the change) and the ids of those it has applied.
outbox = make_outbox_table(FundingBase.metadata)
inbox = make_inbox_table(FundingBase.metadata)
jobs_table = make_jobs_table(FundingBase.metadata)
job_leases = make_lease_table(FundingBase.metadata)


class FundingProgram(FundingBase):
    """The BPJS programmes an invoice line can be for (reference rows JKK, JKM, JHT)."""

    __tablename__ = "funding_programs"

    program: Mapped[str] = mapped_column(String(3), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class RateScheduleRow(FundingBase):
    """One version of a rate schedule (see :class:`services.funding.pricing.RateSchedule`)."""

    __tablename__ = "rate_schedules"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    effective_from_idx: Mapped[int] = mapped_column(Integer)
    effective_to_idx: Mapped[int | None] = mapped_column(Integer)
    min_income_idr: Mapped[int] = mapped_column(BigInteger)
    max_income_idr: Mapped[int] = mapped_column(BigInteger)
    jkk_rate_bp: Mapped[int] = mapped_column(Integer)
    jkk_min_idr: Mapped[int] = mapped_column(BigInteger)
    jkk_max_idr: Mapped[int] = mapped_column(BigInteger)
    jkm_flat_idr: Mapped[int] = mapped_column(BigInteger)
    jht_rate_bp: Mapped[int] = mapped_column(Integer)
    # A newer version of the same code replaces this one for prices from then on (issued lines keep theirs).
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))

    __table_args__ = (UniqueConstraint("code", "version"),)


class RateDiscountRow(FundingBase):
    """A temporary reduction attached to a schedule version (e.g. PP 50/2025)."""

    __tablename__ = "rate_discounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[str] = mapped_column(ForeignKey("rate_schedules.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    start_idx: Mapped[int] = mapped_column(Integer)
    end_idx: Mapped[int] = mapped_column(Integer)
    percent_payable: Mapped[int] = mapped_column(Integer)
    covers_jkk: Mapped[bool] = mapped_column(Boolean)
    covers_jkm: Mapped[bool] = mapped_column(Boolean)
    all_occupations: Mapped[bool] = mapped_column(Boolean)
    applies_to_dana_desa: Mapped[bool] = mapped_column(Boolean)
    applies_to_apbd_kelurahan: Mapped[bool] = mapped_column(Boolean)


class RateDiscountOccupation(FundingBase):
    __tablename__ = "rate_discount_occupations"

    discount_id: Mapped[int] = mapped_column(ForeignKey("rate_discounts.id"), primary_key=True)
    occupation: Mapped[str] = mapped_column(String(20), primary_key=True)


class FundingAgreement(FundingBase):
    """A village's (or a city's, for a kelurahan) commitment to pay contributions for a fiscal year."""

    __tablename__ = "funding_agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    village_code: Mapped[str] = mapped_column(String(13), index=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    legal_reference: Mapped[str] = mapped_column(String(200))
    budget_ceiling_idr: Mapped[int] = mapped_column(BigInteger)
    start_idx: Mapped[int] = mapped_column(Integer)
    end_idx: Mapped[int] = mapped_column(Integer)
    includes_jht: Mapped[bool] = mapped_column(Boolean, server_default=false())
    allow_over_budget: Mapped[bool] = mapped_column(Boolean, server_default=false())
    status: Mapped[str] = mapped_column(String(10), server_default=text(f"'{AgreementStatus.draft}'"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = updated_at_column()

    # The ORM bumps version on every UPDATE, guarded by "AND version = <as read>": a change committed
    # meanwhile fails this flush (StaleDataError, answered 412) instead of being overwritten.
    __mapper_args__ = MappingProxyType({"version_id_col": version})
    __table_args__ = (
        Index("ix_funding_agreements_status_period", "status", "start_idx", "end_idx"),
        CheckConstraint(one_of("status", AgreementStatus), name="status"),
        CheckConstraint(one_of("source", AGREEMENT_SOURCES), name="source"),
    )


class FundedWorker(FundingBase):
    """Funding's own copy of what billing needs about a worker (kept fresh from registry data/events)."""

    __tablename__ = "funded_workers"

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(13), index=True)
    occupation: Mapped[str] = mapped_column(String(20))
    declared_income_idr: Mapped[int] = mapped_column(BigInteger)
    has_jht: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(12))
    registry_version: Mapped[int | None] = mapped_column(Integer)
    # The last day (village's local date) a worker still without a NIK may be rostered; NULL with a NIK.
    temporary_id_expires_on: Mapped[dt.date | None] = mapped_column(Date)
    synced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    lapsed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AgreementMember(FundingBase):
    """A worker on an agreement's roster."""

    __tablename__ = "agreement_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("funding_agreements.id"))
    worker_id: Mapped[str] = mapped_column(ForeignKey("funded_workers.worker_id"), index=True)
    status: Mapped[str] = mapped_column(String(10), server_default=text(f"'{MemberStatus.active}'"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Billed from the month they joined (no retroactive months unless an admin back-bills, recorded as a
    # billing run), through ``last_period_idx`` once removed (the month a worker died stays payable).
    first_period_idx: Mapped[int] = mapped_column(Integer)
    last_period_idx: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("agreement_id", "worker_id"),
        CheckConstraint(one_of("status", MemberStatus), name="status"),
    )


class FundedMonth(FundingBase):
    """One month of one worker's funding by one agreement. The primary key is the rule that a worker is
    funded by at most one agreement in any month: two roster additions racing for the same worker in
    the same months cannot both commit (a constraint, not a read-then-insert)."""

    __tablename__ = "funded_months"

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period_idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("funding_agreements.id"), index=True)


class InvoiceCounter(FundingBase):
    """Last invoice number used per village per year; locked while numbers are allocated (gapless)."""

    __tablename__ = "invoice_counters"

    village_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class BillingRun(FundingBase):
    __tablename__ = "billing_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period_idx: Mapped[int] = mapped_column(Integer, index=True)
    invoices_issued: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    lines: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    total_idr: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    # ``monthly`` (every agreement, the members' joined months) or ``back_billing`` (one agreement's
    # members for a month before they joined, asked for by an admin with a reason).
    kind: Mapped[str] = mapped_column(String(12), server_default=text("'monthly'"))
    reason: Mapped[str | None] = mapped_column(String(200))
    agreement_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("kind IN ('monthly', 'back_billing')", name="kind"),)


class Invoice(FundingBase):
    """One agreement's bill for one month (tagihan). ``regular`` is the month's first invoice;
    ``supplementary`` ones bill workers who joined after it or months whose invoice was voided."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("funding_agreements.id"))
    village_code: Mapped[str] = mapped_column(String(13))
    period_idx: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    sequence_no: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(16), server_default=text(f"'{InvoiceStatus.draft}'"))
    kind: Mapped[str] = mapped_column(String(14), server_default=text("'regular'"))
    total_idr: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    paid_idr: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    credited_idr: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    due_date: Mapped[dt.date] = mapped_column(Date)
    billing_run_id: Mapped[int] = mapped_column(ForeignKey("billing_runs.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = updated_at_column()
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    # The ORM bumps version on every UPDATE, guarded by "AND version = <as read>": a change committed
    # meanwhile fails this flush (StaleDataError, answered 412) instead of being overwritten.
    __mapper_args__ = MappingProxyType({"version_id_col": version})
    __table_args__ = (
        Index("ix_invoices_agreement_id_period_idx", "agreement_id", "period_idx"),
        UniqueConstraint("village_code", "year", "sequence_no"),
        CheckConstraint("kind IN ('regular', 'supplementary')", name="kind"),
        Index("ix_invoices_village_code_period_idx", "village_code", "period_idx"),
        CheckConstraint(one_of("status", InvoiceStatus), name="status"),
        CheckConstraint("total_idr >= 0", name="total_idr_not_negative"),
        CheckConstraint("paid_idr >= 0", name="paid_idr_not_negative"),
        CheckConstraint("credited_idr >= 0", name="credited_idr_not_negative"),
        CheckConstraint("paid_idr + credited_idr <= total_idr", name="settled_within_total"),
    )


class InvoiceLine(FundingBase):
    """One worker's one programme for the invoice's month, priced by the schedule in force."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    worker_id: Mapped[str] = mapped_column(String(64), index=True)
    program: Mapped[str] = mapped_column(String(3))
    schedule_id: Mapped[str] = mapped_column(String(60))
    declared_income_idr: Mapped[int] = mapped_column(BigInteger)
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    discount_idr: Mapped[int] = mapped_column(BigInteger)
    paid_idr: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    credited_idr: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    __table_args__ = (UniqueConstraint("invoice_id", "line_no"),)


class CreditNote(FundingBase):
    """A correction reducing an issued invoice (nota kredit), e.g. for a worker removed after issue."""

    __tablename__ = "credit_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    worker_id: Mapped[str] = mapped_column(String(64))
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Payment(FundingBase):
    """A payment from the village treasury; ``reference`` is the SP2D number (Surat Perintah Pencairan
    Dana, the treasury's disbursement order), unique per village. One SP2D may pay several invoices of
    its village (:class:`PaymentAllocation`); ``invoice_id`` is the oldest of them."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(13))
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = updated_at_column()
    actor: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        UniqueConstraint("village_code", "reference"),
        CheckConstraint(one_of("method", PaymentMethod), name="method"),
    )


class PaymentAllocation(FundingBase):
    """The part of a payment that went to one invoice."""

    __tablename__ = "payment_allocations"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True, index=True)
    amount_idr: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("amount_idr > 0", name="amount_positive"),)


# Tables filled by migrations or loaders (reference data): tests keep them between cases.
REFERENCE_TABLES: frozenset[str] = frozenset(
    {"funding_programs", "rate_schedules", "rate_discounts", "rate_discount_occupations"}
)

# Lists integrators sync from filter on updated_since and page in (updated_at, id) order.
Index("ix_funding_agreements_updated_at_id", FundingAgreement.updated_at, FundingAgreement.id)
Index("ix_invoices_updated_at_id", Invoice.updated_at, Invoice.id)
Index("ix_payments_updated_at_id", Payment.updated_at, Payment.id)
