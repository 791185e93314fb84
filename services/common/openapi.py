"""What an OpenAPI document says beyond what FastAPI derives: stable operation ids, who may call each
operation, which headers are required, and schema names a generated client can live with.

Each component keeps one table per concern in its own ``operations.py``, keyed by ``(METHOD, path)``, so
routes stay as they are and a forgotten entry is caught by a test rather than by an integrator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

OperationKey = tuple[str, str]
"""``("POST", "/v1/payments")``: an operation by method and path template."""

# Who may call an operation. ``internal:<scope>`` is an internal client holding that scope;
# ``internal:*`` any internal client, whatever its scopes.
ANONYMOUS = "anonymous"
VILLAGE = "village"
OFFICER = "officer"
ANY_INTERNAL = "internal:*"
AUTHENTICATED: tuple[str, ...] = (VILLAGE, OFFICER, ANY_INTERNAL)
NOBODY: tuple[str, ...] = ()  # health probes and token requests: no credential involved


def internal(*scopes: str) -> tuple[str, ...]:
    """Internal clients holding any one of ``scopes``."""
    return tuple(f"internal:{scope}" for scope in scopes)


API_KEY_SCHEME = "villageApiKey"
OFFICER_SCHEME = "officerLogin"
INTERNAL_SCHEME = "internalClient"
TOKEN_URL = "/v1/auth/token"
SCOPES = {
    "registry:read": "Read workers of every village",
    "registry:write": "Register and change workers of every village",
    "funding:admin": "Rate schedules, agreements, billing runs, payments",
    "outreach:admin": "Officers, assignments, sessions, targets",
    "reports:read": "Progress and statistics",
    "webhooks:admin": "Partner webhook endpoints",
    "keys:admin": "Village API keys",
}
SECURITY_SCHEMES: dict[str, Any] = {
    API_KEY_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "sk_vil_…",
        "description": "A village government system's API key: `Authorization: Bearer sk_vil_…`.",
    },
    OFFICER_SCHEME: {
        "type": "oauth2",
        "description": "Officers log in with NRP and password; the access token is a bearer token.",
        "flows": {"password": {"tokenUrl": TOKEN_URL, "refreshUrl": TOKEN_URL, "scopes": {}}},
    },
    INTERNAL_SCHEME: {
        "type": "oauth2",
        "description": "Internal (agency) clients use client credentials; each operation names the scopes "
        "that admit it (any one of them).",
        "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": dict(SCOPES)}},
    },
}


def security_requirements(callers: Iterable[str]) -> list[dict[str, list[str]]]:
    """OpenAPI ``security`` for ``callers``: alternatives, any one of which admits the request."""
    requirements: list[dict[str, list[str]]] = []
    for caller in callers:
        if caller == ANONYMOUS:
            requirement: dict[str, list[str]] = {}
        elif caller == VILLAGE:
            requirement = {API_KEY_SCHEME: []}
        elif caller == OFFICER:
            requirement = {OFFICER_SCHEME: []}
        elif caller == ANY_INTERNAL:
            requirement = {INTERNAL_SCHEME: []}
        elif caller.startswith("internal:") and caller[len("internal:") :] in SCOPES:
            requirement = {INTERNAL_SCHEME: [caller[len("internal:") :]]}
        else:
            raise ValueError(f"unknown caller {caller!r}")
        if requirement not in requirements:
            requirements.append(requirement)
    return requirements


@dataclass(frozen=True)
class OperationTable:
    """A component's hand-written facts about its operations."""

    ids: Mapping[OperationKey, str]
    security: Mapping[OperationKey, tuple[str, ...]] = field(default_factory=dict)
    # Operations the server refuses without an Idempotency-Key (documented as required).
    idempotency_key_required: frozenset[OperationKey] = frozenset()
    # Names for the request-body schemas FastAPI invents (``Body_<function>_<path>_<method>``).
    body_schema_names: Mapping[OperationKey, str] = field(default_factory=dict)


HEALTH_OPERATIONS = OperationTable(
    ids={("GET", "/healthz"): "healthz_get", ("GET", "/readyz"): "readyz_get"},
    security={("GET", "/healthz"): NOBODY, ("GET", "/readyz"): NOBODY},
)
OPERATION_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SCHEMA_NAME_PATTERN = re.compile(r"^[A-Z][A-Za-z0-9]*$")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(document: Mapping[str, Any]) -> Iterable[tuple[OperationKey, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield (method.upper(), path), operation


def apply_operation_table(document: dict[str, Any], *tables: OperationTable) -> None:
    """Set operation ids, security and required Idempotency-Keys from ``tables``; rename schemas.

    An operation missing from the tables keeps FastAPI's generated id (the tests refuse that).
    """
    ids: dict[OperationKey, str] = {}
    security: dict[OperationKey, tuple[str, ...]] = {}
    body_names: dict[OperationKey, str] = {}
    idempotent: set[OperationKey] = set()
    for table in tables:
        ids.update(table.ids)
        security.update(table.security)
        body_names.update(table.body_schema_names)
        idempotent.update(table.idempotency_key_required)
    renames: dict[str, str] = {}
    for key, operation in operations(document):
        if key in ids:
            operation["operationId"] = ids[key]
        if key in security:
            operation["security"] = security_requirements(security[key])
        for parameter in operation.get("parameters", []):
            if (
                parameter.get("in") == "header"
                and str(parameter.get("name", "")).lower() == "idempotency-key"
            ):
                parameter["required"] = key in idempotent
                if key in idempotent:
                    # A required header is a plain string, not "string or null".
                    parameter["schema"] = _not_null(parameter.get("schema", {}))
        body_ref = _body_schema_ref(operation)
        if body_ref is not None and body_ref.startswith("Body_"):
            renames[body_ref] = body_names.get(key) or _pascal(str(operation.get("operationId", ""))) + "Form"
    schemas = document.get("components", {}).get("schemas", {})
    for name in schemas:
        match = re.fullmatch(r"Page_([A-Za-z0-9]+)_", name)
        if match:
            renames[name] = match.group(1).removesuffix("Out") + "Page"
    rename_schemas(document, renames)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    alternatives = schema.get("anyOf")
    if isinstance(alternatives, list):
        rest = [s for s in alternatives if s.get("type") != "null"]
        if len(rest) == 1:
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            return {**rest[0], **merged}
    return schema


def _body_schema_ref(operation: Mapping[str, Any]) -> str | None:
    for media in operation.get("requestBody", {}).get("content", {}).values():
        ref = media.get("schema", {}).get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return ref.rsplit("/", 1)[-1]
    return None


def _pascal(operation_id: str) -> str:
    return "".join(part.capitalize() for part in operation_id.split("_") if part)


def rename_schemas(document: dict[str, Any], renames: Mapping[str, str]) -> None:
    """Rename component schemas and every ``$ref`` to them; refuse a rename onto another schema."""
    if not renames:
        return
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for old, new in renames.items():
        if old not in schemas or old == new:
            continue
        schema = schemas.pop(old)
        if isinstance(schema, dict) and "title" in schema:
            schema["title"] = new
        if new in schemas and schemas[new] != schema:
            raise ValueError(f"schema {old!r} would be renamed to {new!r}, which names another schema")
        schemas[new] = schema
    old_refs = {f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in renames.items()}
    _rewrite_refs(document, old_refs)
    document["components"]["schemas"] = dict(sorted(schemas.items()))


def _rewrite_refs(node: Any, refs: Mapping[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value in refs:
                node[key] = refs[value]
            else:
                _rewrite_refs(value, refs)
    elif isinstance(node, list):
        for item in node:
            _rewrite_refs(item, refs)
