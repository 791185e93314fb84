"""Funding request/response models (names prefixed where another service could use the same word)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.money import PositiveRupiah, Rupiah
from services.common.text import TextRule

ProgramName = Literal["JKK", "JKM", "JHT"]
SourceName = Literal["dana_desa", "apbd_kelurahan", "csr", "other"]
PERIOD_PATTERN = r"^[0-9]{4}-[0-9]{2}$"
MAX_ROW_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
# Client text (NFC, stripped, no control characters), each sized to the column it is stored in or
# compared with; used by the request bodies below and by the routes' path and query parameters.
WorkerId = Annotated[str, TextRule(64, pattern=r"^[A-Za-z0-9_.:-]+$")]
VillageCodeText = Annotated[str, TextRule(13)]
ScheduleCode = Annotated[str, TextRule(40)]
OccupationText = Annotated[str, TextRule(20)]
DisplayName = Annotated[str, TextRule(200)]
LegalReference = Annotated[str, TextRule(200)]
PaymentReference = Annotated[str, TextRule(60)]
# Filters may be empty, as before ("" filters nothing).
VillageCodeFilter = Annotated[str, TextRule(13, min_length=0)]
AgreementStatusFilter = Annotated[str, TextRule(10, min_length=0)]
InvoiceStatusFilter = Annotated[str, TextRule(16, min_length=0)]


class RateDiscountOut(BaseModel):
    name: str
    start_period: str
    end_period: str
    percent_payable: int
    programs: list[str]
    occupations: list[str] | None
    applies_to_government_paid: bool


class RateScheduleOut(BaseModel):
    id: str
    code: str
    version: int
    name: str
    effective_from: str
    effective_to: str | None
    min_income_idr: int
    max_income_idr: int
    jkk_rate_bp: int
    jkk_min_idr: int
    jkk_max_idr: int
    jkm_flat_idr: int
    jht_rate_bp: int
    discounts: list[RateDiscountOut]
    in_force: bool


class RateDiscountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: DisplayName
    start_period: str = Field(pattern=PERIOD_PATTERN)
    end_period: str = Field(pattern=PERIOD_PATTERN)
    percent_payable: int = Field(ge=0, le=100)
    programs: list[Literal["JKK", "JKM"]] = Field(min_length=1)
    occupations: list[OccupationText] | None = None
    applies_to_government_paid: bool = False


class RateScheduleVersionIn(BaseModel):
    """A new version of a schedule (replaces the current one for prices from now on)."""

    model_config = ConfigDict(extra="forbid")
    name: DisplayName
    effective_from: str = Field(pattern=PERIOD_PATTERN)
    effective_to: str | None = Field(default=None, pattern=PERIOD_PATTERN)
    min_income_idr: Rupiah
    max_income_idr: Rupiah
    jkk_rate_bp: int = Field(ge=0, le=10_000)
    jkk_min_idr: Rupiah
    jkk_max_idr: Rupiah
    jkm_flat_idr: Rupiah
    jht_rate_bp: int = Field(ge=0, le=10_000)
    discounts: list[RateDiscountIn] = []


class ContributionQuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    declared_income_idr: PositiveRupiah
    programs: list[ProgramName] = Field(min_length=1)
    period: str = Field(pattern=PERIOD_PATTERN)
    funding_source: Literal["dana_desa", "apbd_kelurahan", "csr", "other", "self_pay"]
    occupation: OccupationText


class ContributionQuoteLineOut(BaseModel):
    program: str
    amount_idr: int
    discount_idr: int
    discount_name: str | None


class ContributionQuoteOut(BaseModel):
    lines: list[ContributionQuoteLineOut]
    total_idr: int
    schedule_id: str
    period: str


class FundingAgreementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    village_code: VillageCodeText
    fiscal_year: int = Field(ge=2000, le=2099)
    source: SourceName
    legal_reference: LegalReference = Field(description="Perdes/Perkades number")
    budget_ceiling_idr: PositiveRupiah
    start_period: str = Field(pattern=PERIOD_PATTERN)
    end_period: str = Field(pattern=PERIOD_PATTERN)
    programs: list[ProgramName] = Field(min_length=2)
    allow_over_budget: bool = False


class FundingAgreementPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: SourceName | None = None
    legal_reference: LegalReference | None = None
    budget_ceiling_idr: PositiveRupiah | None = None
    start_period: str | None = Field(default=None, pattern=PERIOD_PATTERN)
    end_period: str | None = Field(default=None, pattern=PERIOD_PATTERN)
    programs: list[ProgramName] | None = Field(default=None, min_length=2)
    allow_over_budget: bool | None = None


class FundingAgreementOut(BaseModel):
    id: int
    village_code: str
    fiscal_year: int
    source: str
    legal_reference: str
    budget_ceiling_idr: int
    budget_committed_idr: int
    budget_remaining_idr: int
    start_period: str
    end_period: str
    programs: list[str]
    allow_over_budget: bool
    status: str
    member_count: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AgreementMembersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    worker_ids: list[WorkerId] = Field(min_length=1, max_length=500)


class AgreementMemberResultOut(BaseModel):
    worker_id: str
    status: Literal["added", "unchanged", "rejected"]
    reason: str | None = None
    cost_idr: int | None = Field(
        default=None, description="Cost over the agreement's months not invoiced yet"
    )
    over_budget_by_idr: int | None = None


class AgreementMembersOut(BaseModel):
    results: list[AgreementMemberResultOut]
    agreement: FundingAgreementOut


class AgreementMemberRemovalOut(BaseModel):
    worker_id: str
    credited_idr: int


class BillingRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str = Field(pattern=PERIOD_PATTERN)


class BillingRunOut(BaseModel):
    id: int
    period: str
    invoices_issued: int
    lines: int
    total_idr: int
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class InvoiceLineOut(BaseModel):
    line_no: int
    worker_id: str
    program: str
    schedule_id: str
    declared_income_idr: int
    amount_idr: int
    discount_idr: int
    paid_idr: int
    credited_idr: int


class InvoiceCreditNoteOut(BaseModel):
    id: int
    worker_id: str
    amount_idr: int
    reason: str
    created_at: dt.datetime


class InvoiceOut(BaseModel):
    id: int
    number: str
    agreement_id: int
    village_code: str
    period: str
    status: str
    total_idr: int
    credited_idr: int
    paid_idr: int
    outstanding_idr: int
    due_date: dt.date
    created_at: dt.datetime
    version: int
    lines: list[InvoiceLineOut] | None = None
    credit_notes: list[InvoiceCreditNoteOut] | None = None


class InvoiceOverdueRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: dt.date


class InvoiceOverdueRunOut(BaseModel):
    marked_overdue: int


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_id: int = Field(ge=1, le=MAX_ROW_ID)
    amount_idr: PositiveRupiah
    paid_on: dt.date
    method: Literal["bank_transfer", "virtual_account", "cash", "giro"]
    reference: PaymentReference = Field(description="SP2D number (treasury disbursement order)")


class PaymentOut(BaseModel):
    id: int
    invoice_id: int
    village_code: str
    amount_idr: int
    paid_on: dt.date
    method: str
    reference: str
    created_at: dt.datetime
    invoice_status: str | None = None


class StatementMonthOut(BaseModel):
    period: str
    invoices: int
    invoiced_idr: int
    paid_idr: int
    outstanding_idr: int


class VillageStatementOut(BaseModel):
    village_code: str
    fiscal_year: int
    months: list[StatementMonthOut]
    invoiced_idr: int
    paid_idr: int
    outstanding_idr: int
    budget_ceiling_idr: int
    budget_committed_idr: int
    budget_remaining_idr: int
    agreements: list[FundingAgreementOut]


class WorkerArrearsOut(BaseModel):
    worker_id: str
    village_code: str
    unpaid_months: int
    unpaid_idr: int
    status: str
    lapsed: bool


class CoverageLapseRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: dt.date


class CoverageLapseRunOut(BaseModel):
    lapsed_worker_ids: list[str]


class HandoverWorkerOut(BaseModel):
    worker_id: str
    self_pay_monthly_idr: int | None


class AgreementEndingOut(BaseModel):
    agreement_id: int
    village_code: str
    end_period: str
    handover_period: str
    workers: list[HandoverWorkerOut]
