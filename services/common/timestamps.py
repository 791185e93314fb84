"""The one form every API timestamp takes (DESIGN: time is stored UTC, shown where it happened).

A resource that belongs to a village (it has a ``village_code``) renders every timestamp in that
village's own offset (WIB +07:00, WITA +08:00, WIT +09:00); anything else (no village, or a partner's
endpoint for all villages) renders in UTC with ``Z``. Response schemas inherit one of the two bases
below instead of converting per field, so a new timestamp field cannot come out in another form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pydantic import BaseModel, ValidationInfo, model_validator

from services.common.timeutil import to_area_time


def _convert(model: BaseModel, zone_of: Callable[[dt.datetime], dt.datetime]) -> None:
    """Every aware datetime of ``model`` and of the models nested in it (an invoice's credit notes)."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            # Assign through __dict__: these models may be frozen, and re-validating would loop.
            model.__dict__[name] = zone_of(value)
        elif isinstance(value, BaseModel):
            _convert(value, zone_of)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, BaseModel):
                    _convert(item, zone_of)


class UtcTimestamps(BaseModel):
    """Every aware datetime field of the model rendered in UTC (``…Z``)."""

    @model_validator(mode="after")
    def _in_utc(self) -> UtcTimestamps:
        _convert(self, lambda value: value.astimezone(dt.UTC))
        return self


class VillageTimestamps(BaseModel):
    """Every aware datetime field rendered in the offset of the model's ``village_code``.

    A part of a village's resource that does not repeat the code (a worker's history entry, the answer
    to a lead's conversion) is built with ``model_validate(…, context={"village_code": code})``.
    """

    @model_validator(mode="after")
    def _in_village_time(self, info: ValidationInfo) -> VillageTimestamps:
        context = info.context if isinstance(info.context, dict) else {}
        village_code = getattr(self, "village_code", None) or context.get("village_code")
        # Without a code the values are left as they are: stored times are UTC already, and FastAPI
        # validates a returned model once more without the context (which must not undo the offset).
        if village_code:
            _convert(self, lambda value: to_area_time(value, village_code))
        return self
