"""Which service owns which public path, and the proxy that forwards to it.

The upstream client is aiohttp: measured on these machines a proxy with it kept ~77 % of direct
throughput where httpx kept ~10 % (DESIGN §9). Bodies are small JSON or bounded uploads, so the
proxy buffers them (with a size cap) instead of streaming.
"""

from __future__ import annotations

import time

import aiohttp
import yarl
from starlette.requests import Request
from starlette.responses import Response

from gateway.config import GatewaySettings
from services.common.errors import problem_response
from services.common.principal import PRINCIPAL_HEADER, PRINCIPAL_TTL, Principal, encode_principal
from services.common.requestid import current_request_id

# Longest prefix first is not needed: prefixes are disjoint path segments.
ROUTES: dict[str, str] = {
    "areas": "registry",
    "workers": "registry",
    "worker-imports": "registry",
    "duplicate-candidates": "registry",
    "worker-counts": "registry",
    "rate-schedules": "funding",
    "contribution-quotes": "funding",
    "funding-agreements": "funding",
    "billing-runs": "funding",
    "invoices": "funding",
    "payments": "funding",
    "villages": "funding",
    "officers": "outreach",
    "me": "outreach",
    "calendar-feeds": "outreach",
    "outreach-sessions": "outreach",
    "sync": "outreach",
    "leads": "outreach",
    "outreach-targets": "outreach",
    "outreach-progress": "outreach",
    "webhook-endpoints": "webhooks",
}
# Job ids name their service (``reg_…``, ``fun_…``); the path template itself is documented by the registry
# (both services serve the same operation).
JOB_PREFIXES: dict[str, str] = {"reg_": "registry", "fun_": "funding"}

# RFC 9110 §7.6.1 connection-specific headers, plus ones the gateway sets itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
_NOT_FORWARDED_UPSTREAM = HOP_BY_HOP | {"authorization", "cookie", PRINCIPAL_HEADER.lower(), "x-request-id"}
_NOT_RETURNED = HOP_BY_HOP | {"server", "date", "x-request-id"}


def service_for_path(path: str) -> str | None:
    """Owning service of ``/v1/<resource>/…``; ``None`` for paths nobody serves."""
    parts = path.split("/", 3)
    if len(parts) < 3 or parts[1] != "v1":
        return None
    if parts[2] == "jobs" and len(parts) == 4:
        return JOB_PREFIXES.get(parts[3][:4], "registry")
    return ROUTES.get(parts[2])


def connection_tokens(value: str | None) -> frozenset[str]:
    """Headers a message names in ``Connection`` are hop-by-hop too (RFC 9110 §7.6.1)."""
    if not value:
        return frozenset()
    return frozenset(token.strip().lower() for token in value.split(",") if token.strip())


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class Proxy:
    """Forwards a request to its service with the caller's principal; maps failures to problems."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.services = settings.service_urls()
        self.secret = settings.internal_secret.get_secret_value()
        self.timeout = aiohttp.ClientTimeout(
            total=None,
            connect=settings.connect_timeout_seconds,
            sock_connect=settings.connect_timeout_seconds,
            sock_read=settings.read_timeout_seconds,
        )
        self._client: aiohttp.ClientSession | None = None
        # Signed principal per caller, reused for half its 60 s life: signing costs ~40 µs a request.
        self._principal_tokens: dict[Principal, tuple[str, float]] = {}

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=self.settings.upstream_connections, ttl_dns_cache=300)
        self._client = aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            auto_decompress=False,
            skip_auto_headers=("User-Agent",),
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    @property
    def client(self) -> aiohttp.ClientSession:
        if self._client is None:
            raise RuntimeError("proxy not started")
        return self._client

    def principal_token(self, principal: Principal) -> str:
        now = time.monotonic()
        cached = self._principal_tokens.get(principal)
        if cached is not None and now - cached[1] < PRINCIPAL_TTL.total_seconds() / 2:
            return cached[0]
        if len(self._principal_tokens) >= 10_000:
            self._principal_tokens.clear()
        token = encode_principal(principal, self.secret)
        self._principal_tokens[principal] = (token, now)
        return token

    async def forward(self, request: Request, service: str, principal: Principal) -> Response:
        try:
            body = await read_body(request, self.settings.max_body_bytes)
        except BodyTooLarge:
            return problem_response(
                request,
                status=413,
                detail=f"request body exceeds {self.settings.max_body_bytes} bytes",
            )
        nominated = connection_tokens(request.headers.get("connection"))
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in _NOT_FORWARDED_UPSTREAM and k.lower() not in nominated
        }
        headers["x-request-id"] = current_request_id() or ""
        headers[PRINCIPAL_HEADER] = self.principal_token(principal)
        client_host = request.client.host if request.client else ""
        previous = request.headers.get("x-forwarded-for")
        headers["x-forwarded-for"] = f"{previous}, {client_host}" if previous else client_host
        # Forward the path exactly as sent (already vetted by the path guard): rebuilding it from the
        # decoded form would let the client re-encode ``%2e``/``%2f`` into something else upstream.
        raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
        target = raw_path.split(b"?", 1)[0].decode("ascii")
        if request.url.query:
            target += "?" + request.url.query
        url = yarl.URL(self.services[service] + target, encoded=True)
        try:
            async with self.client.request(
                request.method, url, data=body or None, headers=headers, allow_redirects=False
            ) as upstream:
                content = await upstream.read()
                dropped = _NOT_RETURNED | connection_tokens(upstream.headers.get("connection"))
                response_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in dropped}
                return Response(content=content, status_code=upstream.status, headers=response_headers)
        except aiohttp.ConnectionTimeoutError:
            return problem_response(
                request,
                status=503,
                detail=f"the {service} service is unavailable",
                headers={"Retry-After": "5"},
            )
        except (TimeoutError, aiohttp.ServerTimeoutError):
            return problem_response(
                request,
                status=504,
                detail=f"the {service} service did not answer within {self.timeout.sock_read:g} s",
            )
        except aiohttp.ClientConnectionError:
            return problem_response(
                request,
                status=503,
                detail=f"the {service} service is unavailable",
                headers={"Retry-After": "5"},
            )
        except aiohttp.ClientError:
            return problem_response(
                request, status=502, detail=f"the {service} service gave an invalid answer"
            )
