"""/v1/api-keys for internal clients with keys:admin; rate limits; proxy hardening."""

from __future__ import annotations

import base64
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.api.gateway.conftest import VILLAGE_A, VILLAGE_B, Store, bearer, client_token, village_key
from tests.api.gateway.test_tenancy import assert_problem


def test_create_use_list_revoke(gateway: TestClient, store: Store) -> None:
    admin = client_token(gateway, store, "keys:admin")
    created = gateway.post(
        "/v1/api-keys", json={"village_code": VILLAGE_A, "name": "OpenSID Wuled"}, headers=bearer(admin)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith("sk_vil_")
    assert body["village_code"] == VILLAGE_A
    assert body["last_used_at"] is None
    seen = gateway.get("/v1/workers", headers=bearer(body["key"])).json()["principal"]
    assert seen["subject"] == body["id"]

    other = gateway.post(
        "/v1/api-keys", json={"village_code": VILLAGE_B, "name": "Ngalian"}, headers=bearer(admin)
    )
    listed = gateway.get("/v1/api-keys", params={"limit": 1}, headers=bearer(admin)).json()
    assert len(listed["items"]) == 1
    assert "key" not in listed["items"][0]
    rest = gateway.get("/v1/api-keys", params={"cursor": listed["next_cursor"]}, headers=bearer(admin)).json()
    assert {listed["items"][0]["id"], rest["items"][0]["id"]} == {body["id"], other.json()["id"]}
    only_a = gateway.get("/v1/api-keys", params={"village_code": VILLAGE_A}, headers=bearer(admin)).json()[
        "items"
    ]
    assert [item["id"] for item in only_a] == [body["id"]]
    assert only_a[0]["last_used_at"] is not None

    assert gateway.delete(f"/v1/api-keys/{body['id']}", headers=bearer(admin)).status_code == 204
    assert gateway.delete(f"/v1/api-keys/{body['id']}", headers=bearer(admin)).status_code == 204
    assert_problem(gateway.delete("/v1/api-keys/unknown", headers=bearer(admin)), 404)
    assert_problem(gateway.get("/v1/workers", headers=bearer(body["key"])), 401)


def test_only_real_villages_get_keys(gateway: TestClient, store: Store) -> None:
    admin = client_token(gateway, store, "keys:admin")
    for code in ("33.26.15", "33.26.15.9999", "33", "nonsense"):
        response = gateway.post(
            "/v1/api-keys", json={"village_code": code, "name": "x"}, headers=bearer(admin)
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["field"] == "village_code"  # type: ignore[index]
    assert_problem(
        gateway.post("/v1/api-keys", json={"village_code": VILLAGE_A, "name": ""}, headers=bearer(admin)), 422
    )


def test_sixty_first_request_in_a_minute_is_429(
    gateway_factory: Callable[..., TestClient], store: Store
) -> None:
    gateway = gateway_factory(rate_limit_village="60/minute")
    _, key = village_key(store)
    _, other_key = village_key(store, VILLAGE_B)
    statuses = [gateway.get("/v1/workers", headers=bearer(key)).status_code for _ in range(60)]
    limited = gateway.get("/v1/workers", headers=bearer(key))
    # A 60-request window may straddle a minute boundary; then the count restarts and one more passes.
    if limited.status_code == 200:
        statuses = [gateway.get("/v1/workers", headers=bearer(key)).status_code for _ in range(60)]
        limited = gateway.get("/v1/workers", headers=bearer(key))
    assert statuses == [200] * 60
    assert_problem(limited, 429)
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Limits are per credential: another village is unaffected.
    assert gateway.get("/v1/workers", headers=bearer(other_key)).status_code == 200


def test_hop_by_hop_headers_do_not_cross(gateway: TestClient, store: Store) -> None:
    _, key = village_key(store)
    response = gateway.get(
        "/v1/workers",
        headers={
            **bearer(key),
            "Connection": "keep-alive, X-Client-Hop",
            "X-Client-Hop": "1",
            "Proxy-Authorization": "Basic abc",
            "TE": "trailers",
            "Cookie": "session=1",
            "X-Kept": "yes",
        },
    )
    received = {name.lower() for name in response.json()["headers"]}
    assert "x-kept" in received
    for name in ("x-client-hop", "proxy-authorization", "te", "cookie", "authorization"):
        assert name not in received, name
    assert response.headers["x-upstream-kept"] == "yes"
    assert "x-upstream-hop" not in response.headers


def test_upstream_timeout_unavailable_and_body_limit(
    gateway_factory: Callable[..., TestClient], store: Store
) -> None:
    _, key = village_key(store)
    slow = gateway_factory(read_timeout_seconds=0.3, max_body_bytes=1000)
    from gateway import routing

    routing.ROUTES.setdefault("slow", "registry")
    try:
        assert_problem(slow.get("/v1/slow", headers=bearer(key)), 504)
    finally:
        routing.ROUTES.pop("slow", None)
    assert_problem(slow.post("/v1/workers", content=b"x" * 1001, headers=bearer(key)), 413)
    down = gateway_factory(registry_url="http://127.0.0.1:9", connect_timeout_seconds=0.5)
    response = down.get("/v1/workers", headers=bearer(key))
    assert_problem(response, 503)
    assert response.headers["retry-after"]


def test_real_registry_behind_the_gateway(
    gateway_factory: Callable[..., TestClient], database_url: Callable[[str], str], store: Store
) -> None:
    from tests.support import create_component_app, live_server

    _, key = village_key(store)
    with live_server(create_component_app("registry", database_url("registry"))) as registry:
        gateway = gateway_factory(registry_url=registry)
        with_key = gateway.get("/v1/areas/33.75", headers=bearer(key))
        assert with_key.status_code == 200
        assert with_key.json()["name"] == "Kota Pekalongan"
        assert gateway.get("/v1/areas/33.75").status_code == 200
        assert_problem(gateway.get("/v1/areas/33.75", headers=bearer(key + "x")), 401)
        assert_problem(gateway.get("/v1/workers"), 401)


def test_redis_backed_limit_through_the_gateway(
    gateway_factory: Callable[..., TestClient], store: Store
) -> None:
    import uuid

    import pytest
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"sasar-test:{uuid.uuid4().hex}:"
    gateway = gateway_factory(redis_url=url, redis_prefix=prefix, rate_limit_village="5/hour")
    _, key = village_key(store)
    statuses = [gateway.get("/v1/workers", headers=bearer(key)).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}*"))
    kinds = sorted(key.decode()[len(prefix) :].split(":")[0] for key in keys)
    assert kinds == ["village"]  # a valid key's lookup counts nothing; six requests on one counter
    client.delete(*keys)


def test_merged_openapi_declares_how_to_authenticate(gateway: TestClient) -> None:
    document = gateway.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == {"villageApiKey", "officerLogin", "internalClient"}
    assert set(schemes["officerLogin"]["flows"]) == {"password"}
    assert set(schemes["internalClient"]["flows"]) == {"clientCredentials"}
    paths = document["paths"]
    token = paths["/v1/auth/token"]["post"]
    assert token["security"] == []
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    for method in ("get", "post"):
        assert paths["/v1/api-keys"][method]["security"] == [{"internalClient": ["keys:admin"]}]
    assert paths["/v1/api-keys/{key_id}"]["delete"]["security"] == [{"internalClient": ["keys:admin"]}]
    # The fake upstream documents no security: its routed operation gets the default requirement.
    assert paths["/v1/workers/in/{village}"]["get"]["security"] == [
        {"villageApiKey": []},
        {"officerLogin": []},
        {"internalClient": []},
    ]
    assert "429" in paths["/v1/workers/in/{village}"]["get"]["responses"]


def test_anonymous_callers_are_limited_per_address(
    gateway_factory: Callable[..., TestClient], store: Store
) -> None:
    gateway = gateway_factory(rate_limit_anonymous="2/hour")
    assert [gateway.get("/v1/areas/33").status_code for _ in range(2)] == [200, 200]
    limited = gateway.get("/v1/areas/33")
    assert_problem(limited, 429)
    assert int(limited.headers["retry-after"]) <= 3600
    # A credential has its own budget.
    _, key = village_key(store)
    assert gateway.get("/v1/areas/33", headers=bearer(key)).status_code == 200


def test_guessing_keys_is_throttled_per_address(
    gateway_factory: Callable[..., TestClient], store: Store
) -> None:
    gateway = gateway_factory(rate_limit_key_lookup="3/hour")
    _, key = village_key(store)
    assert gateway.get("/v1/workers", headers=bearer(key)).status_code == 200  # one lookup, then cached
    for _ in range(5):
        assert gateway.get("/v1/workers", headers=bearer(key)).status_code == 200
    for guess in ("sk_vil_guess-number-one-xxxxxxxxxx", "sk_vil_guess-number-two-xxxxxxxxxx", "sk_vil_3"):
        assert_problem(gateway.get("/v1/workers", headers=bearer(guess)), 401)
    limited = gateway.get("/v1/workers", headers=bearer("sk_vil_guess-number-four-xxxxxxxxx"))
    assert_problem(limited, 429)
    assert limited.headers["retry-after"]
    assert gateway.get("/v1/workers", headers=bearer(key)).status_code == 200  # cached keys still work


def test_many_valid_keys_from_one_address_are_never_refused(
    gateway_factory: Callable[..., TestClient], store: Store
) -> None:
    # No cache: every request is a database lookup, as for an address serving many villages.
    gateway = gateway_factory(rate_limit_key_lookup="3/hour", api_key_cache_seconds=0)
    keys = [village_key(store)[1] for _ in range(12)]
    for _ in range(2):
        for key in keys:
            assert gateway.get("/v1/workers", headers=bearer(key)).status_code == 200


def test_tampered_cursor_on_the_key_list_is_a_422_problem(gateway: TestClient, store: Store) -> None:
    admin = client_token(gateway, store, "keys:admin")
    for raw in (b'[{"a":1}]', b"[true]", b"[null]", b"[" + str(10**30).encode() + b"]", b"[1]", b"junk"):
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = gateway.get("/v1/api-keys", params={"cursor": cursor}, headers=bearer(admin))
        assert response.status_code == 422, (raw, response.text)
        assert [error["field"] for error in response.json()["errors"]] == ["cursor"]
