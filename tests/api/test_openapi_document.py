"""The public OpenAPI document as integrators generate clients from it, and the docs that render it offline.

The merged document is built from the real services' documents (in process), as the gateway merges them.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.openapi import merge_documents
from services.common.errors import _SLUG_BY_STATUS, ProblemError
from services.common.openapi import (
    HEALTH_OPERATIONS,
    OPERATION_ID_PATTERN,
    SCHEMA_NAME_PATTERN,
    OperationTable,
    operations,
)
from services.common.problems import CATALOGUE
from tests.support import client_for, create_component_app

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "funding", "outreach", "webhooks")
UNUSED_DB = "sqlite:///var/unused-openapi.db"  # no request is served: the database is never opened


def _tables() -> dict[str, OperationTable]:
    return {
        name: importlib.import_module(module).OPERATIONS
        for name, module in {
            "registry": "services.registry.operations",
            "funding": "services.funding.operations",
            "outreach": "services.outreach.operations",
            "webhooks": "services.webhooks.operations",
            "gateway": "gateway.operations",
        }.items()
    }


def _documents() -> dict[str, dict[str, Any]]:
    documents = {}
    for component in (*SERVICES, "gateway"):
        overrides = {"outreach_url": "http://127.0.0.1:9"} if component == "registry" else {}
        documents[component] = create_component_app(component, UNUSED_DB, **overrides).openapi()
    return documents


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return _documents()


@pytest.fixture(scope="module")
def merged(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return merge_documents(documents["gateway"], {name: documents[name] for name in SERVICES})


def test_every_operation_has_a_hand_chosen_id_and_security(documents: dict[str, dict[str, Any]]) -> None:
    tables = _tables()
    health = set(HEALTH_OPERATIONS.ids)
    for component, document in documents.items():
        table = tables[component]
        found = {key for key, _ in operations(document)}
        assert found - health == set(table.ids), component  # no operation left out, no stale entry
        assert set(table.security) == set(table.ids), component
        chosen = {**HEALTH_OPERATIONS.ids, **table.ids}
        for key, operation in operations(document):
            assert operation["operationId"] == chosen[key], (component, key)
            assert OPERATION_ID_PATTERN.fullmatch(operation["operationId"]), (component, key)
            assert "security" in operation, (component, key)


def test_merged_operation_ids_are_unique_and_stable(merged: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, operation in operations(merged)]
    assert len(ids) == len(set(ids))
    assert all(OPERATION_ID_PATTERN.fullmatch(i) for i in ids)
    by_key = {key: operation["operationId"] for key, operation in operations(merged)}
    assert by_key[("POST", "/v1/workers")] == "workers_create"
    assert by_key[("GET", "/v1/workers")] == "workers_list"
    assert by_key[("GET", "/v1/workers/{worker_id}")] == "workers_get"
    assert by_key[("GET", "/v1/invoices")] == "invoices_list"
    assert by_key[("POST", "/v1/payments")] == "payments_create"
    assert by_key[("POST", "/v1/auth/token")] == "auth_token_create"


def test_schema_names_are_clean(merged: dict[str, Any]) -> None:
    schemas = merged["components"]["schemas"]
    bad = [name for name in schemas if not SCHEMA_NAME_PATTERN.fullmatch(name)]
    assert bad == []
    assert {"WorkerPage", "InvoicePage", "TokenRequest", "WorkerImportUpload"} <= set(schemas)
    text = repr(merged)
    assert "Page_" not in text and "Body_" not in text
    for ref in re.findall(r"#/components/schemas/([^'\"]+)", text):
        assert ref in schemas, ref


def test_statuses_are_enums(merged: dict[str, Any]) -> None:
    schemas = merged["components"]["schemas"]

    def enum_of(schema: str, field: str) -> list[str]:
        prop = schemas[schema]["properties"][field]
        for candidate in (prop, *prop.get("anyOf", []), *prop.get("allOf", [])):
            if "$ref" in candidate:
                return list(schemas[candidate["$ref"].rsplit("/", 1)[-1]]["enum"])
            if "enum" in candidate:
                return list(candidate["enum"])
        raise AssertionError(f"{schema}.{field} is not an enum: {prop}")

    assert "active" in enum_of("WorkerOut", "status")
    assert "paid" in enum_of("InvoiceOut", "status")
    assert "cancelled" in enum_of("OutreachSessionOut", "status")
    assert "converted" in enum_of("LeadOut", "status")
    assert "succeeded" in enum_of("JobOut", "status")
    assert "active" in enum_of("FundingAgreementOut", "status")


def test_idempotency_key_required_only_where_the_server_requires_it(merged: dict[str, Any]) -> None:
    required = {}
    for key, operation in operations(merged):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header" and parameter["name"] == "Idempotency-Key":
                required[key] = parameter["required"]
    assert required[("POST", "/v1/payments")] is True
    assert required[("POST", "/v1/workers")] is False
    assert [key for key, value in required.items() if value] == [("POST", "/v1/payments")]


def test_security_lists_only_who_may_call(merged: dict[str, Any]) -> None:
    by_key = {key: operation["security"] for key, operation in operations(merged)}
    assert by_key[("POST", "/v1/payments")] == [{"villageApiKey": []}, {"internalClient": ["funding:admin"]}]
    assert by_key[("POST", "/v1/billing-runs")] == [{"internalClient": ["funding:admin"]}]
    assert by_key[("GET", "/v1/me")] == [{"officerLogin": []}]
    assert by_key[("POST", "/v1/workers/{worker_id}/coverage")] == [{"internalClient": ["registry:write"]}]
    assert {} in by_key[("GET", "/v1/areas")]
    assert by_key[("POST", "/v1/auth/token")] == []
    # Officers have no access to money: no funding read lists them.
    assert {"officerLogin": []} not in by_key[("GET", "/v1/invoices")]
    schemes = set(merged["components"]["securitySchemes"])
    for requirements in by_key.values():
        for requirement in requirements:
            assert set(requirement) <= schemes


# --- problem types ----------------------------------------------------------------------------------


def _emitted_slugs() -> set[str]:
    for package in ("services", "gateway"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            importlib.import_module(info.name)
    slugs = set(_SLUG_BY_STATUS.values())
    pending: list[type[ProblemError]] = [ProblemError]
    while pending:
        cls = pending.pop()
        slugs.add(cls.slug)
        pending.extend(cls.__subclasses__())
    for source in [*ROOT.joinpath("services").rglob("*.py"), *ROOT.joinpath("gateway").rglob("*.py")]:
        slugs.update(re.findall(r"slug=\"([a-z-]+)\"", source.read_text()))
    return slugs


def test_every_problem_type_that_can_be_emitted_is_catalogued() -> None:
    slugs = _emitted_slugs()
    assert {"validation-error", "deceased-nik", "database-unavailable", "rate-limited"} <= slugs
    assert slugs - set(CATALOGUE) == set()


# --- through the gateway ------------------------------------------------------------------------------


@pytest.fixture
def gateway(database_url: Callable[[str], str]) -> Iterator[TestClient]:
    with client_for(create_component_app("gateway", database_url("gateway"))) as client:
        yield client


def test_problem_types_are_absolute_and_resolve_to_a_page(gateway: TestClient) -> None:
    problem = gateway.get("/v1/no-such-resource").json()
    assert problem["type"] == "http://127.0.0.1:8000/problems/not-found"
    for slug, entry in CATALOGUE.items():
        page = gateway.get(f"/problems/{slug}")
        assert page.status_code == 200, slug
        assert page.headers["content-type"].startswith("text/html")
        assert entry.title in page.text
    missing = gateway.get("/problems/no-such-problem")
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("/problems/not-found")


def test_problem_types_and_servers_follow_the_public_base_url(database_url: Callable[[str], str]) -> None:
    app = create_component_app(
        "gateway", database_url("gateway"), public_base_url="https://api.sasar.example"
    )
    with client_for(app) as client:
        assert client.get("/v1/nothing").json()["type"] == "https://api.sasar.example/problems/not-found"
        assert client.get("/openapi.json").json()["servers"][0]["url"] == "https://api.sasar.example"


def test_servers_default_to_the_requested_base(gateway: TestClient) -> None:
    assert gateway.get("/openapi.json").json()["servers"][0]["url"] == "http://testserver"


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls.extend(value for name, value in attrs if name in ("src", "href") and value)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
        ("/redoc", {"redoc.standalone.js", "favicon.png"}),
    ],
)
def test_docs_load_every_asset_from_the_gateway(gateway: TestClient, page: str, expected: set[str]) -> None:
    response = gateway.get(page)
    assert response.status_code == 200
    assert "http://" not in response.text and "https://" not in response.text  # nothing from a CDN
    parser = _References()
    parser.feed(response.text)
    assert {url.rsplit("/", 1)[-1] for url in parser.urls} == expected
    kinds = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = gateway.get(url)  # anonymous
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(kinds[Path(url).suffix]), url
        assert len(asset.content) > 1000
    assert gateway.get("/openapi.json").status_code == 200
    assert gateway.get("/docs-assets/secrets.txt").status_code == 404
