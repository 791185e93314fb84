"""Every line a caller might cross at the gateway, tried: credentials, tenants, scopes, forged headers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import jwt
from fastapi.testclient import TestClient

from gateway import credentials
from gateway.config import GatewaySettings
from gateway.tokens import issue_access_token
from services.common.principal import PRINCIPAL_HEADER, Principal, PrincipalKind, encode_principal
from tests.api.gateway.conftest import (
    VILLAGE_A,
    VILLAGE_B,
    VILLAGE_C,
    FakeOutreach,
    Store,
    bearer,
    client_token,
    village_key,
)
from tests.support import TEST_SECRET, village_headers

PROBLEM = "application/problem+json"


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    return body


def test_no_credential_is_refused_outside_areas(gateway: TestClient) -> None:
    for path in ("/v1/workers", "/v1/invoices", "/v1/me", "/v1/api-keys", "/v1/officers/1"):
        response = gateway.get(path)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_areas_are_public_but_a_sent_credential_must_be_valid(gateway: TestClient) -> None:
    response = gateway.get("/v1/areas/33.75")
    assert response.status_code == 200
    assert response.json()["principal"]["kind"] == "anonymous"
    assert_problem(gateway.get("/v1/areas/33.75", headers=bearer("sk_vil_not-a-real-key-at-all")), 401)
    assert_problem(gateway.get("/v1/areas/33.75", headers=bearer("garbage")), 401)


def test_wrong_credentials_are_refused(gateway: TestClient, store: Store) -> None:
    _, key = village_key(store)
    for header in (
        {"Authorization": f"Bearer {key[:-2]}xx"},  # right prefix, wrong secret
        {"Authorization": "Bearer sk_vil_short"},
        {"Authorization": f"Basic {key}"},  # wrong scheme
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA"},
    ):
        assert_problem(gateway.get("/v1/workers", headers=header), 401)
    assert gateway.get("/v1/workers", headers=bearer(key)).status_code == 200


def test_revoked_key_stops_working_at_once(gateway: TestClient, store: Store) -> None:
    key_id, key = village_key(store)
    assert gateway.get("/v1/workers", headers=bearer(key)).status_code == 200  # now cached
    admin = client_token(gateway, store, "keys:admin")
    assert gateway.delete(f"/v1/api-keys/{key_id}", headers=bearer(admin)).status_code == 204
    assert_problem(gateway.get("/v1/workers", headers=bearer(key)), 401)
    listed = gateway.get("/v1/api-keys", headers=bearer(admin)).json()["items"]
    assert [item["revoked_at"] is not None for item in listed if item["id"] == key_id] == [True]


def test_expired_and_tampered_tokens_are_refused(gateway: TestClient, store: Store) -> None:
    settings = GatewaySettings(jwt_secret=gateway.app.state.settings.jwt_secret)  # type: ignore[attr-defined]
    principal = Principal(kind=PrincipalKind.internal, subject="cli_x", scopes=frozenset({"registry:read"}))
    expired = issue_access_token(principal, settings, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    body = assert_problem(gateway.get("/v1/workers", headers=bearer(expired)), 401)
    assert "expired" in str(body["detail"])

    valid = client_token(gateway, store, "registry:read")
    assert gateway.get("/v1/workers", headers=bearer(valid)).status_code == 200
    header, payload, signature = valid.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert_problem(gateway.get("/v1/workers", headers=bearer(f"{header}.{payload}.{flipped}")), 401)

    claims = jwt.decode(valid, options={"verify_signature": False})
    for change in (
        {"scopes": [*claims["scopes"], "keys:admin"]},
        {"kind": "internal", "villages": [VILLAGE_B]},
    ):
        forged = jwt.encode(
            {**claims, **change}, "not-the-gateway-secret-but-long-enough-0123", algorithm="HS256"
        )
        assert_problem(gateway.get("/v1/workers", headers=bearer(forged)), 401)
    for change in ({"aud": "someone-else"}, {"iss": "someone-else"}, {"typ": "refresh"}):
        other = jwt.encode({**claims, **change}, settings.jwt_secret.get_secret_value(), algorithm="HS256")
        assert_problem(gateway.get("/v1/workers", headers=bearer(other)), 401)
    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    assert_problem(gateway.get("/v1/workers", headers=bearer(unsigned)), 401)


def test_forged_principal_header_from_a_client_is_replaced(gateway: TestClient, store: Store) -> None:
    forged = encode_principal(
        Principal(kind=PrincipalKind.internal, subject="evil", scopes=frozenset({"keys:admin"})), TEST_SECRET
    )
    # Anonymous on public data: the forged internal principal is dropped, anonymous is forwarded.
    seen = gateway.get("/v1/areas/33", headers={PRINCIPAL_HEADER: forged}).json()["principal"]
    assert seen["kind"] == "anonymous"
    # Elsewhere a forged header alone is no credential.
    assert_problem(gateway.get("/v1/workers", headers={PRINCIPAL_HEADER: forged}), 401)
    _, key = village_key(store)
    seen = gateway.get("/v1/workers", headers={**bearer(key), PRINCIPAL_HEADER: forged}).json()["principal"]
    assert seen["kind"] == "village"
    assert seen["villages"] == [VILLAGE_A]
    assert seen["scopes"] == []
    # A village principal for another village, sent by the client, does not widen the key either.
    other = village_headers(VILLAGE_B)[PRINCIPAL_HEADER]
    response = gateway.get(f"/v1/workers/in/{VILLAGE_B}", headers={**bearer(key), PRINCIPAL_HEADER: other})
    assert_problem(response, 404)


def test_village_key_reaches_only_its_village(gateway: TestClient, store: Store) -> None:
    key_id, key = village_key(store, VILLAGE_A)
    seen = gateway.get("/v1/workers", headers=bearer(key)).json()["principal"]
    assert seen == {"kind": "village", "subject": key_id, "villages": [VILLAGE_A], "scopes": []}
    assert gateway.get(f"/v1/workers/in/{VILLAGE_A}", headers=bearer(key)).status_code == 200
    for village in (VILLAGE_B, VILLAGE_C):
        for method in ("GET", "POST"):
            assert_problem(gateway.request(method, f"/v1/workers/in/{village}", headers=bearer(key)), 404)


def test_every_routed_resource_gets_the_callers_principal(gateway: TestClient, store: Store) -> None:
    from gateway.auth import PUBLIC_RESOURCES
    from gateway.routing import ROUTES

    # Public: the area reference data, and officers' calendar feeds (outreach checks the URL's secret).
    assert {"areas", "calendar-feeds"} == PUBLIC_RESOURCES
    _, key = village_key(store, VILLAGE_B)
    for resource in ROUTES:
        response = gateway.get(f"/v1/{resource}", headers=bearer(key))
        assert response.status_code == 200, resource
        assert response.json()["principal"]["villages"] == [VILLAGE_B], resource
        if resource not in PUBLIC_RESOURCES:
            assert_problem(gateway.get(f"/v1/{resource}"), 401)
        else:
            assert gateway.get(f"/v1/{resource}").json()["principal"]["kind"] == "anonymous"


def officer_login(
    gateway: TestClient, store: Store, outreach: FakeOutreach, villages: list[str]
) -> dict[str, str]:
    outreach.officers["87654321"] = {
        "officer_id": "42",
        "nrp": "87654321",
        "name": "Aiptu Budi",
        "villages": villages,
    }
    store(lambda s: credentials.set_officer_password(s, "87654321", "correct horse battery"))
    response = gateway.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": "87654321", "password": "correct horse battery"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, str] = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    return body


def test_officer_token_carries_assigned_villages_only(
    gateway: TestClient, store: Store, fake_outreach: FakeOutreach
) -> None:
    tokens = officer_login(gateway, store, fake_outreach, [VILLAGE_A, VILLAGE_C])
    assert fake_outreach.calls[-1]["principal"]["kind"] == "internal"
    assert fake_outreach.calls[-1]["principal"]["subject"] == "gateway"
    seen = gateway.get("/v1/me", headers=bearer(tokens["access_token"])).json()["principal"]
    assert seen == {"kind": "officer", "subject": "42", "villages": [VILLAGE_A, VILLAGE_C], "scopes": []}
    assert (
        gateway.get(f"/v1/workers/in/{VILLAGE_C}", headers=bearer(tokens["access_token"])).status_code == 200
    )
    assert_problem(gateway.get(f"/v1/workers/in/{VILLAGE_B}", headers=bearer(tokens["access_token"])), 404)
    # Officers manage no keys.
    assert_problem(gateway.get("/v1/api-keys", headers=bearer(tokens["access_token"])), 403)


def test_internal_client_needs_the_scope_for_api_keys(gateway: TestClient, store: Store) -> None:
    reader = client_token(gateway, store, "registry:read", "funding:admin")
    assert_problem(gateway.get("/v1/api-keys", headers=bearer(reader)), 403)
    assert_problem(
        gateway.post("/v1/api-keys", json={"village_code": VILLAGE_A, "name": "x"}, headers=bearer(reader)),
        403,
    )
    assert_problem(gateway.delete("/v1/api-keys/abc", headers=bearer(reader)), 403)
    _, key = village_key(store)
    assert_problem(gateway.get("/v1/api-keys", headers=bearer(key)), 403)
    assert_problem(gateway.get("/v1/api-keys"), 401)
    # Internal principals reach every village, limited by scope in the services.
    seen = gateway.get(f"/v1/workers/in/{VILLAGE_B}", headers=bearer(reader))
    assert seen.status_code == 200


def test_direct_call_to_a_service_port_without_principal_is_refused(
    service_client: Callable[..., TestClient],
) -> None:
    registry = service_client("registry")
    assert_problem(registry.get("/v1/areas/33.75"), 401)
    wrong_secret = encode_principal(Principal(kind=PrincipalKind.anonymous, subject="a"), "x" * 40)
    assert_problem(registry.get("/v1/areas/33.75", headers={PRINCIPAL_HEADER: wrong_secret}), 401)
    # A client's bearer credential means nothing to a service: only the gateway's principal counts.
    assert_problem(registry.get("/v1/areas/33.75", headers=bearer("sk_vil_anything")), 401)
