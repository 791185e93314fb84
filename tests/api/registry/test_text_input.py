"""Client text in the registry: control characters are a 422 naming the field (never a 500 on
PostgreSQL), lengths count the stored (NFC) form, a long case-folded name is stored, and a bad import
row is rejected alone."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ClientFactory
from tests.registry_support import VILLAGE, roster_csv, roster_row, temporary_body, worker_body
from tests.support import anonymous_headers, finished_job, village_headers

VIL = village_headers(VILLAGE)
PROBLEM = "application/problem+json"


def assert_refused(response: Any, field: str, reason: str = "control characters") -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    errors = response.json()["errors"]
    assert any(e["field"] == field and reason in e["reason"] for e in errors), errors


@pytest.mark.parametrize(
    "field", ["name", "nik", "phone", "village_code", "officer_id", "outreach_session_id", "lead_id"]
)
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x85"])
def test_control_characters_in_worker_fields_are_422(
    service_client: ClientFactory, field: str, char: str
) -> None:
    client = service_client("registry")
    base = worker_body(officer_id="off-1", outreach_session_id="ses-1", lead_id="lead-1")
    body = {**base, field: f"{base[field][:5]}{char}{base[field][5:]}"}
    assert_refused(client.post("/v1/workers", json=body, headers=VIL), field)
    assert client.get("/v1/workers", headers=VIL).json()["items"] == []


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/areas", {"q": "Wu\x00led"}, "q"),
        ("/v1/workers", {"q": "Siti\x00"}, "q"),
        ("/v1/workers", {"village_code": "33.26.15.2001\x00"}, "village_code"),
        ("/v1/worker-counts", {"area": "33.26\x00"}, "area"),
        ("/v1/duplicate-candidates", {"village_code": "33.26\x00.15"}, "village_code"),
        ("/v1/workers/ab%00cd", {}, "worker_id"),
        ("/v1/areas/33%00", {}, "code"),
        ("/v1/worker-imports/ab%00cd", {}, "import_id"),
    ],
)
def test_control_characters_in_query_and_path_parameters_are_422(
    service_client: ClientFactory, path: str, params: dict[str, str], field: str
) -> None:
    client = service_client("registry")
    headers = anonymous_headers() if path.startswith("/v1/areas") else VIL
    assert_refused(client.get(path, params=params, headers=headers), field)


@pytest.mark.parametrize("value", ["a\\u0000b", "\\ud800", "a\\u0085"])
def test_a_cursor_carrying_a_control_character_or_surrogate_is_422(
    service_client: ClientFactory, value: str
) -> None:
    client = service_client("registry")
    cursor = base64.urlsafe_b64encode(f'["{value}"]'.encode()).decode().rstrip("=")
    response = client.get("/v1/workers", params={"cursor": cursor}, headers=VIL)
    assert_refused(response, "cursor", "malformed cursor")


def test_length_counts_the_composed_name(service_client: ClientFactory) -> None:
    client = service_client("registry")
    # 240 code points typed with combining accents are 120 characters once composed: it fits.
    composed = client.post("/v1/workers", json=worker_body(name="e\u0301" * 120), headers=VIL)
    assert composed.status_code == 201, composed.text
    assert composed.json()["name"] == "\u00e9" * 120
    too_long = client.post(
        "/v1/workers", json=temporary_body(name="e\u0301" * 121, birth_date="1981-01-01"), headers=VIL
    )
    assert_refused(too_long, "name", "at most 120 characters")


def test_long_name_whose_folded_key_is_longer_is_stored_and_matched(service_client: ClientFactory) -> None:
    client = service_client("registry")
    # Seventy "ß" folds to 140 letters ("ss" each) for duplicate detection: longer than the name itself.
    first = client.post("/v1/workers", json=temporary_body(name="ß" * 70), headers=VIL)
    assert first.status_code == 201, first.text
    assert first.json()["name"] == "ß" * 70
    # Spelled with "ss" at the end, the same person folds to the same key: a duplicate candidate.
    second = client.post("/v1/workers", json=temporary_body(name="ß" * 69 + "ss"), headers=VIL)
    assert second.status_code == 201, second.text
    candidates = client.get("/v1/duplicate-candidates", headers=VIL).json()["items"]
    pair = {(c["worker_id"], c["other_worker_id"]) for c in candidates}
    ids = {first.json()["id"], second.json()["id"]}
    assert len(candidates) == 1 and set(next(iter(pair))) == ids


def _import(client: TestClient, content: bytes, filename: bytes) -> dict[str, Any]:
    # Multipart written by hand: HTTP clients escape a NUL in the filename, an attacker need not.
    body = (
        b'--sasar\r\nContent-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + content + b"\r\n--sasar--\r\n"
    )
    headers = {**VIL, "Content-Type": "multipart/form-data; boundary=sasar"}
    response = client.post("/v1/worker-imports", content=body, headers=headers)
    job = finished_job(client, response, VIL, "registry")
    assert job["status"] == "succeeded", job
    result: dict[str, Any] = client.get(f"/v1/worker-imports/{response.json()['id']}", headers=VIL).json()
    return result


def test_import_rejects_bad_text_rows_alone(service_client: ClientFactory) -> None:
    client = service_client("registry")
    rows = [roster_row(i) for i in range(8)]
    rows[1]["name"] = "Ab\x00c"
    rows[2]["phone"] = "0812\x00345678"
    rows[3]["occupation"] = "petani\x1b"
    rows[4]["name"] = "Sri \x85Wahyuni"
    rows[5]["name"] = "e\u0301" * 121  # 121 characters once composed
    rows[6]["name"] = "ß" * 70  # folds to 140 letters: stored
    rows[7]["name"] = "e\u0301" * 120  # 120 characters once composed: stored
    result = _import(client, roster_csv(rows), filename=b"ros\x00ter.csv")
    assert result["status"] == "completed", result
    assert (result["total"], result["accepted"], result["rejected"]) == (8, 3, 5)
    assert result["filename"] == "roster.csv"
    items = client.get(f"/v1/worker-imports/{result['id']}/rows", headers=VIL).json()["items"]
    by_row = {item["row"]: item for item in items}  # row 2 is the first under the header
    expected = {
        3: ("name", "control characters (U+0000 found)"),
        4: ("phone", "control characters (U+0000 found)"),
        5: ("occupation", "control characters (U+001B found)"),
        6: ("name", "control characters (U+0085 found)"),
        7: ("name", "longer than 120 characters"),
    }
    for row, (field, reason) in expected.items():
        assert by_row[row]["result"] == "rejected", by_row[row]
        assert [(e["field"], reason in e["reason"]) for e in by_row[row]["errors"]] == [(field, True)]
    assert [by_row[row]["result"] for row in (2, 8, 9)] == ["accepted"] * 3
    names = {w["name"] for w in client.get("/v1/workers", params={"limit": 50}, headers=VIL).json()["items"]}
    assert {"Pekerja 0", "ß" * 70, "\u00e9" * 120} <= names
