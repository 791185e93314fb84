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
from services.common.openapi import (
    ANONYMOUS,
    AUTHENTICATED,
    SECURITY_SCHEMES,
    TOKEN_URL,
    internal,
    operations,
    security_requirements,
)

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


# Fallback for operations a service documents without a security table entry: by path prefix.
PUBLIC_PREFIXES = ("/v1/areas",)  # public reference data: a credential is optional
SCOPED_PREFIXES = {"/v1/api-keys": "keys:admin"}  # only internal clients with this scope


def add_security(document: dict[str, Any]) -> None:
    """Declare how to authenticate, per operation, so generated clients need no hand edits.

    Each operation keeps the security its component's table gave it (only the principals and scopes
    that may call it); one without falls back to a rule by path prefix.
    """
    components = document.setdefault("components", {})
    components["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
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
    for (_, path), operation in operations(document):
        if "security" not in operation:
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
            return security_requirements(internal(scope))
    if path.startswith(PUBLIC_PREFIXES):
        return security_requirements((ANONYMOUS, *AUTHENTICATED))
    return security_requirements(AUTHENTICATED)


def with_servers(document: dict[str, Any], base_url: str) -> dict[str, Any]:
    """``document`` (left unchanged: it is cached) with ``servers`` naming the public base URL."""
    return {**document, "servers": [{"url": base_url.rstrip("/"), "description": "The Sasar gateway"}]}


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
