"""Funding domain errors; each carries its HTTP status and problem type."""

from __future__ import annotations

from services.common.errors import Conflict, NotFound, ValidationProblem


class AgreementNotFound(NotFound):
    """Unknown agreement, or one of another village (never revealed)."""

    message_key = "funding.agreement_not_found_generic"


class InvoiceNotFound(NotFound):
    """Unknown invoice, or one of another village (never revealed)."""

    message_key = "funding.invoice_not_found_generic"


class InvalidState(Conflict):
    """The resource's state does not allow this action (e.g. voiding a paid invoice)."""

    message_key = "funding.invalid_state"


class NoRateSchedule(ValidationProblem):
    """No rate schedule is in force for the requested month."""

    message_key = "funding.no_rate_schedule_generic"

    def __init__(self, reason: str) -> None:
        super().__init__(reason, errors=[{"field": "period", "reason": reason}])
