"""Who is calling the gateway.

Foundation stage: every caller is anonymous, which services accept only for public reference data;
credential checks (API keys, officer and client tokens) build on this function.
"""

from __future__ import annotations

from starlette.requests import Request

from services.common.principal import Principal, PrincipalKind

ANONYMOUS = Principal(kind=PrincipalKind.anonymous, subject="anonymous")


async def authenticate(request: Request) -> Principal:
    return ANONYMOUS
