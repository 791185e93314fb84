"""Outreach request/response models (names prefixed where another service could use the same)."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator
from typing_extensions import TypeAliasType

from services.common.messages import Message
from services.common.text import TextRule
from services.common.timestamps import UtcTimestamps, VillageTimestamps
from services.common.timeutil import require_aware
from services.common.wilayah import check_village_code

# ASCII digits only: a regex ``\d`` also takes other scripts' digits.
NRP_PATTERN = r"^[0-9]{8}$"
PHONE_PATTERN = r"^\+62[0-9]{8,13}$"

# The registry's own schemas, by name and content, so a lead's occupation and funding are the same types in a
# generated client as a worker's (the gateway refuses one name documented two ways: a drift fails the merge).
WorkerOccupation = TypeAliasType(
    "WorkerOccupation",
    Annotated[
        Literal[
            "petani",
            "nelayan",
            "pedagang",
            "buruh_harian",
            "ojol",
            "sopir",
            "prt",
            "pemulung",
            "perajin",
            "marbot",
            "lainnya",
        ],
        Field(
            title="WorkerOccupation",
            description="Occupation codes of DESIGN §7 (transport: ``ojol``, ``sopir``).",
        ),
    ],
)
WorkerFunding = TypeAliasType(
    "WorkerFunding",
    Annotated[
        Literal["village_fund", "self_pay", "other_sponsor"],
        Field(title="WorkerFunding"),
    ],
)


def _village(code: str) -> str:
    reason = check_village_code(code)
    if reason:
        raise ValueError(reason)
    return code


def _aware(moment: dt.datetime) -> dt.datetime:
    require_aware(moment)
    try:
        moment.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(Message("time.out_of_range")) from None
    return moment


# Client text (NFC, stripped, no control characters), sized to the column it is stored in.
VillageCodeText = Annotated[str, TextRule(13)]
VillageCode = Annotated[VillageCodeText, Field(examples=["33.26.15.2001"]), AfterValidator(_village)]
AwareDateTime = Annotated[dt.datetime, AfterValidator(_aware)]
Phone = Annotated[str, TextRule(16, pattern=PHONE_PATTERN), Field(examples=["+6281234567890"])]
Nik = Annotated[str, TextRule(16, pattern=r"^[0-9]{16}$", pattern_reason=Message("nik.sixteen_digits"))]
Name = Annotated[str, TextRule(120)]
Rank = Annotated[str, TextRule(60)]
Unit = Annotated[str, TextRule(120)]
Venue = Annotated[str, TextRule(200)]
# Reasons are kept as text (unbounded column); 500 keeps them readable. Line breaks are allowed.
Reason = Annotated[str, TextRule(500, min_length=3, multiline=True)]
CapturedBy = Annotated[str, TextRule(120, min_length=0)]  # may be empty, as before
RowId = Annotated[int, Field(ge=1, le=2_147_483_647)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- officers -------------------------------------------------------------------------------------


class OfficerIn(Strict):
    nrp: Annotated[str, Field(pattern=NRP_PATTERN, description="NRP: 8 digits", examples=["85011234"])]
    name: Name
    rank: Rank = Field(examples=["Bripka"])
    unit: Unit = Field(examples=["Polsek Rembang"])
    phone: Phone | None = None


class OfficerPatch(Strict):
    name: Name | None = None
    rank: Rank | None = None
    unit: Unit | None = None
    phone: Phone | None = None
    active: bool | None = None


class OfficerOut(UtcTimestamps):
    id: int
    nrp: str
    name: str
    rank: str
    unit: str
    phone: str | None
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AssignmentRole(StrEnum):
    primary = "primary"
    substitute = "substitute"


class AssignmentIn(Strict):
    village_code: VillageCode
    valid_from: dt.date = Field(description="First day of duty (village date)")
    valid_to: dt.date | None = Field(default=None, description="Last day of duty, inclusive; open if absent")
    role: AssignmentRole = AssignmentRole.primary


class AssignmentEnd(Strict):
    valid_to: dt.date = Field(description="Last day of duty, inclusive (village date)")


class AssignmentOut(VillageTimestamps):
    id: int
    officer_id: int
    village_code: str
    role: AssignmentRole
    valid_from: dt.date
    valid_to: dt.date | None
    created_at: dt.datetime
    created_by: str
    ended_at: dt.datetime | None
    ended_by: str | None


class MeOut(BaseModel):
    officer: OfficerOut
    villages: list[str] = Field(description="Villages with an assignment valid today (village dates)")


class CalendarFeedOut(BaseModel):
    """A new calendar feed. The URL's secret is shown only in this answer."""

    url: str = Field(
        description="Subscribe to this URL in a calendar app (no login); anyone holding it sees the "
        "officer's sessions, so treat it like a password",
        examples=["https://api.sasar.example/v1/calendar-feeds/cf_3q2XbY0….ics"],
    )
    path: str = Field(description="The same address relative to the gateway's base URL")
    created_at: dt.datetime


class OfficerAccessOut(BaseModel):
    officer_id: int
    nrp: str
    name: str
    villages: list[str]


class OfficerVillageAccessOut(BaseModel):
    """May this officer write in this village now? (asked by the registry before officer writes)"""

    officer_id: int
    village_code: str
    on: dt.date = Field(description="The village's local date the answer is for")
    active: bool = Field(description="The officer exists and is active")
    assigned: bool = Field(description="Active and assigned to the village on that date")


# --- sessions ------------------------------------------------------------------------------------


class OutreachSessionKind(StrEnum):
    sosialisasi = "sosialisasi"  # information meeting
    door_to_door = "door_to_door"
    registration_desk = "registration_desk"


class OutreachSessionStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"
    held = "held"


class OutreachCoHostRole(StrEnum):
    kepala_desa = "kepala_desa"  # village head
    babinsa = "babinsa"  # army village non-commissioned officer
    other = "other"


class OutreachCoHost(Strict):
    role: OutreachCoHostRole
    name: Name


class OutreachSessionIn(Strict):
    village_code: VillageCode
    officer_id: RowId | None = Field(default=None, description="Defaults to the calling officer")
    starts_at: AwareDateTime
    ends_at: AwareDateTime
    venue: Venue
    kind: OutreachSessionKind
    co_hosts: list[OutreachCoHost] = Field(default_factory=list, max_length=10)
    recorded: bool = Field(default=False, description="Recording a session that already took place")


class OutreachSessionPatch(Strict):
    starts_at: AwareDateTime | None = None
    ends_at: AwareDateTime | None = None
    venue: Venue | None = None
    co_hosts: list[OutreachCoHost] | None = Field(default=None, max_length=10)
    reason: Reason


class OutreachSessionCancel(Strict):
    reason: Reason


class OutreachSessionOut(VillageTimestamps):
    id: int
    village_code: str
    officer_id: int
    starts_at: dt.datetime = Field(description="In the village's own offset")
    ends_at: dt.datetime
    timezone: str = Field(description="IANA zone of the village, e.g. Asia/Jayapura")
    venue: str
    kind: OutreachSessionKind
    co_hosts: list[OutreachCoHost]
    status: OutreachSessionStatus
    recorded: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class OutreachSessionChangeOut(VillageTimestamps):
    id: int
    action: str
    reason: str | None
    changes: dict[str, Any]
    actor: str
    at: dt.datetime


# --- sync and leads ------------------------------------------------------------------------------


class SyncItem(BaseModel):
    # Fields a newer app version adds are ignored (not part of the content fingerprint), so an old
    # server never rejects a whole field team's uploads.
    model_config = ConfigDict(extra="ignore")


class AttendanceSyncItem(SyncItem):
    """One attendee captured offline; ``client_id`` is the UUID the phone generated."""

    client_id: uuid.UUID
    session_id: RowId
    name: Name
    phone: Phone | None = None
    nik: Nik | None = None


class LeadSyncItem(SyncItem):
    """One lead captured offline, with the person's consent (time, and who captured it)."""

    client_id: uuid.UUID
    session_id: RowId | None = None
    village_code: VillageCode
    name: Name
    phone: Phone | None = None
    nik: Nik | None = None
    occupation: WorkerOccupation | None = None
    consent_given_at: AwareDateTime
    consent_captured_by: CapturedBy | None = None


class AttendanceOut(VillageTimestamps):
    id: int
    client_id: str
    session_id: int
    name: str
    phone: str | None
    nik: str | None = Field(description="Masked (`3326**********01`)")
    created_at: dt.datetime


def _as_sent(value: Any) -> Any:
    return value


# Each item is validated on its own by the sync (a bad item is rejected alone, the rest are stored), so
# the body accepts anything per item; the document still names the item schemas so generated clients
# build typed items instead of bare dicts.
LooseAttendanceItem = Annotated[Any, PlainValidator(_as_sent, json_schema_input_type=AttendanceSyncItem)]
LooseLeadItem = Annotated[Any, PlainValidator(_as_sent, json_schema_input_type=LeadSyncItem)]


class SyncIn(BaseModel):
    """Items are validated one by one (a bad item is rejected on its own), so they are loose here."""

    attendance: list[LooseAttendanceItem] = Field(
        default_factory=list,
        max_length=5000,
        description="Attendees captured offline, each `{client_id (UUID), session_id, name, phone?, nik?}`",
    )
    leads: list[LooseLeadItem] = Field(
        default_factory=list,
        max_length=5000,
        description="Leads captured offline, each `{client_id (UUID), session_id?, village_code, name, "
        "phone?, nik?, occupation?, consent_given_at, consent_captured_by?}`",
    )


class SyncItemStatus(StrEnum):
    created = "created"
    unchanged = "unchanged"
    rejected = "rejected"


class SyncItemError(BaseModel):
    field: str
    reason: str


class SyncItemResult(BaseModel):
    client_id: str | None
    status: SyncItemStatus
    id: int | None = None
    errors: list[SyncItemError] | None = None


class SyncOut(BaseModel):
    attendance: list[SyncItemResult]
    leads: list[SyncItemResult]


class LeadStatus(StrEnum):
    open = "open"
    converted = "converted"


class LeadOut(VillageTimestamps):
    id: int
    client_id: str
    session_id: int | None
    village_code: str
    officer_id: int | None
    name: str
    phone: str | None
    nik: str | None = Field(description="Masked (`3326**********01`)")
    occupation: str | None
    consent_given_at: dt.datetime | None
    consent_captured_by: str | None
    status: LeadStatus
    worker_id: str | None
    linked_existing: bool
    converted_at: dt.datetime | None
    converted_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


# JKK work accident, JKM death (always), JHT old-age savings (optional).
# The registry's names (the same schemas in the public document: one `Program`, one `Sex` type for clients).
Program = TypeAliasType("Program", Literal["JKK", "JKM", "JHT"])
Sex = TypeAliasType("Sex", Literal["M", "F"])


class LeadConvertIn(Strict):
    nik: Nik | None = Field(default=None, description="When the lead has none yet")
    temporary: bool = Field(default=False, description="Register with a temporary id (no NIK yet)")
    declared_income_idr: Annotated[int, Field(strict=True, ge=1_000_000, le=20_700_000)]
    programs: list[Program] = Field(min_length=2, max_length=3)
    occupation: WorkerOccupation | None = None
    birth_date: dt.date | None = None
    sex: Sex | None = None
    phone: Phone | None = None
    funding: WorkerFunding | None = None


class LeadConvertOut(VillageTimestamps):
    lead_id: int
    worker_id: str
    linked_existing: bool = Field(description="True when the NIK was already registered and linked")
    converted_at: dt.datetime


# --- targets and progress ------------------------------------------------------------------------


class OutreachTargetIn(Strict):
    target: Annotated[int, Field(strict=True, ge=0, le=100_000)]


class OutreachTargetOut(BaseModel):
    village_code: str
    year: int
    target: int
    is_default: bool


class OutreachProgressOut(BaseModel):
    area: str
    name: str
    level: Literal["country", "province", "regency", "district", "village"]
    target: int
    covered: int = Field(description="Workers with active coverage in the area (any channel)")
    registered: int = Field(description="Workers on the books (registered, active or lapsed)")
    leads: int
    conversions: int
    ratio: float = Field(description="covered / target (0 when the target is 0)")
    children: list[OutreachProgressOut] = Field(default_factory=list)
    counts_refreshed_at: dt.datetime | None = None


class OfficerProgressOut(BaseModel):
    officer_id: int
    nrp: str
    name: str
    sessions_held: int
    leads: int
    conversions: int


class OfficerProgressPage(BaseModel):
    area: str
    year: int
    items: list[OfficerProgressOut]
