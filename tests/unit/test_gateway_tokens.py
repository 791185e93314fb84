"""Access tokens, settings refusals and the OpenAPI security declarations."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from gateway.config import DEFAULT_JWT_SECRET, GatewaySettings
from gateway.exceptions import InvalidCredential
from gateway.openapi import add_security, merge_documents
from gateway.tokens import issue_access_token, verify_access_token
from services.common.principal import Principal, PrincipalKind

SETTINGS = GatewaySettings(jwt_secret="s" * 40)
OFFICER = Principal(
    kind=PrincipalKind.officer, subject="7", villages=frozenset({"33.26.15.2001"}), name="Budi"
)


def test_round_trip() -> None:
    token = issue_access_token(OFFICER, SETTINGS)
    assert verify_access_token(token, SETTINGS) == OFFICER


def test_expiry_secret_audience_issuer() -> None:
    old = issue_access_token(OFFICER, SETTINGS, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    with pytest.raises(InvalidCredential, match="expired"):
        verify_access_token(old, SETTINGS)
    fresh = issue_access_token(OFFICER, SETTINGS, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14))
    assert verify_access_token(fresh, SETTINGS).subject == "7"
    token = issue_access_token(OFFICER, SETTINGS)
    for other in (
        GatewaySettings(jwt_secret="t" * 40),
        GatewaySettings(jwt_secret="s" * 40, jwt_audience="elsewhere"),
        GatewaySettings(jwt_secret="s" * 40, jwt_issuer="elsewhere"),
    ):
        with pytest.raises(InvalidCredential):
            verify_access_token(token, other)


def test_no_tokens_for_villages_or_anonymous() -> None:
    with pytest.raises(ValueError):
        issue_access_token(Principal(kind=PrincipalKind.village, subject="k"), SETTINGS)


def test_production_refuses_default_jwt_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SASAR_ENV", "production")
    monkeypatch.setenv("SASAR_INTERNAL_SECRET", "i" * 40)
    monkeypatch.setenv("SASAR_GATEWAY_DATABASE_URL", "postgresql://db/gateway")
    with pytest.raises(ValidationError, match="SASAR_GATEWAY_JWT_SECRET is the development default"):
        GatewaySettings()
    monkeypatch.setenv("SASAR_GATEWAY_JWT_SECRET", "short")
    with pytest.raises(ValidationError, match="at least 32"):
        GatewaySettings()
    monkeypatch.setenv("SASAR_GATEWAY_JWT_SECRET", "j" * 40)
    settings = GatewaySettings()
    assert settings.production_problems() == []
    assert settings.jwt_secret.get_secret_value() != DEFAULT_JWT_SECRET


def _operation() -> dict[str, object]:
    return {"responses": {"200": {"description": "ok"}}}


def test_security_schemes_per_operation() -> None:
    gateway_doc = {
        "openapi": "3.1.0",
        "paths": {
            "/v1/auth/token": {"post": _operation()},
            "/v1/api-keys": {"get": _operation(), "post": _operation()},
            "/healthz": {"get": _operation()},
        },
        "components": {"schemas": {}},
    }
    registry_doc = {
        "paths": {
            "/v1/areas/{code}": {"get": _operation()},
            "/v1/workers": {"get": _operation(), "parameters": []},
        },
        "components": {"schemas": {}},
    }
    merged = merge_documents(gateway_doc, {"registry": registry_doc, "funding": None, "outreach": None})
    schemes = merged["components"]["securitySchemes"]
    assert schemes["villageApiKey"] == {**schemes["villageApiKey"], "type": "http", "scheme": "bearer"}
    assert schemes["officerLogin"]["flows"]["password"]["tokenUrl"] == "/v1/auth/token"
    client_credentials = schemes["internalClient"]["flows"]["clientCredentials"]
    assert client_credentials["tokenUrl"] == "/v1/auth/token"
    assert "keys:admin" in client_credentials["scopes"]
    paths = merged["paths"]
    assert paths["/v1/auth/token"]["post"]["security"] == []
    anyone = [{"villageApiKey": []}, {"officerLogin": []}, {"internalClient": []}]
    assert paths["/v1/api-keys"]["post"]["security"] == [{"internalClient": ["keys:admin"]}]
    assert paths["/v1/areas/{code}"]["get"]["security"] == [{}, *anyone]
    assert paths["/v1/workers"]["get"]["security"] == anyone
    assert paths["/v1/workers"]["get"]["responses"]["429"]["headers"]["Retry-After"]
    assert paths["/healthz"]["get"]["security"] == []
    add_security(merged)  # idempotent
    assert paths["/v1/workers"]["get"]["security"] == anyone


def test_forwarded_principal_is_signed_and_reused_briefly() -> None:
    from gateway.routing import Proxy
    from services.common.principal import decode_principal

    settings = GatewaySettings(jwt_secret="s" * 40)
    proxy = Proxy(settings)
    first = proxy.principal_token(OFFICER)
    assert proxy.principal_token(OFFICER) == first
    assert decode_principal(first, settings.internal_secret.get_secret_value()) == OFFICER
    other = Principal(kind=PrincipalKind.village, subject="k", villages=frozenset({"33.26.15.2002"}))
    assert (
        decode_principal(proxy.principal_token(other), settings.internal_secret.get_secret_value()) == other
    )
