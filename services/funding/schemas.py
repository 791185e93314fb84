"""Funding request/response models (names prefixed where another service could use the same word)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from services.common.money import PositiveRupiah, Rupiah
from services.common.text import TextRule
from services.common.timestamps import UtcTimestamps, VillageTimestamps
from services.funding.statuses import AgreementStatus, InvoiceStatus, PaymentMethod

# The registry's `Program` (one schema in the public document, one type in a generated client).
Program = TypeAliasType("Program", Literal["JKK", "JKM", "JHT"])
# The registry's `WorkerStatus` schema, by name and content (the gateway refuses one name documented two
# ways), so arrears carry the same status type as workers in a generated client.
WorkerStatus = TypeAliasType(
    "WorkerStatus",
    Annotated[Literal["registered", "active", "lapsed", "inactive", "deceased"], Field(title="WorkerStatus")],
)
# Named: one schema (and one client type) for an agreement's source, created, changed or answered.
AgreementSource = TypeAliasType("AgreementSource", Literal["dana_desa", "apbd_kelurahan", "csr", "other"])
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


class RateDiscountOut(BaseModel):
    name: str
    start_period: str
    end_period: str
    percent_payable: int
    programs: list[str]
    occupations: list[str] | None
    applies_to_dana_desa: bool
    applies_to_apbd_kelurahan: bool


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
    applies_to_dana_desa: bool = Field(
        default=False, description="also when the village fund (dana desa, APBDes) pays"
    )
    applies_to_apbd_kelurahan: bool = Field(
        default=False, description="also when a city budget (APBD) pays for a kelurahan"
    )


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
    programs: list[Program] = Field(min_length=1)
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
    source: AgreementSource
    legal_reference: LegalReference = Field(description="Perdes/Perkades number")
    budget_ceiling_idr: PositiveRupiah
    start_period: str = Field(pattern=PERIOD_PATTERN)
    end_period: str = Field(pattern=PERIOD_PATTERN)
    programs: list[Program] = Field(min_length=2)
    allow_over_budget: bool = False


class FundingAgreementPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: AgreementSource | None = None
    legal_reference: LegalReference | None = None
    budget_ceiling_idr: PositiveRupiah | None = None
    start_period: str | None = Field(default=None, pattern=PERIOD_PATTERN)
    end_period: str | None = Field(default=None, pattern=PERIOD_PATTERN)
    programs: list[Program] | None = Field(default=None, min_length=2)
    allow_over_budget: bool | None = None


class FundingAgreementOut(VillageTimestamps):
    id: int
    village_code: str
    fiscal_year: int
    source: AgreementSource
    legal_reference: str
    budget_ceiling_idr: int
    budget_committed_idr: int
    budget_remaining_idr: int
    start_period: str
    end_period: str
    programs: list[Program]
    allow_over_budget: bool
    status: AgreementStatus
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


class BackBillingRunIn(BaseModel):
    """Bill an agreement's members for a month before they joined (admin only; kept with its reason)."""

    model_config = ConfigDict(extra="forbid")
    period: str = Field(pattern=PERIOD_PATTERN)
    reason: str = Field(min_length=3, max_length=200, description="why these months are billed after all")


class BillingRunOut(UtcTimestamps):
    id: int
    period: str
    invoices_issued: int
    lines: int
    total_idr: int
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    kind: Literal["monthly", "back_billing"] = "monthly"
    reason: str | None = None
    agreement_id: int | None = None


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


class InvoiceOut(VillageTimestamps):
    id: int
    number: str
    agreement_id: int
    village_code: str
    period: str
    status: InvoiceStatus
    kind: Literal["regular", "supplementary"] = Field(
        description="regular: the month's first invoice; supplementary: workers who joined after it, or a "
        "month whose invoice was voided"
    )
    total_idr: int
    credited_idr: int
    paid_idr: int
    outstanding_idr: int
    unallocated_idr: int | None = Field(
        default=None,
        description="(with lines) paid but short of the next worker's whole month: it completes that month "
        "when the rest is paid",
    )
    due_date: dt.date
    created_at: dt.datetime
    updated_at: dt.datetime = Field(description="Moves on every change (sync with `updated_since`)")
    version: int
    lines: list[InvoiceLineOut] | None = None
    credit_notes: list[InvoiceCreditNoteOut] | None = None


class InvoiceOverdueRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: dt.date


class InvoiceOverdueRunOut(BaseModel):
    marked_overdue: int


class PaymentIn(BaseModel):
    """One SP2D: it pays ``invoice_id``, or several invoices of its village (``invoice_ids``), oldest
    month first, each up to what it owes."""

    model_config = ConfigDict(extra="forbid")
    invoice_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID, description="the invoice paid")
    invoice_ids: list[Annotated[int, Field(ge=1, le=MAX_ROW_ID)]] | None = Field(
        default=None, min_length=1, max_length=24, description="instead of invoice_id: the invoices paid"
    )
    amount_idr: PositiveRupiah
    paid_on: dt.date
    method: PaymentMethod  # the same schema as a payment answered (one type in a generated client)
    reference: PaymentReference = Field(description="SP2D number (treasury disbursement order)")

    def invoices(self) -> tuple[int, ...]:
        """The invoices named, whichever way (the route refuses both or neither)."""
        return tuple(
            dict.fromkeys([*([self.invoice_id] if self.invoice_id else []), *(self.invoice_ids or [])])
        )


class PaymentAllocationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    invoice_id: int
    amount_idr: int


class PaymentOut(VillageTimestamps):
    id: int
    invoice_id: int = Field(description="the (oldest) invoice this payment went to")
    village_code: str
    amount_idr: int
    paid_on: dt.date
    method: PaymentMethod
    reference: str
    created_at: dt.datetime
    updated_at: dt.datetime
    invoice_status: InvoiceStatus | None = None
    allocations: list[PaymentAllocationOut] = Field(
        default_factory=list, description="what each invoice received, oldest month first"
    )


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
    # The registry's worker status, as funding's copy of the worker holds it.
    status: WorkerStatus
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
