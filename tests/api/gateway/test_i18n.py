"""The gateway's own problems (authentication, rate limits, proxy errors) in Bahasa Indonesia by
default and in English on request."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from gateway import routing
from tests.api.gateway.conftest import Store, bearer, village_key
from tests.i18n_support import ENGLISH, assert_no_english, default_language


def test_authentication_failures_in_both_languages(gateway: TestClient) -> None:
    client = default_language(gateway)
    unknown = bearer("sk_vil_unknown")
    indonesian = client.get("/v1/workers", headers=unknown)
    english = client.get("/v1/workers", headers={**unknown, **ENGLISH})
    assert indonesian.status_code == english.status_code == 401
    assert indonesian.json()["title"] == "Autentikasi diperlukan"
    assert indonesian.json()["detail"] == "kunci API tidak dikenal atau telah dicabut"
    assert indonesian.headers["content-language"] == "id"
    assert english.json()["title"] == "Authentication required"
    assert english.json()["detail"] == "unknown or revoked API key"
    assert english.headers["content-language"] == "en"

    anonymous = client.get("/v1/workers")
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"] == "autentikasi diperlukan: kirim Authorization: Bearer …"

    wrong = client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
    )
    assert wrong.status_code == 401
    assert (
        wrong.json()["detail"] == wrong.json()["error_description"] == "klien tidak dikenal atau secret salah"
    )
    assert wrong.json()["error"] == "invalid_client"  # the RFC 6749 code itself is never translated


def test_rate_limit_in_both_languages(gateway_factory: Callable[..., TestClient]) -> None:
    client = default_language(gateway_factory(rate_limit_anonymous="1/hour"))
    assert client.get("/v1/areas/33").status_code == 200
    indonesian = client.get("/v1/areas/33")
    english = client.get("/v1/areas/33", headers=ENGLISH)
    assert indonesian.status_code == english.status_code == 429
    assert indonesian.json()["title"] == "Terlalu banyak permintaan"
    assert indonesian.json()["detail"] == "lebih dari 1 permintaan dalam 3600 detik untuk kredensial ini"
    assert english.json()["detail"] == "more than 1 requests in 3600 s for this credential"


def test_proxy_errors_in_both_languages(gateway_factory: Callable[..., TestClient], store: Store) -> None:
    _, key = village_key(store)
    slow = default_language(gateway_factory(read_timeout_seconds=0.3, max_body_bytes=1000))
    routing.ROUTES.setdefault("slow", "registry")
    try:
        timed_out = slow.get("/v1/slow", headers=bearer(key))
    finally:
        routing.ROUTES.pop("slow", None)
    assert timed_out.status_code == 504
    assert timed_out.json()["detail"] == "layanan registry tidak menjawab dalam 0.3 detik"
    too_large = slow.post("/v1/workers", content=b"x" * 1001, headers=bearer(key))
    assert too_large.status_code == 413
    assert too_large.json()["detail"] == "isi permintaan melebihi 1000 byte"
    english = slow.post("/v1/workers", content=b"x" * 1001, headers={**bearer(key), **ENGLISH})
    assert english.json()["detail"] == "request body exceeds 1000 bytes"

    down = default_language(gateway_factory(registry_url="http://127.0.0.1:9", connect_timeout_seconds=0.5))
    unavailable = down.get("/v1/workers", headers=bearer(key))
    assert unavailable.status_code == 503
    assert unavailable.json()["title"] == "Layanan tidak tersedia"
    assert unavailable.json()["detail"] == "layanan registry tidak tersedia"
    assert down.get("/v1/workers", headers={**bearer(key), **ENGLISH}).json()["detail"] == (
        "the registry service is unavailable"
    )


def test_gateway_refusals_carry_no_english_by_default(gateway: TestClient, store: Store) -> None:
    client = default_language(gateway)
    refusals = [
        client.get("/v1/workers", headers={"Authorization": "Basic abc"}),
        client.get("/v1/workers", headers=bearer("eyJhbGciOiJIUzI1NiJ9.e30.x")),
        client.get("/v1/nothing-here"),
        client.get("/problems/no-such-problem"),
        client.post("/v1/auth/token", data={"grant_type": "password"}),
        client.post("/v1/auth/token", data={"grant_type": "magic"}),
        client.post("/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": "nope"}),
        client.get("/v1/%2e%2e/etc/passwd"),
    ]
    for response in refusals:
        assert response.status_code >= 400, response.text
        assert response.headers["content-language"] == "id"
        assert_no_english(response.json())
