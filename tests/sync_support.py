"""Checks shared by the per-service tests of the lists integrators sync from (sort, updated_since)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Table, create_engine, update

from services.common.db import normalise_url


def walk(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, page by page through ``next_cursor``."""
    items: list[dict[str, Any]] = []
    query = dict(params)
    for _ in range(1000):
        response = client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        if body["next_cursor"] is None:
            return items
        query = {**params, "cursor": body["next_cursor"]}
    raise AssertionError("the cursor never ended")


def ids(items: Sequence[dict[str, Any]]) -> list[Any]:
    return [item["id"] for item in items]


def stamp(url: str, table: Table, **moments: dt.datetime) -> None:
    """Give every row of ``table`` the same timestamps (``created_at=…``, ``updated_at=…``), as rows written
    by one statement have: the case where paging must break ties by id."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(update(table).values(**moments))
    finally:
        engine.dispose()


def check_sorts(client: TestClient, path: str, headers: dict[str, str], created: list[Any]) -> None:
    """``created`` (ids, in creation order) comes back oldest first by default, newest first with
    ``-created_at``, and the same through one-item pages as through one page."""
    assert ids(walk(client, path, headers, limit=500)) == created
    assert ids(walk(client, path, headers, limit=1)) == created
    assert ids(walk(client, path, headers, sort="created_at", limit=2)) == created
    assert ids(walk(client, path, headers, sort="-created_at", limit=2)) == created[::-1]


def check_ties(client: TestClient, path: str, headers: dict[str, str], url: str, table: Table) -> None:
    """All rows share one created_at and one updated_at: every sort still pages through each row once,
    ties broken by id; ``updated_since`` at that instant includes them all, a microsecond later none."""
    moment = dt.datetime(2026, 11, 20, 3, 0, 0, 123456, tzinfo=dt.UTC)
    stamp(url, table, created_at=moment, updated_at=moment)
    everything = ids(walk(client, path, headers, limit=500))
    assert len(everything) >= 3
    by_id = sorted(everything)
    assert everything == by_id
    assert ids(walk(client, path, headers, sort="updated_at", limit=1)) == by_id
    assert ids(walk(client, path, headers, sort="updated_at", limit=2)) == by_id
    assert ids(walk(client, path, headers, sort="-created_at", limit=2)) == by_id[::-1]
    same = walk(client, path, headers, updated_since="2026-11-20T10:00:00.123456+07:00", limit=2)
    assert ids(same) == by_id
    later = walk(client, path, headers, updated_since="2026-11-20T03:00:00.123457Z")
    assert later == []


def check_refusals(client: TestClient, path: str, headers: dict[str, str]) -> None:
    """Naive or garbled ``updated_since``, an unknown ``sort`` and another sort's cursor: 422 naming the
    parameter, never a 500 or a silently ignored filter."""
    cases: list[tuple[dict[str, Any], str]] = [
        ({"updated_since": "2026-11-20T10:00:00"}, "updated_since"),
        ({"updated_since": "2026-11-20"}, "updated_since"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-13-45T10:00:00Z"}, "updated_since"),
        ({"sort": "name"}, "sort"),
        ({"sort": "-updated_at;drop"}, "sort"),
    ]
    for params, field in cases:
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        fields = [error["field"] for error in response.json()["errors"]]
        assert field in fields, (params, response.text)
    naive = client.get(path, params={"updated_since": "2026-11-20T10:00:00"}, headers=headers).json()
    assert "offset" in naive["errors"][0]["reason"]
    page = client.get(path, params={"limit": 1}, headers=headers).json()
    assert page["next_cursor"] is not None, "needs at least two items"
    other_sort = client.get(
        path, params={"limit": 1, "sort": "updated_at", "cursor": page["next_cursor"]}, headers=headers
    )
    assert other_sort.status_code == 422, other_sort.text
    assert other_sort.json()["errors"][0]["field"] == "cursor"


def check_openapi(client: TestClient, path: str) -> None:
    """The list documents ``sort`` as an enum and ``updated_since`` as a date-time."""
    document = client.get("/openapi.json").json()
    parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
    sort_schema = parameters["sort"]["schema"]
    if "$ref" in sort_schema:
        sort_schema = document["components"]["schemas"][sort_schema["$ref"].rsplit("/", 1)[1]]
    assert set(sort_schema["enum"]) == {"created_at", "-created_at", "updated_at"}
    since = parameters["updated_since"]["schema"]
    since = next((s for s in since.get("anyOf", [since]) if s.get("type") == "string"), since)
    assert since.get("format") == "date-time"
