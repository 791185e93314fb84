"""The registry answers problems in Bahasa Indonesia by default and in English on request."""

from __future__ import annotations

from services.common.messages import Message
from tests.conftest import ClientFactory
from tests.i18n_support import ENGLISH, assert_no_english, default_language
from tests.registry_support import VILLAGE, roster_csv, roster_row, worker_body
from tests.support import finished_job, village_headers

VIL = village_headers(VILLAGE)


def test_a_validation_refusal_is_indonesian_by_default_and_english_on_request(
    service_client: ClientFactory,
) -> None:
    client = default_language(service_client("registry"))
    body = worker_body(nik="3326150000000000", declared_income_idr="banyak")
    body.pop("name")

    indonesian = client.post("/v1/workers", json=body, headers=VIL)
    english = client.post("/v1/workers", json=body, headers={**VIL, **ENGLISH})

    assert indonesian.status_code == english.status_code == 422
    assert indonesian.headers["content-language"] == "id"
    assert english.headers["content-language"] == "en"
    reasons = {e["field"]: e["reason"] for e in indonesian.json()["errors"]}
    assert reasons["name"] == "wajib diisi"
    assert reasons["declared_income_idr"] == "harus berupa bilangan bulat"
    assert indonesian.json()["title"] == "Data tidak valid"
    assert indonesian.json()["detail"].startswith("name: wajib diisi")
    english_reasons = {e["field"]: e["reason"] for e in english.json()["errors"]}
    assert english_reasons["name"] == "Field required"
    assert english_reasons["declared_income_idr"].startswith("Input should be a valid integer")
    assert_no_english(indonesian.json())


def test_nik_rules_and_not_found_in_both_languages(service_client: ClientFactory) -> None:
    client = default_language(service_client("registry"))
    bad_nik = worker_body(nik="3326150000000000")  # day 00: not a birth date

    indonesian = client.post("/v1/workers", json=bad_nik, headers=VIL).json()
    english = client.post("/v1/workers", json=bad_nik, headers={**VIL, **ENGLISH}).json()
    assert indonesian["errors"] == [
        {
            "field": "nik",
            "reason": "tanggal lahir pada NIK harus 01-31 (laki-laki) atau 41-71 (perempuan), bukan 00",
        }
    ]
    assert english["errors"] == [
        {"field": "nik", "reason": "NIK birth day must be 01-31 (men) or 41-71 (women), got 00"}
    ]
    short = client.post("/v1/workers", json=worker_body(nik="12345"), headers=VIL).json()
    assert short["errors"][0]["field"] == "nik" and "16" in short["errors"][0]["reason"]
    assert_no_english(short)

    missing = client.get("/v1/workers/no-such-worker", headers=VIL)
    assert missing.status_code == 404
    assert missing.json()["title"] == "Tidak ditemukan"
    assert missing.json()["detail"] == "pekerja no-such-worker tidak ditemukan"
    english_missing = client.get("/v1/workers/no-such-worker", headers={**VIL, **ENGLISH}).json()
    assert english_missing["detail"] == "no worker no-such-worker"


def test_area_codes_and_text_rule_reasons_are_translated(service_client: ClientFactory) -> None:
    client = default_language(service_client("registry"))
    malformed = client.get("/v1/areas/33-75", headers=VIL)
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["reason"] == Message("area.malformed").render("id")
    unknown = client.get("/v1/areas/99.99", headers=VIL)
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "wilayah dengan kode 99.99 tidak ditemukan"

    control = client.post("/v1/workers", json=worker_body(name="Siti\x00Aminah"), headers=VIL)
    assert control.status_code == 422
    reason = {e["field"]: e["reason"] for e in control.json()["errors"]}["name"]
    assert reason == "tidak boleh berisi karakter kontrol (U+0000 ditemukan)"
    english = client.post(
        "/v1/workers", json=worker_body(name="Siti\x00Aminah"), headers={**VIL, **ENGLISH}
    ).json()
    assert {e["field"]: e["reason"] for e in english["errors"]}["name"] == (
        "must not contain control characters (U+0000 found)"
    )


def test_import_row_reasons_follow_the_readers_language(service_client: ClientFactory) -> None:
    client = default_language(service_client("registry"))
    rows = [roster_row(0), roster_row(1, nik="3326150000000000"), roster_row(2, declared_income_idr="x")]
    accepted = client.post("/v1/worker-imports", files={"file": ("r.csv", roster_csv(rows))}, headers=VIL)
    finished_job(client, accepted, VIL, "registry")
    url = f"/v1/worker-imports/{accepted.json()['id']}/rows"

    indonesian = {r["row"]: r["errors"] for r in client.get(url, headers=VIL).json()["items"]}
    english = {r["row"]: r["errors"] for r in client.get(url, headers={**VIL, **ENGLISH}).json()["items"]}

    assert indonesian[3] == [
        {
            "field": "nik",
            "reason": "tanggal lahir pada NIK harus 01-31 (laki-laki) atau 41-71 (perempuan), bukan 00",
        }
    ]
    assert english[3] == [
        {"field": "nik", "reason": "NIK birth day must be 01-31 (men) or 41-71 (women), got 00"}
    ]
    assert indonesian[4] == [
        {"field": "declared_income_idr", "reason": "harus berupa bilangan bulat rupiah, mis. 1500000"}
    ]
    assert english[4] == [
        {"field": "declared_income_idr", "reason": "must be a whole number of rupiah, e.g. 1500000"}
    ]
    assert indonesian[2] == english[2] == []


def test_registry_refusals_carry_no_english_by_default(service_client: ClientFactory) -> None:
    client = default_language(service_client("registry"))
    other = village_headers("33.26.15.2002", subject="key-other")
    refusals = [
        client.post("/v1/workers", content=b"{not json", headers={**VIL, "Content-Type": "application/json"}),
        client.post("/v1/workers", json=worker_body(programs=["JKK"]), headers=VIL),
        client.post("/v1/workers", json=worker_body(programs=["XYZ"], sex="X"), headers=VIL),
        client.post("/v1/workers", json=worker_body(phone="12", birth_date="1990-13-40"), headers=VIL),
        client.post("/v1/workers", json=worker_body(village_code="33.26.15.9999"), headers=VIL),
        client.post("/v1/workers", json=worker_body(occupation="astronot", temporary=True), headers=VIL),
        client.post("/v1/workers", json=worker_body(), headers=other),
        client.get("/v1/workers", params={"limit": 0}, headers=VIL),
        client.get("/v1/workers", params={"cursor": "garbage"}, headers=VIL),
        client.get("/v1/worker-imports/nope", headers=VIL),
        client.get("/v1/workers", headers={}),
        client.delete("/v1/areas/33.75", headers=VIL),
    ]
    for response in refusals:
        assert response.status_code >= 400, response.text
        assert response.headers["content-language"] == "id"
        assert_no_english(response.json())
