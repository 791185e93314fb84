"""Registry domain errors; each carries its HTTP status and problem type."""

from __future__ import annotations

from services.common.errors import NotFound, ValidationProblem


class UnknownArea(NotFound):
    slug = "unknown-area"

    def __init__(self, code: str) -> None:
        super().__init__(f"no area with code {code}")


class InvalidAreaCodeProblem(ValidationProblem):
    slug = "invalid-area-code"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", errors=[{"field": field, "reason": reason}])
