"""Registry domain errors; each carries its HTTP status and problem type."""

from __future__ import annotations

from services.common.errors import Conflict, FieldError, NotFound, ValidationProblem, fields_summary
from services.common.messages import Message


class UnknownArea(NotFound):
    slug = "unknown-area"
    message_key = "area.not_found"

    def __init__(self, code: str) -> None:
        super().__init__(Message(self.message_key, code=code))


class InvalidAreaCodeProblem(ValidationProblem):
    slug = "invalid-area-code"
    message_key = "area.malformed"

    def __init__(self, field: str, reason: str) -> None:
        errors: list[FieldError] = [{"field": field, "reason": reason}]
        super().__init__(fields_summary(errors), errors=errors)


class WorkerNotFound(NotFound):
    """Unknown worker, or one outside the caller's villages (no existence leak)."""

    message_key = "registry.worker_not_found"

    def __init__(self, worker_id: str) -> None:
        super().__init__(Message(self.message_key, worker_id=worker_id))


class InvalidWorker(ValidationProblem):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(fields_summary(errors), errors=errors)


class DuplicateNik(Conflict):
    """Another worker already holds this NIK; its id is shown only to callers who may see it."""

    message_key = "registry.duplicate_nik"

    def __init__(self, existing_worker_id: str | None) -> None:
        extra = {"existing_worker_id": existing_worker_id} if existing_worker_id else None
        super().__init__(
            Message(self.message_key),
            errors=[{"field": "nik", "reason": Message("registry.already_registered")}],
            extra=extra,
        )


class DeceasedNik(Conflict):
    """The NIK belongs to a person recorded as deceased: deceased is terminal, the NIK is never reused."""

    slug = "deceased-nik"
    message_key = "registry.deceased_nik"
    REASON = Message("registry.deceased_nik_reason")

    def __init__(self) -> None:
        super().__init__(Message(self.message_key), errors=[{"field": "nik", "reason": self.REASON}])


class IllegalTransition(Conflict):
    message_key = "registry.illegal_transition"

    def __init__(self, current: str, target: str) -> None:
        super().__init__(
            Message(self.message_key, current=current, target=target),
            errors=[
                {
                    "field": "status",
                    "reason": Message("registry.illegal_transition_reason", current=current, target=target),
                }
            ],
        )


class ImportNotFound(NotFound):
    message_key = "registry.import_not_found"

    def __init__(self, import_id: str) -> None:
        super().__init__(Message(self.message_key, import_id=import_id))


class CandidateNotFound(NotFound):
    message_key = "registry.candidate_not_found"

    def __init__(self, candidate_id: int) -> None:
        super().__init__(Message(self.message_key, candidate_id=candidate_id))
