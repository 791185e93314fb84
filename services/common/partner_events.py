"""The events partners may subscribe to by webhook: the subset of the catalogue that leaves Sasar, with
a pydantic model of each one's ``data``.

The same models validate what the services emit for these types (the newer emitters build their data
through them; tests check the older ones) and generate the AsyncAPI 3 document the gateway publishes at
``GET /asyncapi.json`` (:func:`asyncapi_document`), so the document cannot drift from the payloads.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.common.events import EventType


class PartnerEventType(StrEnum):
    invoice_issued = EventType.invoice_issued.value
    invoice_overdue = EventType.invoice_overdue.value
    payment_received = EventType.payment_received.value
    worker_registered = EventType.worker_registered.value
    worker_deactivated = EventType.worker_deactivated.value
    coverage_activated = EventType.coverage_activated.value
    coverage_lapsed = EventType.coverage_lapsed.value
    session_scheduled = EventType.session_scheduled.value
    session_cancelled = EventType.session_cancelled.value
    import_completed = EventType.import_completed.value


PARTNER_EVENT_TYPES: frozenset[str] = frozenset(t.value for t in PartnerEventType)


class _Data(BaseModel):
    # Receivers must ignore fields they do not know: new fields are added without a new version.
    model_config = ConfigDict(extra="allow")


class WorkerSnapshot(_Data):
    id: str
    village_code: str
    occupation: str
    declared_income_idr: int
    programs: list[str]
    funding: str
    status: str
    version: int
    temporary: bool = Field(description="Registered without a NIK yet (a temporary id)")
    officer_id: int | str | None = None
    temporary_id_expires_on: dt.date | None = None


class WorkerRegisteredData(_Data):
    worker: WorkerSnapshot


class WorkerDeactivatedData(_Data):
    worker: WorkerSnapshot
    reason: str | None = Field(description="moved | deceased | withdrew")
    effective_date: dt.date | None


class CoverageActivatedData(_Data):
    worker: WorkerSnapshot
    previous_status: str


class CoverageLapsedData(_Data):
    worker_id: str
    unpaid_months: int
    as_of: dt.date


class PaidWorker(_Data):
    worker_id: str
    arrears_months: int = Field(description="Months the worker still owes after this payment")


class PaymentReceivedData(_Data):
    payment_id: int
    invoice_id: int
    invoice_number: str
    period: str = Field(examples=["2026-12"])
    amount_idr: int = Field(description="What this invoice received")
    payment_amount_idr: int = Field(description="The whole payment (one SP2D may pay several invoices)")
    paid_on: dt.date
    reference: str = Field(description="Treasury reference (SP2D number)")
    invoice_status: str
    workers: list[PaidWorker] = Field(description="Workers whose month this payment completed")


class InvoiceIssuedData(_Data):
    invoice_id: int
    invoice_number: str = Field(examples=["INV/2026/33.26.15.2001/000123"])
    agreement_id: int
    period: str = Field(examples=["2026-12"])
    kind: str = Field(description="regular | supplementary")
    total_idr: int
    due_date: dt.date


class InvoiceOverdueData(_Data):
    invoice_id: int
    invoice_number: str
    period: str
    total_idr: int
    paid_idr: int
    due_date: dt.date


class SessionScheduledData(_Data):
    session_id: int
    officer_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    venue: str | None
    kind: str


class SessionCancelledData(_Data):
    session_id: int
    officer_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str


class ImportCompletedData(_Data):
    import_id: str
    total: int
    accepted: int
    rejected: int
    duplicate_existing: int
    duplicate_in_file: int


DATA_MODELS: dict[PartnerEventType, type[BaseModel]] = {
    PartnerEventType.invoice_issued: InvoiceIssuedData,
    PartnerEventType.invoice_overdue: InvoiceOverdueData,
    PartnerEventType.payment_received: PaymentReceivedData,
    PartnerEventType.worker_registered: WorkerRegisteredData,
    PartnerEventType.worker_deactivated: WorkerDeactivatedData,
    PartnerEventType.coverage_activated: CoverageActivatedData,
    PartnerEventType.coverage_lapsed: CoverageLapsedData,
    PartnerEventType.session_scheduled: SessionScheduledData,
    PartnerEventType.session_cancelled: SessionCancelledData,
    PartnerEventType.import_completed: ImportCompletedData,
}

SUMMARIES: dict[PartnerEventType, str] = {
    PartnerEventType.invoice_issued: "A billing run issued an invoice to the village",
    PartnerEventType.invoice_overdue: "An issued invoice passed its due date (the 15th) unpaid",
    PartnerEventType.payment_received: "A payment was recorded against an invoice",
    PartnerEventType.worker_registered: "A worker was registered",
    PartnerEventType.worker_deactivated: "A worker was deactivated (moved, deceased, withdrew)",
    PartnerEventType.coverage_activated: "A worker's coverage became active (first or arrears paid)",
    PartnerEventType.coverage_lapsed: "A worker's coverage lapsed (more than 3 months unpaid)",
    PartnerEventType.session_scheduled: "An outreach session was scheduled in the village",
    PartnerEventType.session_cancelled: "An outreach session was cancelled",
    PartnerEventType.import_completed: "A bulk worker import finished",
}


def partner_data(event_type: EventType, data: BaseModel) -> dict[str, Any]:
    """``data`` as JSON-ready values, after checking it is the model of ``event_type``."""
    expected = DATA_MODELS[PartnerEventType(event_type.value)]
    if not isinstance(data, expected):
        raise TypeError(f"{event_type.value} carries {expected.__name__}, not {type(data).__name__}")
    value: dict[str, Any] = data.model_dump(mode="json")
    return value


def _message_name(event_type: PartnerEventType) -> str:
    return event_type.value.replace(".", "_")


def asyncapi_document(version: str = "0.1.0") -> dict[str, Any]:
    """The partner event catalogue as an AsyncAPI 3.0 document (webhooks: HTTP POST to the partner)."""
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event_type in sorted(PartnerEventType, key=lambda t: t.value):
        model = DATA_MODELS[event_type]
        data_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in data_schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[model.__name__] = data_schema
        name = _message_name(event_type)
        messages[name] = {
            "name": event_type.value,
            "title": event_type.value,
            "summary": SUMMARIES[event_type],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/WebhookHeaders"},
            "payload": {
                "type": "object",
                "required": ["id", "type", "occurred_at", "source", "village_code", "data"],
                "properties": {
                    "id": {"type": "string", "format": "uuid", "description": "Event id (= webhook-id)"},
                    "type": {"type": "string", "const": event_type.value},
                    "occurred_at": {"type": "string", "format": "date-time"},
                    "source": {"type": "string", "description": "The service that emitted it"},
                    "village_code": {"type": ["string", "null"], "examples": ["33.26.15.2001"]},
                    "data": {"$ref": f"#/components/schemas/{model.__name__}"},
                },
            },
        }
        channels[name] = {
            "address": None,
            "title": event_type.value,
            "description": f"{SUMMARIES[event_type]}. POSTed to each endpoint subscribed to "
            f"`{event_type.value}` (the endpoint's URL is the address).",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"receive_{name}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"Your endpoint receives {event_type.value}",
            "bindings": {"http": {"method": "POST"}},
        }
    schemas["WebhookHeaders"] = {
        "type": "object",
        "description": "Standard Webhooks (https://www.standardwebhooks.com) signature headers",
        "required": ["webhook-id", "webhook-timestamp", "webhook-signature"],
        "properties": {
            "webhook-id": {"type": "string", "description": "The event id: the same on every retry"},
            "webhook-timestamp": {"type": "string", "description": "Unix seconds of this attempt"},
            "webhook-signature": {
                "type": "string",
                "description": "Space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per "
                "secret in force (two for 24 h after a rotation)",
            },
        },
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Sasar partner webhooks",
            "version": version,
            "description": "Events Sasar POSTs to partners' webhook endpoints (subscribe with "
            "`POST /v1/webhook-endpoints`). Each delivery is signed per Standard Webhooks, retried with "
            "backoff for 24 h until a 2xx answer, and logged per endpoint.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
