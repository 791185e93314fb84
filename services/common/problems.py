"""The catalogue of problem types: every ``type`` a component may answer, with what it means.

A problem's ``type`` is ``<public base URL>/problems/<slug>``; the gateway serves that URL as a short page
built from this catalogue, so a client (or a person reading a log) can follow it. Tests check that every
slug a component can emit is catalogued here.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
PROBLEMS_PATH = "/problems/"


@dataclass(frozen=True)
class ProblemType:
    title: str
    description: str


CATALOGUE: dict[str, ProblemType] = {
    "bad-request": ProblemType(
        "Bad request",
        "The request could not be understood: a body that is not valid JSON, a malformed header or path.",
    ),
    "unauthorized": ProblemType(
        "Authentication required",
        "No credential, or one that is invalid, expired or revoked. Send `Authorization: Bearer` with a "
        "village API key or an access token from `POST /v1/auth/token`.",
    ),
    "forbidden": ProblemType(
        "Forbidden",
        "The credential is valid but may never do this: the wrong kind of caller, or an internal client "
        "without the scope the operation needs.",
    ),
    "not-found": ProblemType(
        "Not found",
        "No such resource, or it belongs to a village the caller may not see (the two are not told apart).",
    ),
    "method-not-allowed": ProblemType(
        "Method not allowed", "The resource exists but does not accept this HTTP method."
    ),
    "not-acceptable": ProblemType(
        "Not acceptable",
        "The `Accept` header or `format` parameter asks for a representation this resource does not offer "
        "(exports offer CSV and XLSX).",
    ),
    "conflict": ProblemType(
        "Conflict with existing data",
        "The request contradicts the current state: a duplicate (NIK, NRP), an overlapping booking, a "
        "transition the resource's status does not allow, or an Idempotency-Key still in use.",
    ),
    "precondition-failed": ProblemType(
        "Precondition failed",
        "`If-Match` names a version that is no longer current, or the resource changed between reading "
        "and writing it. GET it again and retry with the new ETag.",
    ),
    "payload-too-large": ProblemType(
        "Payload too large",
        "The request body (or the export asked for) exceeds the size this operation accepts.",
    ),
    "unsupported-media-type": ProblemType(
        "Unsupported media type", "The request body's `Content-Type` is not one this operation accepts."
    ),
    "validation-error": ProblemType(
        "Invalid data",
        "One or more fields are invalid; `errors` lists each `field` (dotted path) and its `reason`.",
    ),
    "rate-limited": ProblemType(
        "Too many requests",
        "This credential (or client address) sent more requests than its limit allows; retry after the "
        "number of seconds in `Retry-After`.",
    ),
    "internal-error": ProblemType(
        "Internal server error",
        "An unexpected error. Nothing is leaked in the answer: quote its `request_id` when reporting it.",
    ),
    "bad-gateway": ProblemType(
        "Bad gateway", "A service behind the gateway gave an answer the gateway could not use."
    ),
    "service-unavailable": ProblemType(
        "Service unavailable",
        "A service this request needs is not answering; retry after `Retry-After` seconds. Writes sent "
        "with an Idempotency-Key may be retried with the same key.",
    ),
    "gateway-timeout": ProblemType(
        "Upstream timed out", "A service behind the gateway did not answer within the gateway's time limit."
    ),
    "database-unavailable": ProblemType(
        "Database briefly unavailable",
        "The database could not be reached or refused the transaction for now; nothing was changed. Retry "
        "after `Retry-After` seconds.",
    ),
    "deceased-nik": ProblemType(
        "NIK belongs to a deceased worker",
        "A worker with this NIK was recorded as deceased; that is terminal, so the NIK cannot be "
        "registered or reactivated.",
    ),
    "unknown-area": ProblemType(
        "Unknown area code", "The area code is well formed but is not in Indonesia's area reference table."
    ),
    "invalid-area-code": ProblemType(
        "Malformed area code",
        "An area code is dotted digits: province `PP`, regency `PP.RR`, district `PP.RR.DD` or village "
        "`PP.RR.DD.VVVV`.",
    ),
}


def problem_type_uri(slug: str, base_url: str | None = None) -> str:
    """Absolute ``type`` URI of ``slug``: where the gateway describes it."""
    return (base_url or DEFAULT_PUBLIC_BASE_URL).rstrip("/") + PROBLEMS_PATH + slug


def problem_page(slug: str) -> str | None:
    """A small HTML page describing ``slug``; ``None`` when the catalogue has no such type."""
    problem = CATALOGUE.get(slug)
    if problem is None:
        return None
    title, description = html.escape(problem.title), html.escape(problem.description)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title} — Sasar API problem</title></head>\n"
        f"<body><h1>{title}</h1>\n<p>{description}</p>\n"
        f"<p>Problem type <code>{html.escape(slug)}</code>: answers carry it as the <code>type</code> of an "
        "RFC 9457 <code>application/problem+json</code> body.</p>\n</body></html>\n"
    )
