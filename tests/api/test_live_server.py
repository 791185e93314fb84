"""The live-server helper serves a real app over TCP (used by concurrency and gateway tests)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support import anonymous_headers, create_component_app, live_server


def test_live_server_serves_the_registry(database_url: Callable[[str], str]) -> None:
    with live_server(create_component_app("registry", database_url("registry"))) as base:
        response = httpx.get(f"{base}/v1/areas/33.75", headers=anonymous_headers())
        assert response.status_code == 200
        assert response.json()["name"] == "Kota Pekalongan"
        assert response.headers["x-request-id"]
