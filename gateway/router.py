"""The gateway's own routes: ``POST /v1/auth/token`` and ``/v1/api-keys`` (registered before the proxy)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote, unquote

import aiohttp
from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response

from gateway import credentials
from gateway.auth import Authenticator
from gateway.config import GatewaySettings
from gateway.exceptions import InvalidClient, TokenError
from gateway.models import ApiKey
from gateway.schemas import (
    GRANT_TYPES,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    ClientIdText,
    GrantType,
    KeyIdText,
    NrpText,
    ScopeText,
    TokenResponse,
    VillageCodeText,
)
from gateway.tokens import issue_access_token
from services.common.db import Database
from services.common.http import UpstreamUnavailable
from services.common.messages import Message
from services.common.pagination import Page, PageParams, page_params
from services.common.principal import PRINCIPAL_HEADER, Principal, PrincipalKind, Scope, encode_principal
from services.common.requestid import current_request_id
from services.common.text import TextError, clean_text

router = APIRouter(prefix="/v1")
# The gateway's own identity when it asks outreach who an officer is.
GATEWAY_PRINCIPAL = Principal(
    kind=PrincipalKind.internal, subject="gateway", scopes=frozenset({Scope.outreach_admin.value})
)


def _authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def keys_admin(request: Request) -> Principal:
    principal = await _authenticator(request).admit(request)
    principal.require_scope(Scope.keys_admin.value)
    return principal


KeysAdmin = Annotated[Principal, Depends(keys_admin)]


# --- tokens ---------------------------------------------------------------------------------------


def _basic_client(request: Request) -> tuple[str, str] | None:
    """Client credentials sent as HTTP Basic (RFC 6749 §2.3.1), as OAuth2 libraries usually do."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient(Message("gateway.malformed_basic")) from None
    if not sep:
        raise InvalidClient(Message("gateway.malformed_basic"))
    try:
        # The client id is looked up in the database: the same text rule as the form field.
        client_id = clean_text(unquote(client_id), max_length=64)
    except TextError:
        raise InvalidClient(Message("gateway.malformed_basic")) from None
    return client_id, unquote(secret)


async def _officer_access(request: Request, nrp: str) -> dict[str, Any] | None:
    """Ask outreach for the officer behind ``nrp`` and their villages assigned today."""
    settings = _settings(request)
    url = f"{settings.outreach_url.rstrip('/')}/internal/officers/{quote(nrp)}/access"
    headers = {
        PRINCIPAL_HEADER: encode_principal(GATEWAY_PRINCIPAL, settings.internal_secret.get_secret_value()),
        "X-Request-Id": current_request_id() or "",
    }
    client: aiohttp.ClientSession = request.app.state.proxy.client
    timeout = aiohttp.ClientTimeout(total=settings.connect_timeout_seconds + 10)
    try:
        async with client.get(url, headers=headers, timeout=timeout) as response:
            if response.status == 404:
                return None
            if response.status != 200:
                raise UpstreamUnavailable(Message("gateway.outreach_answered", status=response.status))
            body: dict[str, Any] = await response.json(content_type=None)
            return body
    except (aiohttp.ClientError, TimeoutError, ValueError):
        raise UpstreamUnavailable(
            Message("gateway.outreach_unavailable"), headers={"Retry-After": "5"}
        ) from None


async def _officer_principal(request: Request, nrp: str) -> Principal:
    access = await _officer_access(request, nrp)
    if access is None:
        raise TokenError("invalid_grant", Message("officer.no_active_nrp"))
    return Principal(
        kind=PrincipalKind.officer,
        subject=str(access["officer_id"]),
        villages=frozenset(str(v) for v in access.get("villages", [])),
        name=access.get("name"),
    )


def _officer_response(
    settings: GatewaySettings, principal: Principal, nrp: str, refresh: str
) -> TokenResponse:
    return TokenResponse(
        access_token=issue_access_token(principal, settings, nrp=nrp),
        expires_in=settings.access_token_seconds,
        refresh_token=refresh,
    )


async def _password_grant(request: Request, username: str | None, password: str | None) -> TokenResponse:
    if not username or not password:
        raise TokenError("invalid_request", Message("gateway.password_fields"))
    settings = _settings(request)
    authenticator = _authenticator(request)
    # Every limit is checked before argon2 runs: hashing is what an attacker would make us spend.
    await authenticator.check_password_login(request, username)

    def check() -> bool:
        with _database(request).sessions.begin() as session:
            return credentials.verify_officer_password(session, username, password)

    if not await asyncio.to_thread(check):
        await authenticator.password_failed(request, username)
        raise TokenError("invalid_grant", Message("gateway.wrong_password"))
    principal = await _officer_principal(request, username)

    def store_refresh() -> str:
        with _database(request).sessions.begin() as session:
            lifetime = dt.timedelta(days=settings.refresh_token_days)
            return credentials.issue_refresh_token(session, username, lifetime)

    return _officer_response(settings, principal, username, await asyncio.to_thread(store_refresh))


async def _client_credentials_grant(
    request: Request, client_id: str | None, client_secret: str | None, scope: str | None
) -> TokenResponse:
    basic = _basic_client(request)
    if basic is not None:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise InvalidClient(Message("gateway.client_fields"))
    await _authenticator(request).check_login_rate(request, f"client:{client_id}")

    def verify() -> tuple[str, str] | None:
        with _database(request).sessions.begin() as session:
            row = credentials.verify_client(session, client_id, client_secret)
            return None if row is None else (row.scopes, row.name)

    found = await asyncio.to_thread(verify)
    if found is None:
        raise InvalidClient()
    granted = set(found[0].split())
    if scope:
        requested = set(scope.split())
        if not requested <= granted:
            raise TokenError(
                "invalid_scope", Message("gateway.scope_not_granted", scopes=sorted(requested - granted))
            )
        granted = requested
    settings = _settings(request)
    principal = Principal(
        kind=PrincipalKind.internal, subject=client_id, scopes=frozenset(granted), name=found[1]
    )
    return TokenResponse(
        access_token=issue_access_token(principal, settings),
        expires_in=settings.access_token_seconds,
        scope=" ".join(sorted(granted)),
    )


async def _refresh_grant(request: Request, refresh_token: str | None) -> TokenResponse:
    if not refresh_token:
        raise TokenError("invalid_request", Message("gateway.refresh_required"))
    await _authenticator(request).check_login_rate(request, "refresh")

    def inspect() -> credentials.Rotation:
        with _database(request).sessions.begin() as session:
            return credentials.inspect_refresh_token(session, refresh_token)

    rotation = await asyncio.to_thread(inspect)
    if rotation.nrp is None:
        raise TokenError("invalid_grant", rotation.reason)
    # Villages are asked again (assignments change) before the token is spent: if outreach is down the
    # officer keeps a usable refresh token.
    principal = await _officer_principal(request, rotation.nrp)
    settings = _settings(request)

    def spend() -> str | None:
        with _database(request).sessions.begin() as session:
            lifetime = dt.timedelta(days=settings.refresh_token_days)
            return credentials.spend_refresh_token(session, rotation, lifetime)

    successor = await asyncio.to_thread(spend)
    if successor is None:
        raise TokenError("invalid_grant", Message("gateway.refresh_reused"))
    return _officer_response(settings, principal, rotation.nrp, successor)


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    tags=["auth"],
    summary="OAuth2 token endpoint: officer password, client credentials, refresh token",
    responses={
        400: {"description": "RFC 6749 error (`error`: invalid_grant, invalid_request, …)"},
        429: {
            "description": "Too many token requests",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        },
        503: {"description": "The outreach service could not confirm the officer"},
    },
)
async def token(
    request: Request,
    response: Response,
    # Documented as an enum so generated clients offer the three grants; any other value still reaches
    # the handler and gets OAuth 2.0's own `unsupported_grant_type` answer rather than a validation error.
    grant_type: Annotated[
        GrantType,
        Form(
            description="password | client_credentials | refresh_token",
            json_schema_extra={"enum": list(GRANT_TYPES)},
        ),
    ],
    username: Annotated[NrpText | None, Form(description="Officer NRP (password grant)")] = None,
    password: Annotated[str | None, Form()] = None,
    client_id: Annotated[ClientIdText | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    refresh_token: Annotated[str | None, Form()] = None,
    scope: Annotated[
        ScopeText | None, Form(description="Space-separated subset of the client's scopes")
    ] = None,
) -> TokenResponse:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    if grant_type == "password":
        return await _password_grant(request, username, password)
    if grant_type == "client_credentials":
        return await _client_credentials_grant(request, client_id, client_secret, scope)
    if grant_type == "refresh_token":
        return await _refresh_grant(request, refresh_token)
    raise TokenError("unsupported_grant_type", Message("gateway.grant_type", grant_type=repr(grant_type)))


# --- API keys -------------------------------------------------------------------------------------


def _key_out(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=row.id,
        prefix=row.prefix,
        village_code=row.village_code,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=201,
    tags=["api-keys"],
    summary="Create a village API key (the key is shown once)",
)
async def create_api_key(body: ApiKeyCreate, request: Request, _: KeysAdmin) -> ApiKeyCreated:
    def create() -> ApiKeyCreated:
        with _database(request).sessions.begin() as session:
            issued = credentials.create_api_key(session, body.village_code, body.name)
            return ApiKeyCreated(**_key_out(issued.row).model_dump(), key=issued.key)

    return await asyncio.to_thread(create)


@router.get("/api-keys", response_model=Page[ApiKeyOut], tags=["api-keys"], summary="List API keys")
async def list_api_keys(
    request: Request,
    _: KeysAdmin,
    pagination: Annotated[PageParams, Depends(page_params)],
    village_code: Annotated[VillageCodeText | None, Query()] = None,
) -> Page[ApiKeyOut]:
    def load() -> Page[ApiKeyOut]:
        with _database(request).sessions() as session:
            rows, cursor = credentials.list_api_keys(session, pagination, village_code=village_code)
            return Page(items=[_key_out(r) for r in rows], next_cursor=cursor)

    return await asyncio.to_thread(load)


@router.delete(
    "/api-keys/{key_id}",
    status_code=204,
    tags=["api-keys"],
    summary="Revoke an API key (effective at once on this gateway, within the key cache TTL elsewhere)",
)
async def revoke_api_key(key_id: Annotated[KeyIdText, Path()], request: Request, _: KeysAdmin) -> Response:
    def revoke() -> None:
        with _database(request).sessions.begin() as session:
            credentials.revoke_api_key(session, key_id)

    await asyncio.to_thread(revoke)
    _authenticator(request).forget_key(key_id)
    return Response(status_code=204)


@router.delete(
    "/internal-clients/{client_id}",
    status_code=204,
    tags=["api-keys"],
    summary="Revoke an internal client: no new tokens; its access tokens are refused (at once on this "
    "gateway, within the cache TTL elsewhere)",
)
async def revoke_internal_client(
    client_id: Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")],
    request: Request,
    _: KeysAdmin,
) -> Response:
    def revoke() -> None:
        with _database(request).sessions.begin() as session:
            credentials.revoke_client(session, client_id)

    await asyncio.to_thread(revoke)
    _authenticator(request).forget_client(client_id)
    return Response(status_code=204)
