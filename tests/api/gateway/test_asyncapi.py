"""The partner event catalogue at ``GET /asyncapi.json``: an AsyncAPI 3 document listing every event a
webhook endpoint may subscribe to, each with the schema of its data (the models the payloads use)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

from services.common.partner_events import DATA_MODELS, PartnerEventType
from services.webhooks.schemas import WebhookEndpointIn


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def test_every_partner_event_is_listed_with_its_schema(gateway: TestClient) -> None:
    response = gateway.get("/asyncapi.json")  # public, like /openapi.json
    assert response.status_code == 200
    document = response.json()
    assert document["asyncapi"].startswith("3.")
    messages = document["components"]["messages"]
    schemas = document["components"]["schemas"]
    listed = {message["name"] for message in messages.values()}
    subscribable = set(WebhookEndpointIn.model_json_schema()["$defs"]["PartnerEventType"]["enum"])
    assert listed == {t.value for t in PartnerEventType} == subscribable
    assert len(listed) == 10
    for message in messages.values():
        payload = message["payload"]
        assert set(payload["required"]) == {"id", "type", "occurred_at", "source", "village_code", "data"}
        model_name = payload["properties"]["data"]["$ref"].rsplit("/", 1)[-1]
        assert model_name == DATA_MODELS[PartnerEventType(message["name"])].__name__
        assert schemas[model_name]["type"] == "object" and schemas[model_name]["properties"]
    # Every reference resolves inside the document.
    for reference in _references(document):
        node: Any = document
        for part in reference.removeprefix("#/").split("/"):
            assert part in node, f"unresolved {reference}"
            node = node[part]
    payment = schemas["PaymentReceivedData"]["properties"]
    assert {"invoice_id", "amount_idr", "reference", "workers"} <= set(payment)
    operations = document["operations"]
    assert {op["channel"]["$ref"] for op in operations.values()} == {
        f"#/channels/{key}" for key in document["channels"]
    }
