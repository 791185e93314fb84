"""Webhook endpoints through the webhooks API: subscribe, read, change, rotate, delete; who may."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.webhooks.conftest import (
    ADMIN,
    OTHER_KEY,
    OTHER_VILLAGE,
    VILLAGE,
    VILLAGE_KEY,
    create_endpoint,
)
from tests.support import anonymous_headers, internal_headers, officer_headers

pytestmark = pytest.mark.usefixtures("backend")


def test_a_village_subscribes_and_sees_the_secret_once(webhooks: TestClient) -> None:
    created = create_endpoint(webhooks, VILLAGE_KEY, event_types=("payment.received", "invoice.issued"))
    assert created["village_code"] == VILLAGE  # forced to the key's own village
    assert created["status"] == "active"
    assert created["event_types"] == ["invoice.issued", "payment.received"]
    assert created["secret"].startswith("whsec_")
    read = webhooks.get(f"/v1/webhook-endpoints/{created['id']}", headers=VILLAGE_KEY)
    assert read.status_code == 200
    assert "secret" not in read.json()
    listed = webhooks.get("/v1/webhook-endpoints", headers=VILLAGE_KEY).json()
    assert [e["id"] for e in listed["items"]] == [created["id"]]
    assert "secret" not in listed["items"][0]


def test_unknown_event_types_and_bad_urls_are_refused(webhooks: TestClient) -> None:
    unknown = webhooks.post(
        "/v1/webhook-endpoints",
        json={"url": "http://127.0.0.1:9/h", "event_types": ["lead.converted"]},
        headers=VILLAGE_KEY,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"].startswith("event_types")
    scheme = webhooks.post(
        "/v1/webhook-endpoints", json={"url": "ftp://127.0.0.1/h", "event_types": ["payment.received"]},
        headers=VILLAGE_KEY,
    )  # fmt: skip
    assert scheme.status_code == 422 and scheme.json()["errors"][0]["field"] == "url"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2:8080/hook",  # loopback outside the allow-list
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/",
        "http://10.0.0.8/hook",
        "http://192.168.0.10/hook",
        "http://100.100.1.1/hook",
        "http://[::1]/hook",
    ],
)
def test_internal_targets_are_refused_on_create_and_update(webhooks: TestClient, url: str) -> None:
    response = webhooks.post(
        "/v1/webhook-endpoints", json={"url": url, "event_types": ["payment.received"]}, headers=VILLAGE_KEY
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "url"
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    patched = webhooks.patch(
        f"/v1/webhook-endpoints/{endpoint['id']}", json={"url": url}, headers=VILLAGE_KEY
    )
    assert patched.status_code == 422 and patched.json()["errors"][0]["field"] == "url"


def test_loopback_is_refused_without_the_allow_list(service_client: object) -> None:
    client = service_client("webhooks")  # type: ignore[operator]
    response = client.post(
        "/v1/webhook-endpoints",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["payment.received"]},
        headers=VILLAGE_KEY,
    )
    assert response.status_code == 422
    assert "loopback" in response.json()["errors"][0]["reason"]


def test_patch_changes_url_types_and_enabled(webhooks: TestClient) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    changed = webhooks.patch(
        path, json={"url": "http://127.0.0.1:10/new", "event_types": ["coverage.lapsed"]}, headers=VILLAGE_KEY
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["url"], changed.json()["event_types"]) == (
        "http://127.0.0.1:10/new",
        ["coverage.lapsed"],
    )
    disabled = webhooks.patch(path, json={"enabled": False}, headers=VILLAGE_KEY).json()
    assert (disabled["status"], disabled["disabled_reason"]) == ("disabled", "disabled by its owner")
    enabled = webhooks.patch(path, json={"enabled": True}, headers=VILLAGE_KEY).json()
    assert (enabled["status"], enabled["disabled_reason"]) == ("active", None)


def test_rotation_gives_a_new_secret_and_keeps_the_old_one_for_a_day(webhooks: TestClient) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    rotated = webhooks.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=VILLAGE_KEY)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != endpoint["secret"]
    assert rotated.json()["previous_secret_expires_at"] > endpoint["created_at"]


def test_delete_removes_the_endpoint(webhooks: TestClient) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    assert webhooks.delete(f"/v1/webhook-endpoints/{endpoint['id']}", headers=VILLAGE_KEY).status_code == 204
    assert webhooks.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=VILLAGE_KEY).status_code == 404


# --- tenancy: every rule tried across -------------------------------------------------------------


def test_a_village_key_cannot_subscribe_to_another_village(webhooks: TestClient) -> None:
    response = webhooks.post(
        "/v1/webhook-endpoints",
        json={
            "url": "http://127.0.0.1:9/h",
            "event_types": ["payment.received"],
            "village_code": OTHER_VILLAGE,
        },
        headers=VILLAGE_KEY,
    )
    assert response.status_code == 403
    assert webhooks.get("/v1/webhook-endpoints", headers=ADMIN).json()["items"] == []


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"enabled": False}),
        ("delete", "", None),
        ("post", "/rotate-secret", None),
        ("get", "/deliveries", None),
        ("post", "/deliveries/1/replay", None),
    ],
)
def test_another_villages_endpoint_is_not_found(
    webhooks: TestClient, method: str, suffix: str, body: dict[str, object] | None
) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    path = f"/v1/webhook-endpoints/{endpoint['id']}{suffix}"
    kwargs = {"json": body} if body is not None else {}
    response = webhooks.request(method.upper(), path, headers=OTHER_KEY, **kwargs)
    assert response.status_code == 404, response.text
    assert webhooks.get("/v1/webhook-endpoints", headers=OTHER_KEY).json()["items"] == []
    still = webhooks.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=VILLAGE_KEY).json()
    assert still["status"] == "active"


def test_an_admin_subscribes_any_village_or_all_and_the_village_does_not_see_it(webhooks: TestClient) -> None:
    for_village = create_endpoint(webhooks, ADMIN, village_code=VILLAGE)
    for_all = create_endpoint(webhooks, ADMIN)
    assert (for_village["village_code"], for_all["village_code"]) == (VILLAGE, None)
    listed = webhooks.get("/v1/webhook-endpoints", headers=ADMIN).json()["items"]
    assert {e["id"] for e in listed} == {for_village["id"], for_all["id"]}
    # The agency's endpoint for the village is the agency's: the village key neither lists nor touches it.
    assert webhooks.get("/v1/webhook-endpoints", headers=VILLAGE_KEY).json()["items"] == []
    assert (
        webhooks.delete(f"/v1/webhook-endpoints/{for_village['id']}", headers=VILLAGE_KEY).status_code == 404
    )
    # And the admin manages the village's own endpoints too.
    own = create_endpoint(webhooks, VILLAGE_KEY)
    assert webhooks.get(f"/v1/webhook-endpoints/{own['id']}", headers=ADMIN).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        officer_headers("12", [VILLAGE]),
        internal_headers(["funding:admin", "registry:write", "reports:read"]),
    ],
    ids=["officer", "internal-without-webhooks-admin"],
)
def test_officers_and_clients_without_the_scope_are_forbidden(
    webhooks: TestClient, headers: dict[str, str]
) -> None:
    endpoint = create_endpoint(webhooks, VILLAGE_KEY)
    body = {"url": "http://127.0.0.1:9/h", "event_types": ["payment.received"], "village_code": VILLAGE}
    assert webhooks.post("/v1/webhook-endpoints", json=body, headers=headers).status_code == 403
    assert webhooks.get("/v1/webhook-endpoints", headers=headers).status_code == 403
    assert webhooks.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=headers).status_code == 403


def test_without_credentials_nothing_is_answered(webhooks: TestClient) -> None:
    assert webhooks.get("/v1/webhook-endpoints").status_code == 401
    assert webhooks.get("/v1/webhook-endpoints", headers=anonymous_headers()).status_code == 401
