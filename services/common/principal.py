"""Who is calling: the principal the gateway vouches for.

The gateway authenticates the caller and forwards ``X-Sasar-Principal``: a short-lived HS256 JWT signed
with ``SASAR_INTERNAL_SECRET`` that says what kind of caller it is and which villages (or scopes) it may
touch. Services verify it on every ``/v1`` request (401 without a valid one) and apply the tenant scope
again in their own queries: defence in depth, so a service port reached directly yields nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import jwt
from fastapi import Request

from services.common.errors import Forbidden, Unauthorized
from services.common.messages import Message

PRINCIPAL_HEADER = "X-Sasar-Principal"
PRINCIPAL_ISSUER = "sasar-gateway"
PRINCIPAL_AUDIENCE = "sasar-services"
PRINCIPAL_TTL = dt.timedelta(seconds=60)
_ALGORITHM = "HS256"


class PrincipalKind(StrEnum):
    village = "village"  # a village government system with an API key bound to one village
    officer = "officer"  # a police village officer (Bhabinkamtibmas) through the outreach app
    internal = "internal"  # an agency integration with client credentials and scopes
    anonymous = "anonymous"  # public reference data only (areas)


class Scope(StrEnum):
    registry_read = "registry:read"
    registry_write = "registry:write"
    funding_admin = "funding:admin"
    outreach_admin = "outreach:admin"
    reports_read = "reports:read"
    webhooks_admin = "webhooks:admin"
    keys_admin = "keys:admin"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    subject: str  # API key id, officer id, client id
    villages: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    name: str | None = None

    @property
    def is_internal(self) -> bool:
        return self.kind is PrincipalKind.internal

    @property
    def actor(self) -> str:
        """How history records this caller, e.g. ``village:3f2a…`` or ``officer:12``."""
        return f"{self.kind.value}:{self.subject}"

    def has_scope(self, scope: str) -> bool:
        return self.is_internal and scope in self.scopes

    def can_access_village(self, village_code: str) -> bool:
        """Tenant rule: internal callers see every village, others only their own."""
        if self.is_internal:
            return True
        return village_code in self.villages

    def village_filter(self) -> frozenset[str] | None:
        """Villages a query must be restricted to; ``None`` means unrestricted (internal)."""
        return None if self.is_internal else self.villages

    def require_scope(self, scope: str) -> None:
        if not self.has_scope(scope):
            raise Forbidden(Message("access.needs_scope", scope=scope))

    def require_kind(self, *kinds: PrincipalKind) -> None:
        if self.kind not in kinds:
            raise Forbidden(Message("access.kind_refused", kind=self.kind.value))


def encode_principal(
    principal: Principal, secret: str, *, now: dt.datetime | None = None, ttl: dt.timedelta = PRINCIPAL_TTL
) -> str:
    issued = now or dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "iss": PRINCIPAL_ISSUER,
        "aud": PRINCIPAL_AUDIENCE,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
        "sub": principal.subject,
        "kind": principal.kind.value,
        "villages": sorted(principal.villages),
        "scopes": sorted(principal.scopes),
    }
    if principal.name:
        claims["name"] = principal.name
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def decode_principal(token: str, secret: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=PRINCIPAL_AUDIENCE,
            issuer=PRINCIPAL_ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
        return Principal(
            kind=PrincipalKind(claims["kind"]),
            subject=str(claims["sub"]),
            villages=frozenset(_strings(claims.get("villages", []))),
            scopes=frozenset(_strings(claims.get("scopes", []))),
            name=claims.get("name"),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        raise Unauthorized(Message("access.invalid_principal")) from None


def _strings(values: Iterable[Any]) -> list[str]:
    return [str(v) for v in values]


def principal_from_request(request: Request) -> Principal:
    """Verify the gateway's principal token; 401 problem without a valid one."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    token = request.headers.get(PRINCIPAL_HEADER)
    if not token:
        raise Unauthorized(Message("access.missing_principal"))
    principal = decode_principal(token, request.app.state.settings.internal_secret.get_secret_value())
    request.state.principal = principal
    return principal


def authenticated_principal(request: Request) -> Principal:
    """Any verified caller except anonymous ones."""
    principal = principal_from_request(request)
    if principal.kind is PrincipalKind.anonymous:
        raise Unauthorized(Message("access.authentication_required"))
    return principal
