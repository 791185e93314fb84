"""Outreach answers problems in Bahasa Indonesia by default and in English on request."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.outreach.conftest import ADMIN, JAVA, JAVA_OTHER, OfficerMaker
from tests.api.outreach.test_sessions import session_body
from tests.i18n_support import ENGLISH, assert_no_english, default_language
from tests.outreach_support import future

OFFICER = {"name": "Bripka Ahmad", "rank": "Bripka", "unit": "Polsek Lasem"}


def test_nrp_rule_and_duplicate_nrp_in_both_languages(outreach: TestClient) -> None:
    client = default_language(outreach)
    short = {**OFFICER, "nrp": "1234"}
    indonesian = client.post("/v1/officers", json=short, headers=ADMIN)
    english = client.post("/v1/officers", json=short, headers={**ADMIN, **ENGLISH})
    assert indonesian.status_code == english.status_code == 422
    assert indonesian.json()["errors"] == [{"field": "nrp", "reason": "NRP harus 8 digit"}]
    assert english.json()["errors"][0]["reason"].startswith("String should match pattern")

    assert client.post("/v1/officers", json={**OFFICER, "nrp": "85011234"}, headers=ADMIN).status_code == 201
    again = client.post("/v1/officers", json={**OFFICER, "nrp": "85011234"}, headers=ADMIN)
    assert again.status_code == 409
    assert again.json()["detail"] == "petugas dengan NRP 85011234 sudah terdaftar"
    assert again.headers["content-language"] == "id"
    english_again = client.post(
        "/v1/officers", json={**OFFICER, "nrp": "85011234"}, headers={**ADMIN, **ENGLISH}
    )
    assert english_again.json()["detail"] == "an officer with NRP 85011234 already exists"


def test_scheduling_refusals_in_both_languages(outreach: TestClient, make_officer: OfficerMaker) -> None:
    client = default_language(outreach)
    _, headers = make_officer(JAVA)
    backwards = session_body(starts_at=future(3, 11), ends_at=future(3, 9))
    indonesian = client.post("/v1/outreach-sessions", json=backwards, headers=headers).json()
    english = client.post("/v1/outreach-sessions", json=backwards, headers={**headers, **ENGLISH}).json()
    assert indonesian["errors"] == [{"field": "ends_at", "reason": "harus setelah starts_at"}]
    assert english["errors"] == [{"field": "ends_at", "reason": "must be after starts_at"}]

    elsewhere = client.post("/v1/outreach-sessions", json=session_body(JAVA_OTHER), headers=headers).json()
    assert elsewhere["title"] == "Data tidak valid"
    assert [e["field"] for e in elsewhere["errors"]] == ["village_code"]
    assert elsewhere["errors"][0]["reason"].startswith("tidak ditugaskan di desa ini pada ")
    assert_no_english(elsewhere)


def test_outreach_refusals_carry_no_english_by_default(
    outreach: TestClient, make_officer: OfficerMaker
) -> None:
    client = default_language(outreach)
    _, headers = make_officer(JAVA)
    naive = session_body(starts_at="2030-01-01T09:00:00", ends_at="2030-01-01T11:00:00")
    refusals = [
        client.post("/v1/outreach-sessions", json=naive, headers=headers),
        client.post("/v1/outreach-sessions", json=session_body(starts_at="besok"), headers=headers),
        client.post("/v1/outreach-sessions", json=session_body(village_code="33-26"), headers=headers),
        client.post("/v1/outreach-sessions", json=session_body(venue=""), headers=headers),
        client.post("/v1/outreach-sessions", json=session_body(venue="x" * 201), headers=headers),
        client.post("/v1/outreach-sessions", json=session_body(kind="pesta"), headers=headers),
        client.post("/v1/outreach-sessions", json=session_body(ends_at=future(5, 11)), headers=headers),
        client.get("/v1/outreach-sessions/999999", headers=headers),
        client.get("/v1/officers/999999", headers=ADMIN),
        client.get("/v1/progress", params={"year": 1999}, headers=ADMIN),
        client.post("/v1/officers", json={**OFFICER, "nrp": "85011235", "name": "\u0007"}, headers=ADMIN),
    ]
    for response in refusals:
        assert response.status_code >= 400, response.text
        assert response.headers["content-language"] == "id"
        assert_no_english(response.json())
