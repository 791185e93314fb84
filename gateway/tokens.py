"""Access tokens issued by ``POST /v1/auth/token``: HS256 JWTs (PyJWT) for officers and internal clients.

They carry what the principal needs (kind, subject, villages or scopes), so checking one costs no
database lookup. Expiry, audience and issuer are verified; anything else is a 401.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import jwt

from gateway.config import GatewaySettings
from gateway.exceptions import InvalidCredential
from services.common.messages import Message
from services.common.principal import Principal, PrincipalKind

ALGORITHM = "HS256"
TOKEN_KINDS = frozenset({PrincipalKind.officer, PrincipalKind.internal})


def issue_access_token(
    principal: Principal, settings: GatewaySettings, *, now: dt.datetime | None = None, **claims: Any
) -> str:
    if principal.kind not in TOKEN_KINDS:
        raise ValueError(f"access tokens are for officers and internal clients, not {principal.kind}")
    issued = now or dt.datetime.now(dt.UTC)
    payload: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(issued.timestamp()),
        "exp": int(issued.timestamp()) + settings.access_token_seconds,
        "jti": uuid.uuid4().hex,
        "typ": "access",
        "sub": principal.subject,
        "kind": principal.kind.value,
        "villages": sorted(principal.villages),
        "scopes": sorted(principal.scopes),
        **claims,
    }
    if principal.name:
        payload["name"] = principal.name
    return jwt.encode(payload, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def verify_access_token(token: str, settings: GatewaySettings) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidCredential(Message("gateway.token_expired")) from None
    except jwt.PyJWTError:
        raise InvalidCredential(Message("gateway.invalid_token")) from None
    try:
        kind = PrincipalKind(claims["kind"])
        if claims.get("typ") != "access" or kind not in TOKEN_KINDS:
            raise ValueError(kind)
        return Principal(
            kind=kind,
            subject=str(claims["sub"]),
            villages=frozenset(str(v) for v in claims.get("villages", [])),
            scopes=frozenset(str(s) for s in claims.get("scopes", [])),
            name=claims.get("name"),
        )
    except (KeyError, ValueError, TypeError):
        raise InvalidCredential(Message("gateway.invalid_token")) from None
