"""Webhooks answers problems in Bahasa Indonesia by default and in English on request."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.webhooks.conftest import VILLAGE_KEY
from tests.i18n_support import ENGLISH, assert_no_english, default_language


def test_unsafe_target_and_unknown_endpoint_in_both_languages(webhooks: TestClient) -> None:
    client = default_language(webhooks)
    body = {"url": "ftp://127.0.0.1/h", "event_types": ["payment.received"]}
    indonesian = client.post("/v1/webhook-endpoints", json=body, headers=VILLAGE_KEY)
    english = client.post("/v1/webhook-endpoints", json=body, headers={**VILLAGE_KEY, **ENGLISH})
    assert indonesian.status_code == english.status_code == 422
    assert indonesian.json()["errors"] == [{"field": "url", "reason": "harus berupa URL http atau https"}]
    assert english.json()["errors"] == [{"field": "url", "reason": "must be an http or https URL"}]

    missing = client.get("/v1/webhook-endpoints/we_nothing", headers=VILLAGE_KEY)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "endpoint webhook we_nothing tidak ditemukan"
    english_missing = client.get("/v1/webhook-endpoints/we_nothing", headers={**VILLAGE_KEY, **ENGLISH})
    assert english_missing.json()["detail"] == "webhook endpoint we_nothing not found"
    assert english_missing.headers["content-language"] == "en"


def test_webhook_refusals_carry_no_english_by_default(webhooks: TestClient) -> None:
    client = default_language(webhooks)
    refusals = [
        client.post("/v1/webhook-endpoints", json={"url": "http://user:pw@127.0.0.1/h"}, headers=VILLAGE_KEY),
        client.post(
            "/v1/webhook-endpoints",
            json={"url": "http://127.0.0.1/h", "event_types": ["payment.sent"]},
            headers=VILLAGE_KEY,
        ),
        client.post("/v1/webhook-endpoints", json={"url": "https://"}, headers=VILLAGE_KEY),
        client.post("/v1/webhook-endpoints", json=[], headers=VILLAGE_KEY),
        client.get("/v1/webhook-endpoints/we_nothing/deliveries", headers=VILLAGE_KEY),
        client.get("/v1/webhook-endpoints", params={"limit": 100000}, headers=VILLAGE_KEY),
    ]
    for response in refusals:
        assert response.status_code >= 400, response.text
        assert response.headers["content-language"] == "id"
        assert_no_english(response.json())
