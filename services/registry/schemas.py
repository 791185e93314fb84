"""Registry request/response models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from typing_extensions import TypeAliasType

from services.common.errors import FieldErrorModel
from services.common.text import TextRule
from services.common.timestamps import VillageTimestamps
from services.common.wilayah import AreaLevel, VillageKind
from services.registry.duplicates import DuplicateCandidateStatus
from services.registry.lifecycle import DeactivationReason
from services.registry.validation import Occupation, WorkerFunding, WorkerStatus


class AreaOut(BaseModel):
    code: str = Field(examples=["33.26.15.2001"])
    name: str = Field(examples=["Wuled"])
    level: AreaLevel
    parent_code: str | None = Field(examples=["33.26.15"])
    timezone: str = Field(description="IANA zone of the area", examples=["Asia/Jakarta"])
    zone: str = Field(description="Indonesian zone abbreviation: WIB, WITA or WIT", examples=["WIB"])
    kind: VillageKind | None = Field(
        default=None, description="For villages: kelurahan (urban ward), desa, or desa_adat (customary)"
    )


# --- workers ---------------------------------------------------------------------------------------

# Named (not an inline enum) so the public document has one `Program` schema that every service's
# operations share, and a generated client one `Program` type rather than one per field.
Program = TypeAliasType("Program", Literal["JKK", "JKM", "JHT"])
Sex = TypeAliasType("Sex", Literal["M", "F"])
# Client text (NFC, stripped, no control characters), sized to the column it is stored in; the NIK and
# phone are longer than their columns because the domain normalises them (and says why when it cannot).
# Optional values and filters may be empty, as before: the domain treats "" as absent.
WorkerName = Annotated[str, TextRule(120)]
NikText = Annotated[str, TextRule(32, min_length=0)]
PhoneText = Annotated[str, TextRule(32, min_length=0)]
AreaCodeText = Annotated[str, TextRule(13)]
AreaCodeFilter = Annotated[str, TextRule(13, min_length=0)]
ReferenceId = Annotated[str, TextRule(64, min_length=0)]
WorkerIdText = Annotated[str, TextRule(36)]
SearchText = Annotated[str, TextRule(120, min_length=2)]
AreaSearchText = Annotated[str, TextRule(100, min_length=2)]
_DERIVED = "Derived from the NIK; must agree if given"


class WorkerCreate(BaseModel):
    """A worker to register: a NIK, or ``temporary: true`` (then sex and birth date are required)."""

    model_config = ConfigDict(extra="forbid")

    nik: NikText | None = Field(default=None, examples=["3326154107900001"])
    temporary: bool = Field(default=False, description="Register without a NIK (replace within 90 days)")
    name: WorkerName = Field(examples=["Siti Aminah"])
    birth_date: dt.date | None = Field(default=None, description="Derived from the NIK; must agree if given")
    sex: Sex | None = Field(default=None, description="Derived from the NIK; must agree if given")
    phone: PhoneText | None = Field(default=None, examples=["+6281234567890"])
    village_code: AreaCodeText = Field(examples=["33.26.15.2001"])
    occupation: Occupation
    declared_income_idr: StrictInt = Field(description="Declared monthly income, Rp1,000,000-20,700,000")
    programs: list[Program] = Field(min_length=1, max_length=3, examples=[["JKK", "JKM"]])
    funding: WorkerFunding = WorkerFunding.village_fund
    officer_id: ReferenceId | None = Field(default=None, description="Outreach officer who signed them up")
    outreach_session_id: ReferenceId | None = None
    lead_id: ReferenceId | None = Field(default=None, description="Outreach lead converted here")


class WorkerPatch(BaseModel):
    """Fields that may change; ``nik`` replaces a temporary id (sex and birth date must then agree)."""

    model_config = ConfigDict(extra="forbid")

    nik: NikText | None = None
    name: WorkerName | None = None
    birth_date: dt.date | None = None
    sex: Sex | None = None
    phone: PhoneText | None = None
    occupation: Occupation | None = None
    declared_income_idr: StrictInt | None = None
    programs: list[Program] | None = Field(default=None, min_length=1, max_length=3)
    funding: WorkerFunding | None = None


class WorkerOut(VillageTimestamps):
    id: str
    nik: str | None = Field(description="Masked (3326**********01) in lists; full in a single read")
    temporary_id: str | None = Field(description="TMP-… when registered without a NIK")
    temporary_deadline: dt.date | None = Field(description="When the temporary id must be replaced by a NIK")
    name: str
    sex: Sex
    birth_date: dt.date
    phone: str | None
    village_code: str
    occupation: Occupation
    declared_income_idr: int
    programs: list[Program]
    funding: WorkerFunding
    status: WorkerStatus
    status_reason: str | None = Field(description="moved, deceased, withdrew or merged")
    status_effective_date: dt.date | None
    merged_into_id: str | None
    officer_id: str | None
    outreach_session_id: str | None
    lead_id: str | None
    version: int
    created_at: dt.datetime = Field(description="In the village's offset")
    updated_at: dt.datetime = Field(description="Moves on every change (sync with `updated_since`)")


class WorkerDeactivate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: DeactivationReason
    effective_date: dt.date


class WorkerCoverage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "lapsed"]


class WorkerHistoryOut(VillageTimestamps):
    id: int
    changed_at: dt.datetime
    actor: str = Field(description="Who: kind:subject of the principal, e.g. village:key-1")
    field: str = Field(description="Changed field; `*` for the registration itself")
    before: str | None
    after: str | None
    note: str | None


class WorkerCountsItem(BaseModel):
    village_code: str
    registered: int
    active: int
    lapsed: int
    inactive: int
    deceased: int


class WorkerCountsOut(BaseModel):
    area: str
    items: list[WorkerCountsItem]


# --- imports ---------------------------------------------------------------------------------------


# Named: one schema (and one client type) for an import's status, when accepted and when read.
WorkerImportStatus = TypeAliasType(
    "WorkerImportStatus", Literal["queued", "processing", "completed", "failed"]
)


class WorkerImportAccepted(BaseModel):
    id: str
    status: WorkerImportStatus
    job_id: str = Field(description="The job processing the import (`GET /v1/jobs/{job_id}`)")


class WorkerImportOut(VillageTimestamps):
    id: str
    village_code: str | None = Field(description="The one village the import is for; null for several")
    status: WorkerImportStatus
    filename: str
    file_format: str
    total: int
    accepted: int
    rejected: int
    duplicate_existing: int
    duplicate_in_file: int
    error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None


# Named: one schema (and one client type) for a row's result, answered and used as a filter.
WorkerImportRowResult = TypeAliasType(
    "WorkerImportRowResult", Literal["accepted", "rejected", "duplicate_existing", "duplicate_in_file"]
)


class WorkerImportRowOut(BaseModel):
    row: int
    result: WorkerImportRowResult
    errors: list[FieldErrorModel]
    worker_id: str | None


# --- duplicate candidates ----------------------------------------------------------------------------


class DuplicateCandidateOut(VillageTimestamps):
    id: int
    village_code: str
    worker_id: str
    other_worker_id: str
    status: DuplicateCandidateStatus
    kept_worker_id: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class DuplicateResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["same_person", "different_people"]
    keep_worker_id: WorkerIdText | None = None
