"""Gateway errors: authentication failures and OAuth2 (RFC 6749 §5.2) token errors as problems."""

from __future__ import annotations

from services.common.errors import BadRequest, ProblemError, Unauthorized
from services.common.messages import Message

BEARER_CHALLENGE = 'Bearer realm="sasar"'


class InvalidCredential(Unauthorized):
    """A missing, unknown, revoked, expired or tampered credential on an API request (401)."""

    message_key = "gateway.invalid_credential"

    def __init__(self, detail: str, *, error: str = "invalid_token") -> None:
        challenge = BEARER_CHALLENGE if error == "" else f'{BEARER_CHALLENGE}, error="{error}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class AuthenticationRequired(Unauthorized):
    message_key = "gateway.authentication_required"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or Message(self.message_key), headers={"WWW-Authenticate": BEARER_CHALLENGE})


class TokenError(BadRequest):
    """An OAuth2 token-endpoint error; ``error`` carries the RFC 6749 code (``invalid_grant`` …)."""

    message_key = "gateway.token_error"

    def __init__(self, error: str, detail: str, *, retry_after: int | None = None) -> None:
        headers = {"Cache-Control": "no-store"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        super().__init__(detail, extra={"error": error, "error_description": detail}, headers=headers)


class InvalidClient(ProblemError):
    """RFC 6749 ``invalid_client``: 401 with a challenge."""

    status, slug = 401, "unauthorized"
    message_key = "gateway.invalid_client"

    def __init__(self, detail: str | None = None) -> None:
        detail = detail or Message(self.message_key)
        super().__init__(
            detail,
            extra={"error": "invalid_client", "error_description": detail},
            headers={"WWW-Authenticate": 'Basic realm="sasar"', "Cache-Control": "no-store"},
        )


class RateLimited(ProblemError):
    status, slug = 429, "rate-limited"
    message_key = "problem.rate-limited"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
