"""Webhooks request and response models."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.common.partner_events import PartnerEventType
from services.common.text import TextRule
from services.common.timestamps import UtcTimestamps, VillageTimestamps
from services.common.wilayah import VILLAGE_CODE_PATTERN

TargetUrl = Annotated[str, TextRule(2048)]
Description = Annotated[str, TextRule(200, min_length=0)]
VillageCode = Annotated[str, TextRule(13, pattern=VILLAGE_CODE_PATTERN)]


class EndpointStatus(StrEnum):
    active = "active"
    disabled = "disabled"


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookEndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: TargetUrl = Field(examples=["https://desa.example.id/sasar/webhooks"])
    event_types: list[PartnerEventType] = Field(min_length=1, max_length=20)
    village_code: VillageCode | None = Field(
        default=None,
        description="Village whose events are sent; a village key's own (default); absent for an "
        "internal client: every village",
    )
    description: Description | None = None


class WebhookEndpointPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: TargetUrl | None = None
    event_types: list[PartnerEventType] | None = Field(default=None, min_length=1, max_length=20)
    enabled: bool | None = None
    description: Description | None = None


class WebhookEndpointOut(VillageTimestamps):
    id: str
    url: str
    event_types: list[str]
    village_code: str | None
    description: str | None
    status: EndpointStatus
    disabled_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookEndpointCreated(WebhookEndpointOut):
    secret: str = Field(description="Signing secret (`whsec_…`, base64): shown only in this answer")


class SecretRotated(UtcTimestamps):
    id: str
    secret: str = Field(description="The new signing secret, shown only in this answer")
    previous_secret_expires_at: dt.datetime = Field(
        description="Until then deliveries are signed with the previous secret too"
    )


class WebhookDeliveryOut(UtcTimestamps):
    id: int
    endpoint_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime = Field(description="Moves with every attempt (sync with `updated_since`)")


class WebhookEndpointPage(BaseModel):
    items: list[WebhookEndpointOut]
    next_cursor: str | None = None


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDeliveryOut]
    next_cursor: str | None = None
