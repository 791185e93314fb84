"""Client text at the gateway: control characters in key names, filters, ids and token form fields are
a 422 naming the field (never a 500 on PostgreSQL); key names are stored normalised."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway import credentials
from tests.api.gateway.conftest import VILLAGE_A, Store, bearer, client_token
from tests.api.gateway.test_tenancy import assert_problem


def assert_refused(response: Any, field: str, reason: str = "control characters") -> None:
    body = assert_problem(response, 422)
    errors: list[dict[str, str]] = body["errors"]  # type: ignore[assignment]
    assert any(e["field"] == field and reason in e["reason"] for e in errors), errors


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"village_code": VILLAGE_A, "name": "OpenSID\x00 Wuled"}, "name"),
        ({"village_code": VILLAGE_A, "name": "OpenSID\x85 Wuled"}, "name"),
        ({"village_code": VILLAGE_A + "\x00", "name": "OpenSID"}, "village_code"),
    ],
)
def test_control_characters_in_key_fields_are_422(
    gateway: TestClient, store: Store, body: dict[str, str], field: str
) -> None:
    admin = client_token(gateway, store, "keys:admin")
    assert_refused(gateway.post("/v1/api-keys", json=body, headers=bearer(admin)), field)
    assert gateway.get("/v1/api-keys", headers=bearer(admin)).json()["items"] == []


def test_key_name_is_stored_normalised_and_measured_so(gateway: TestClient, store: Store) -> None:
    admin = client_token(gateway, store, "keys:admin")
    created = gateway.post(
        "/v1/api-keys",
        json={"village_code": VILLAGE_A, "name": "  Sistem Informasi Desa Wule\u0301d  "},
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Sistem Informasi Desa Wul\u00e9d"
    # 200 characters once composed fits the column; 201 does not.
    fits = gateway.post(
        "/v1/api-keys", json={"village_code": VILLAGE_A, "name": "e\u0301" * 200}, headers=bearer(admin)
    )
    assert fits.status_code == 201, fits.text
    too_long = gateway.post(
        "/v1/api-keys", json={"village_code": VILLAGE_A, "name": "e\u0301" * 201}, headers=bearer(admin)
    )
    assert_refused(too_long, "name", "at most 200 characters")


def test_control_characters_in_query_parameters_are_422(gateway: TestClient, store: Store) -> None:
    admin = client_token(gateway, store, "keys:admin")
    response = gateway.get(
        "/v1/api-keys", params={"village_code": "33.26.15.2001\x00"}, headers=bearer(admin)
    )
    assert_refused(response, "village_code")


@pytest.mark.parametrize("path", ["/v1/api-keys/key%00id", "/v1/internal-clients/cli%00x"])
def test_a_nul_in_a_path_parameter_is_refused_before_routing(
    gateway: TestClient, store: Store, path: str
) -> None:
    # The path guard answers first (400); the parameters' own text rule would give 422 behind it.
    admin = client_token(gateway, store, "keys:admin")
    body = assert_problem(gateway.delete(path, headers=bearer(admin)), 400)
    assert "NUL" in str(body["detail"])


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (
            {"grant_type": "client_credentials", "client_id": "cli_\x00x", "client_secret": "cs_x"},
            "client_id",
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_id": "cli_x",
                "client_secret": "cs",
                "scope": "a\x00",
            },
            "scope",
        ),
        ({"grant_type": "password", "username": "8501\x001234", "password": "secret-pass"}, "username"),
        ({"grant_type": "pass\x00word"}, "grant_type"),
    ],
)
def test_control_characters_in_token_form_fields_are_422(
    gateway: TestClient, form: dict[str, str], field: str
) -> None:
    assert_refused(gateway.post("/v1/auth/token", data=form), field)


def test_control_characters_in_a_basic_client_id_are_an_invalid_client(
    gateway: TestClient, store: Store
) -> None:
    issued = store(lambda s: credentials.create_client(s, "test client", ["reports:read"]))
    for client_id in (f"{issued.client_id}\x00", f"{issued.client_id}%00"):
        basic = base64.b64encode(f"{client_id}:{issued.client_secret}".encode()).decode()
        response = gateway.post(
            "/v1/auth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert assert_problem(response, 401)["error"] == "invalid_client"
