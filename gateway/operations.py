"""The gateway's own operations as the public OpenAPI document names them, and who may call each."""

from __future__ import annotations

from services.common.openapi import NOBODY, OperationKey, OperationTable, internal

KEYS_ADMIN = internal("keys:admin")

OPERATION_IDS: dict[OperationKey, str] = {
    ("POST", "/v1/auth/token"): "auth_token_create",
    ("POST", "/v1/api-keys"): "api_keys_create",
    ("GET", "/v1/api-keys"): "api_keys_list",
    ("DELETE", "/v1/api-keys/{key_id}"): "api_keys_revoke",
    ("DELETE", "/v1/internal-clients/{client_id}"): "internal_clients_revoke",
}

SECURITY: dict[OperationKey, tuple[str, ...]] = {
    ("POST", "/v1/auth/token"): NOBODY,  # the credentials are in the form
    ("POST", "/v1/api-keys"): KEYS_ADMIN,
    ("GET", "/v1/api-keys"): KEYS_ADMIN,
    ("DELETE", "/v1/api-keys/{key_id}"): KEYS_ADMIN,
    ("DELETE", "/v1/internal-clients/{client_id}"): KEYS_ADMIN,
}

OPERATIONS = OperationTable(
    ids=OPERATION_IDS,
    security=SECURITY,
    body_schema_names={("POST", "/v1/auth/token"): "TokenRequest"},
)
