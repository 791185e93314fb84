"""Areas (kode wilayah) through the registry app, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.common.db import create_db_engine
from services.registry.areas import load_areas
from services.registry.models import Area
from tests.support import anonymous_headers, village_headers


def test_area_of_each_level_with_its_time_zone(service_client: Callable[..., TestClient]) -> None:
    client = service_client("registry")
    cases = {
        "33": ("province", None, "Asia/Jakarta", "WIB"),
        "33.75": ("regency", "33", "Asia/Jakarta", "WIB"),
        "51.01.01": ("district", "51.01", "Asia/Makassar", "WITA"),
        "91.03.01.2004": ("village", "91.03.01", "Asia/Jayapura", "WIT"),
    }
    for code, (level, parent, zone, abbreviation) in cases.items():
        response = client.get(f"/v1/areas/{code}", headers=anonymous_headers())
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["level"], body["parent_code"], body["timezone"], body["zone"]) == (
            level,
            parent,
            zone,
            abbreviation,
        )
    village = client.get("/v1/areas/33.26.15.2001", headers=anonymous_headers()).json()
    assert village["name"] == "Wuled"
    assert village["kind"] == "desa"


def test_children_of_a_city_and_all_its_kelurahan(service_client: Callable[..., TestClient]) -> None:
    client = service_client("registry")
    districts = client.get("/v1/areas/33.75/children", headers=anonymous_headers()).json()
    assert [d["code"] for d in districts["items"]] == ["33.75.01", "33.75.02", "33.75.03", "33.75.04"]
    assert districts["next_cursor"] is None
    villages = client.get(
        "/v1/areas/33.75/children?level=village&limit=500", headers=anonymous_headers()
    ).json()
    assert len(villages["items"]) == 27
    assert {v["kind"] for v in villages["items"]} == {"kelurahan"}
    assert {v["timezone"] for v in villages["items"]} == {"Asia/Jakarta"}


def test_children_are_paginated_without_gaps_or_repeats(service_client: Callable[..., TestClient]) -> None:
    client = service_client("registry")
    seen: list[str] = []
    cursor = None
    while True:
        url = "/v1/areas/33.75/children?level=village&limit=5" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=anonymous_headers()).json()
        seen += [item["code"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 27
    assert seen == sorted(set(seen))


def test_search_by_name(service_client: Callable[..., TestClient]) -> None:
    client = service_client("registry")
    body = client.get("/v1/areas?q=WULED&level=village", headers=anonymous_headers()).json()
    assert "33.26.15.2001" in [item["code"] for item in body["items"]]
    assert all("wuled" in item["name"].lower() for item in body["items"])
    # LIKE wildcards in the query are taken literally.
    assert client.get("/v1/areas?q=%25%25", headers=anonymous_headers()).json()["items"] == []


def test_unknown_and_malformed_codes_are_problems(service_client: Callable[..., TestClient]) -> None:
    client = service_client("registry")
    unknown = client.get("/v1/areas/33.99.99.2999", headers=anonymous_headers())
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["type"].endswith("/problems/unknown-area")
    malformed = client.get("/v1/areas/33.7", headers=anonymous_headers())
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "code"
    bad_level = client.get("/v1/areas/33.75.01/children?level=regency", headers=anonymous_headers())
    assert bad_level.status_code == 422
    assert bad_level.json()["errors"][0]["field"] == "level"


def test_areas_need_a_principal_from_the_gateway(service_client: Callable[..., TestClient]) -> None:
    client = service_client("registry")
    response = client.get("/v1/areas/33")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    forged = client.get("/v1/areas/33", headers={"X-Sasar-Principal": "not-a-token"})
    assert forged.status_code == 401
    assert client.get("/v1/areas/33", headers=village_headers("33.26.15.2001")).status_code == 200


def test_reloading_areas_is_idempotent_and_updates_renamed_ones(database_url: Callable[[str], str]) -> None:
    engine = create_db_engine(database_url("registry"))
    try:
        again = load_areas(engine)
        assert (again.total, again.inserted, again.updated) == (91_599, 0, 0)
        with engine.begin() as connection:
            connection.execute(Area.__table__.update().where(Area.code == "33.75").values(name="Old name"))
        repaired = load_areas(engine)
        assert (repaired.inserted, repaired.updated) == (0, 1)
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(Area)).scalar_one() == 91_599
            counts = dict(connection.execute(select(Area.level, func.count()).group_by(Area.level)).all())
        assert counts == {"province": 38, "regency": 514, "district": 7_285, "village": 83_762}
    finally:
        engine.dispose()
