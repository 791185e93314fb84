"""RFC 9457 problem details: one error shape for every component.

Domain errors subclass :class:`ProblemError` and carry their status and problem type; the handlers
installed by :func:`install_problem_handlers` turn them, validation errors, HTTP errors and unexpected
exceptions into ``application/problem+json`` responses. An unexpected error never leaks a traceback:
it answers 500 with the request id and is logged with the traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar, TypedDict

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from services.common.messages import (
    MESSAGES,
    FieldList,
    Message,
    localise,
    preferred_language,
    title_for,
    validation_reason,
)
from services.common.problems import problem_type_uri
from services.common.requestid import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"

log = structlog.get_logger("sasar.errors")


class FieldError(TypedDict):
    field: str
    reason: str


class FieldErrorModel(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. `nik` or `items.3.phone`")
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details as Sasar sends them."""

    type: str = Field(
        description="Problem type URI, e.g. `http://127.0.0.1:8000/problems/validation-error`; "
        "it resolves to a page describing the problem"
    )
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldErrorModel] | None = None


class ProblemError(Exception):
    """An error a client should see: status, problem type and a human detail.

    ``detail`` (and each field ``reason``) is best a :class:`Message`, so it is answered in the caller's
    language; a class's ``message_key`` is the detail used when none is given.
    """

    status: int = 500
    slug: str = "internal-error"
    message_key: ClassVar[str] = "problem.internal-error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        status: int | None = None,
        slug: str | None = None,
    ) -> None:
        if detail is None:
            detail = Message(self.message_key)
        super().__init__(detail)
        self.detail: str | None = detail
        self.errors = list(errors) if errors else None
        self.headers = dict(headers) if headers else None
        self.extra = dict(extra) if extra else {}
        if status is not None:
            self.status = status
        if slug is not None:
            self.slug = slug


class BadRequest(ProblemError):
    status, slug = 400, "bad-request"
    message_key = "problem.bad-request"


class Unauthorized(ProblemError):
    status, slug = 401, "unauthorized"
    message_key = "problem.unauthorized"


class Forbidden(ProblemError):
    status, slug = 403, "forbidden"
    message_key = "problem.forbidden"


class NotFound(ProblemError):
    status, slug = 404, "not-found"
    message_key = "problem.not-found"


class Conflict(ProblemError):
    status, slug = 409, "conflict"
    message_key = "problem.conflict"


class PreconditionFailed(ProblemError):
    status, slug = 412, "precondition-failed"
    message_key = "problem.precondition-failed"


class ValidationProblem(ProblemError):
    """422 with per-field reasons; the shape validation errors of request bodies also take."""

    status, slug = 422, "validation-error"
    message_key = "problem.validation-error"

    @classmethod
    def single(cls, field: str, reason: str, detail: str | None = None) -> ValidationProblem:
        errors: list[FieldError] = [{"field": field, "reason": reason}]
        return cls(detail or fields_summary(errors), errors=errors)


def fields_summary(errors: Sequence[FieldError], limit: int = 5) -> Message:
    """``field: reason; …`` of the first ``limit`` errors, each reason in the caller's language."""
    return Message("problem.fields", fields=FieldList([(e["field"], e["reason"]) for e in errors[:limit]]))


_SLUG_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    500: "internal-error",
    502: "bad-gateway",
    503: "service-unavailable",
    504: "gateway-timeout",
}


def slug_for_status(status: int) -> str:
    return _SLUG_BY_STATUS.get(status, "bad-request" if status < 500 else "internal-error")


def problem_body(
    *,
    status: int,
    slug: str,
    detail: str | None,
    instance: str | None,
    accept_language: str | None,
    errors: Sequence[FieldError] | None = None,
    extra: Mapping[str, Any] | None = None,
    base_url: str | None = None,
) -> dict[str, Any]:
    language = preferred_language(accept_language)
    body: dict[str, Any] = {
        "type": problem_type_uri(slug, base_url),
        "title": title_for(slug, language),
        "status": status,
        "detail": localise(detail, language),
        "instance": instance,
        "request_id": current_request_id(),
    }
    if errors:
        body["errors"] = [{"field": e["field"], "reason": localise(e["reason"], language)} for e in errors]
    if extra:
        body.update({k: localise(v, language) if isinstance(v, Message) else v for k, v in extra.items()})
    return body


def public_base_url(request: Request) -> str | None:
    """The component's configured public base URL (``None`` outside a Sasar app, e.g. a bare test app)."""
    app = request.scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    url = getattr(settings, "public_base_url", None)
    return url if isinstance(url, str) else None


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str | None = None,
    detail: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    accept_language = request.headers.get("accept-language")
    body = problem_body(
        status=status,
        slug=slug or slug_for_status(status),
        detail=detail,
        instance=request.url.path,
        accept_language=accept_language,
        errors=errors,
        extra=extra,
        base_url=public_base_url(request),
    )
    headers = {**(headers or {}), "Content-Language": preferred_language(accept_language)}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


_LOCATION_PREFIXES = {"body", "query", "path", "header", "cookie"}


def field_errors_from_validation(errors: Sequence[Any]) -> list[FieldError]:
    """Pydantic/FastAPI error list → ``[{field, reason}]`` with the location prefix dropped."""
    result: list[FieldError] = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in _LOCATION_PREFIXES and len(loc) > 1:
            loc = loc[1:]
        field = ".".join(loc) or "body"
        result.append({"field": field, "reason": validation_reason(error)})
    return result


async def _problem_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        status=exc.status,
        slug=exc.slug,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors_from_validation(exc.errors())
    return problem_response(
        request, status=422, slug="validation-error", detail=fields_summary(errors), errors=errors
    )


async def _http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if detail is not None and f"http.{exc.status_code}" in MESSAGES:
        with contextlib.suppress(ValueError):
            if detail == HTTPStatus(exc.status_code).phrase:
                # Starlette's default detail is the English reason phrase; answer it in the caller's language.
                detail = Message(f"http.{exc.status_code}")
    return problem_response(request, status=exc.status_code, detail=detail, headers=exc.headers)


async def _stale_data_handler(request: Request, exc: Exception) -> JSONResponse:
    # A versioned row (``version_id_col``) changed between this request's read and its write: the same
    # answer as a stale If-Match, found at write time instead of at the check.
    assert isinstance(exc, StaleDataError)
    return problem_response(
        request,
        status=PreconditionFailed.status,
        slug=PreconditionFailed.slug,
        detail=Message("problem.stale-write"),
    )


def _internal_error_detail() -> str:
    return Message("problem.unexpected", request_id=current_request_id())


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled_error", path=request.url.path, method=request.method, exc_info=exc)
    return problem_response(request, status=500, slug="internal-error", detail=_internal_error_detail())


# For handlers elsewhere (e.g. database errors in db.py) that answer 500 for what they do not recognise.
unexpected_error_response = _unexpected_handler


class UnhandledErrorMiddleware:
    """Turns an exception no handler took into a 500 problem *inside* the request-id context.

    Starlette sends such errors to its outermost middleware, after the request id is gone; catching
    them here keeps the id in the body, the header and the logged traceback.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: ASGIMessage) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            request = Request(scope)
            response = await _unexpected_handler(request, exc)
            await response(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    app.add_exception_handler(StaleDataError, _stale_data_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
