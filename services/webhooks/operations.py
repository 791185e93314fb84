"""The webhooks service's operations as the public OpenAPI document names them, and who may call each
(the rules live in ``access.py`` and the domain modules; this table documents them)."""

from __future__ import annotations

from services.common.openapi import VILLAGE, OperationKey, OperationTable, internal

# A village key manages its own village's endpoints; an internal client with webhooks:admin any of them.
MANAGERS = (VILLAGE, *internal("webhooks:admin"))

OPERATION_IDS: dict[OperationKey, str] = {
    ("POST", "/v1/webhook-endpoints"): "webhook_endpoints_create",
    ("GET", "/v1/webhook-endpoints"): "webhook_endpoints_list",
    ("GET", "/v1/webhook-endpoints/{endpoint_id}"): "webhook_endpoints_get",
    ("PATCH", "/v1/webhook-endpoints/{endpoint_id}"): "webhook_endpoints_update",
    ("DELETE", "/v1/webhook-endpoints/{endpoint_id}"): "webhook_endpoints_delete",
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret"): "webhook_endpoints_rotate_secret",
    ("GET", "/v1/webhook-endpoints/{endpoint_id}/deliveries"): "webhook_deliveries_list",
    (
        "POST",
        "/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/replay",
    ): "webhook_deliveries_replay",
}

SECURITY: dict[OperationKey, tuple[str, ...]] = {key: MANAGERS for key in OPERATION_IDS}

OPERATIONS = OperationTable(ids=OPERATION_IDS, security=SECURITY)
