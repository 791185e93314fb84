"""One public OpenAPI document, merged from the services' own documents and the gateway's routes.

Each service documents its ``/v1`` operations; the gateway fetches those documents, keeps only the
public paths (those it routes), merges their component schemas and adds its own operations. A service
that does not answer is left out and named in ``x-sasar-unavailable``; such a partial document is not
cached, so the next request tries again.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import aiohttp

from gateway.routing import service_for_path

SERVICE_ORDER = ("registry", "funding", "outreach", "webhooks")


async def fetch_service_document(
    client: aiohttp.ClientSession, base_url: str, timeout: float
) -> dict[str, Any] | None:
    try:
        async with client.get(
            base_url + "/openapi.json", timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            if response.status != 200:
                return None
            document: dict[str, Any] = await response.json()
            return document
    except (aiohttp.ClientError, TimeoutError):
        return None


def merge_documents(
    gateway_document: dict[str, Any],
    service_documents: dict[str, dict[str, Any] | None],
    *,
    title: str = "Sasar API",
    version: str = "0.1.0",
) -> dict[str, Any]:
    merged = copy.deepcopy(gateway_document)
    merged["info"] = {
        "title": title,
        "version": version,
        "description": (
            "Sasar: bringing Indonesia's informal village workers under BPJS Ketenagakerjaan coverage. "
            "One public entry; errors are RFC 9457 problem+json."
        ),
    }
    paths: dict[str, Any] = merged.setdefault("paths", {})
    schemas: dict[str, Any] = merged.setdefault("components", {}).setdefault("schemas", {})
    unavailable: list[str] = []
    for service in SERVICE_ORDER:
        document = service_documents.get(service)
        if document is None:
            unavailable.append(service)
            continue
        for path, item in document.get("paths", {}).items():
            if service_for_path(path) == service:
                paths[path] = item
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            existing = schemas.get(name)
            if existing is not None and existing != schema:
                raise ValueError(f"schema {name!r} differs between services; rename one of them")
            schemas[name] = schema
    if unavailable:
        merged["x-sasar-unavailable"] = unavailable
    merged["paths"] = dict(sorted(paths.items()))
    merged["components"]["schemas"] = dict(sorted(schemas.items()))
    add_security(merged)
    return merged


API_KEY_SCHEME = "villageApiKey"
OAUTH2_SCHEME = "oauth2"
TOKEN_URL = "/v1/auth/token"
# Public reference data: a credential is optional (``{}`` = none needed).
PUBLIC_PREFIXES = ("/v1/areas",)
# Operations only internal clients with this scope may call.
SCOPED_PREFIXES = {"/v1/api-keys": "keys:admin"}
_SCOPES = {
    "registry:read": "Read workers of every village",
    "registry:write": "Register and change workers of every village",
    "funding:admin": "Rate schedules, agreements, billing runs, payments",
    "outreach:admin": "Officers, assignments, sessions, targets",
    "reports:read": "Progress and statistics",
    "webhooks:admin": "Partner webhook endpoints",
    "keys:admin": "Village API keys",
}
_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def add_security(document: dict[str, Any]) -> None:
    """Declare how to authenticate, per operation, so generated clients need no hand edits."""
    components = document.setdefault("components", {})
    components["securitySchemes"] = {
        API_KEY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "sk_vil_…",
            "description": "A village government system's API key: `Authorization: Bearer sk_vil_…`.",
        },
        OAUTH2_SCHEME: {
            "type": "oauth2",
            "description": "Officers log in with NRP and password; internal clients with client credentials.",
            "flows": {
                "password": {"tokenUrl": TOKEN_URL, "refreshUrl": TOKEN_URL, "scopes": {}},
                "clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": dict(_SCOPES)},
            },
        },
    }
    rate_limited = {
        "description": "Rate limit exceeded for this credential",
        "headers": {
            "Retry-After": {"description": "Seconds until a retry may succeed", "schema": {"type": "integer"}}
        },
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    # What the gateway itself may answer on any public operation, whatever the service documents.
    gateway_answers = {
        "413": "Request body too large",
        "502": "The service gave an invalid answer",
        "503": "The service is unavailable; retry later",
        "504": "The service did not answer in time",
    }
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _HTTP_METHODS or not isinstance(operation, dict):
                continue
            operation["security"] = _security_for(path)
            if path.startswith("/v1/"):
                responses = operation.setdefault("responses", {})
                responses.setdefault("429", rate_limited)
                for status, description in gateway_answers.items():
                    responses.setdefault(status, {"description": description, "content": problem})


def _security_for(path: str) -> list[dict[str, list[str]]]:
    if path == TOKEN_URL or not path.startswith("/v1/"):
        return []
    for prefix, scope in SCOPED_PREFIXES.items():
        if path.startswith(prefix):
            return [{OAUTH2_SCHEME: [scope]}]
    either: list[dict[str, list[str]]] = [{API_KEY_SCHEME: []}, {OAUTH2_SCHEME: []}]
    if path.startswith(PUBLIC_PREFIXES):
        return [{}, *either]
    return either


class MergedOpenAPI:
    def __init__(self, services: dict[str, str], timeout: float) -> None:
        self.services = services
        self.timeout = timeout
        self._cached: dict[str, Any] | None = None
        self._lock = asyncio.Lock()

    async def document(
        self, client: aiohttp.ClientSession, gateway_document: dict[str, Any]
    ) -> dict[str, Any]:
        if self._cached is not None:
            return self._cached
        async with self._lock:
            if self._cached is not None:
                return self._cached
            fetched = await asyncio.gather(
                *(fetch_service_document(client, self.services[name], self.timeout) for name in SERVICE_ORDER)
            )
            merged = merge_documents(gateway_document, dict(zip(SERVICE_ORDER, fetched, strict=True)))
            if "x-sasar-unavailable" not in merged:
                self._cached = merged
            return merged
