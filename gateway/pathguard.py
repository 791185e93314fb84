"""Refuse request paths that could be re-interpreted on the way to a service.

The upstream client (yarl) resolves dot segments and decodes ``%2e``, so ``/v1/officers/../../internal/…``
(raw, percent-encoded or double-encoded) would reach a service's internal routes. Rather than
normalising and hoping every hop agrees, such paths are refused before routing: no legitimate
resource path has a dot segment, an encoded slash or a backslash.
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.errors import problem_response
from services.common.messages import Message

_ENCODED_SEPARATORS = ("%2f", "%5c")
_DOT_SEGMENTS = frozenset({".", ".."})


def path_refusal(raw_path: bytes) -> str | None:
    """Why ``raw_path`` (as sent, still percent-encoded) is refused, or ``None`` when it is safe."""
    try:
        raw = raw_path.decode("ascii")
    except UnicodeDecodeError:
        return Message("path.not_ascii")
    lowered = raw.lower()
    # Decode repeatedly: a double-encoded ``%252e`` becomes ``.`` at a later hop.
    decoded = lowered
    for _ in range(3):
        if any(separator in decoded for separator in _ENCODED_SEPARATORS) or "\\" in decoded:
            return Message("path.encoded_slash")
        if any(segment in _DOT_SEGMENTS for segment in decoded.split("/")):
            return Message("path.dot_segment")
        if "%00" in decoded or "\x00" in decoded:
            return Message("path.nul")
        once = unquote(decoded)
        if once == decoded:
            return None
        decoded = once
    return Message("path.encoded_too_often")


class PathGuardMiddleware:
    """400 problem for any path :func:`path_refusal` rejects, before any route sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "replace")
            reason = path_refusal(raw_path.split(b"?", 1)[0])
            if reason is not None:
                response = problem_response(Request(scope), status=400, detail=reason)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
