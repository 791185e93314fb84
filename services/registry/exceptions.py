"""Registry domain errors; each carries its HTTP status and problem type."""

from __future__ import annotations

from services.common.errors import Conflict, FieldError, NotFound, ValidationProblem


class UnknownArea(NotFound):
    slug = "unknown-area"

    def __init__(self, code: str) -> None:
        super().__init__(f"no area with code {code}")


class InvalidAreaCodeProblem(ValidationProblem):
    slug = "invalid-area-code"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


class WorkerNotFound(NotFound):
    """Unknown worker, or one outside the caller's villages (no existence leak)."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(f"no worker {worker_id}")


class InvalidWorker(ValidationProblem):
    def __init__(self, errors: list[FieldError]) -> None:
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
        super().__init__(detail, errors=errors)


class DuplicateNik(Conflict):
    """Another worker already holds this NIK; its id is shown only to callers who may see it."""

    def __init__(self, existing_worker_id: str | None) -> None:
        extra = {"existing_worker_id": existing_worker_id} if existing_worker_id else None
        super().__init__(
            "a worker with this NIK is already registered (one active registration per NIK nationally)",
            errors=[{"field": "nik", "reason": "already registered"}],
            extra=extra,
        )


class DeceasedNik(Conflict):
    """The NIK belongs to a person recorded as deceased: deceased is terminal, the NIK is never reused."""

    slug = "deceased-nik"
    REASON = "this NIK belongs to a person recorded as deceased"

    def __init__(self) -> None:
        super().__init__(
            "a worker with this NIK is recorded as deceased; the NIK cannot be registered again",
            errors=[{"field": "nik", "reason": self.REASON}],
        )


class IllegalTransition(Conflict):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(
            f"a {current} worker cannot become {target}",
            errors=[{"field": "status", "reason": f"illegal transition {current} -> {target}"}],
        )


class ImportNotFound(NotFound):
    def __init__(self, import_id: str) -> None:
        super().__init__(f"no worker import {import_id}")


class CandidateNotFound(NotFound):
    def __init__(self, candidate_id: int) -> None:
        super().__init__(f"no duplicate candidate {candidate_id}")
