"""`sasar keys …`: first credentials straight into the gateway database, secrets printed once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from typer.testing import CliRunner

from gateway import credentials
from gateway.models import ApiKey, InternalClient
from sasar.cli import app
from services.common.db import Database
from services.common.timeutil import utcnow
from tests.support import TEST_SECRET, create_component_app, internal_headers, live_server


@pytest.fixture
def cli(database_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, Database]:
    url = database_url("gateway")
    monkeypatch.setenv("SASAR_GATEWAY_DATABASE_URL", url)
    database = Database(url)
    yield CliRunner(), database  # type: ignore[misc]
    database.dispose()


def test_create_village_key(cli: tuple[CliRunner, Database]) -> None:
    runner, database = cli
    result = runner.invoke(app, ["keys", "create-village", "33.26.15.2001", "--json"])
    assert result.exit_code == 0, result.output
    issued = json.loads(result.output)
    assert set(issued) == {"id", "key", "village_code"}
    with database.sessions() as session:
        row = credentials.find_api_key(session, issued["key"])
        assert row is not None
        assert row.id == issued["id"]
        assert row.village_code == "33.26.15.2001"
        assert issued["key"] not in (row.digest, row.prefix)  # only a digest is stored
    plain = runner.invoke(app, ["keys", "create-village", "33.75.01.1002"])
    assert plain.exit_code == 0
    assert "sk_vil_" in plain.output
    for bad in ("33.26.15", "99.99.99.2001"):
        refused = runner.invoke(app, ["keys", "create-village", bad])
        assert refused.exit_code == 2
        assert "village_code" in refused.output


def test_create_client(cli: tuple[CliRunner, Database]) -> None:
    runner, database = cli
    result = runner.invoke(
        app,
        ["keys", "create-client", "back office", "--scope", "keys:admin", "-s", "registry:read", "--json"],
    )
    assert result.exit_code == 0, result.output
    issued = json.loads(result.output)
    assert issued["scopes"] == ["keys:admin", "registry:read"]
    with database.sessions() as session:
        assert credentials.verify_client(session, issued["client_id"], issued["client_secret"]) is not None
        assert credentials.verify_client(session, issued["client_id"], "cs_wrong") is None
        row = session.get(InternalClient, issued["client_id"])
        assert row is not None
        assert issued["client_secret"] not in row.digest
    assert runner.invoke(app, ["keys", "create-client", "x", "--scope", "everything"]).exit_code == 2


@pytest.fixture
def outreach(database_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A running outreach service that knows officer 12345678; the CLI is pointed at it."""
    monkeypatch.setenv("SASAR_INTERNAL_SECRET", TEST_SECRET)
    # Quiet: the CLI runner captures this process's stdout, where the server would log each request.
    app = create_component_app("outreach", database_url("outreach"), log_level="WARNING")
    with live_server(app) as url:
        created = httpx.post(
            f"{url}/v1/officers",
            json={"nrp": "12345678", "name": "Bripka Agus", "rank": "Bripka", "unit": "Polsek Wonokerto"},
            headers=internal_headers(["outreach:admin"]),
            timeout=10,
        )
        assert created.status_code == 201, created.text
        monkeypatch.setenv("SASAR_GATEWAY_OUTREACH_URL", url)
        yield url


def test_set_officer_password(cli: tuple[CliRunner, Database], outreach: str) -> None:
    runner, database = cli
    result = runner.invoke(app, ["keys", "set-officer-password", "12345678", "--json"])
    assert result.exit_code == 0, result.output
    issued = json.loads(result.output)
    assert issued["nrp"] == "12345678"
    with database.sessions.begin() as session:
        assert credentials.verify_officer_password(session, "12345678", issued["password"])
        assert not credentials.verify_officer_password(session, "12345678", "nope")
    assert runner.invoke(app, ["keys", "set-officer-password", "1234"]).exit_code == 2
    assert (
        runner.invoke(app, ["keys", "set-officer-password", "12345678", "--password", "short"]).exit_code == 2
    )


def test_revoke_client(cli: tuple[CliRunner, Database]) -> None:
    runner, database = cli
    created = runner.invoke(app, ["keys", "create-client", "old office", "-s", "registry:read", "--json"])
    issued = json.loads(created.output)
    result = runner.invoke(app, ["keys", "revoke-client", issued["client_id"], "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["revoked_at"]
    with database.sessions() as session:
        assert credentials.verify_client(session, issued["client_id"], issued["client_secret"]) is None
    unknown = runner.invoke(app, ["keys", "revoke-client", "ic_nobody"])
    assert unknown.exit_code == 2


def test_set_officer_password_refuses_an_nrp_outreach_does_not_know(
    cli: tuple[CliRunner, Database], outreach: str
) -> None:
    runner, database = cli
    refused = runner.invoke(app, ["keys", "set-officer-password", "87654321"])
    assert refused.exit_code == 2
    assert "outreach knows no active officer with NRP 87654321" in refused.output
    assert "POST /v1/officers" in refused.output  # says how to create the officer
    with database.sessions.begin() as session:
        assert credentials.verify_officer_password(session, "87654321", "anything-at-all") is False
    # The same NRP asked of the outreach given explicitly; an outreach that does not answer is no "yes".
    down = runner.invoke(
        app, ["keys", "set-officer-password", "12345678", "--outreach-url", "http://127.0.0.1:9"]
    )
    assert down.exit_code == 3
    assert "cannot ask outreach at http://127.0.0.1:9" in down.output
    known = runner.invoke(app, ["keys", "set-officer-password", "12345678", "--outreach-url", outreach])
    assert known.exit_code == 0, known.output


def _village_key(runner: CliRunner, code: str, name: str) -> str:
    result = runner.invoke(app, ["keys", "create-village", code, "--name", name, "--json"])
    assert result.exit_code == 0, result.output
    key_id: str = json.loads(result.output)["id"]
    return key_id


def test_list_shows_each_key_with_its_use_and_revocation(cli: tuple[CliRunner, Database]) -> None:
    runner, database = cli
    assert runner.invoke(app, ["keys", "list"]).output.strip() == "no API keys"
    wuled = _village_key(runner, "33.26.15.2001", "OpenSID Wuled")
    kota = _village_key(runner, "33.75.01.1002", "SID Kota")
    with database.sessions.begin() as session:
        credentials.touch_api_key(session, wuled)
        credentials.revoke_api_key(session, kota)

    listed = {key["id"]: key for key in json.loads(runner.invoke(app, ["keys", "list", "--json"]).output)}
    assert set(listed) == {wuled, kota}
    assert listed[wuled]["name"] == "OpenSID Wuled"
    assert listed[wuled]["village_code"] == "33.26.15.2001"
    assert listed[wuled]["last_used_at"] is not None and listed[wuled]["revoked_at"] is None
    assert listed[kota]["last_used_at"] is None and listed[kota]["revoked_at"] is not None

    table = runner.invoke(app, ["keys", "list"]).output.splitlines()
    assert table[0].split() == ["ID", "NAME", "VILLAGE", "CREATED", "(UTC)", "LAST", "USED", "REVOKED"]
    (wuled_line,) = [line for line in table if line.startswith(wuled)]
    assert "OpenSID Wuled" in wuled_line and "33.26.15.2001" in wuled_line
    assert wuled_line.rstrip().endswith("-")  # not revoked
    active = json.loads(runner.invoke(app, ["keys", "list", "--active", "--json"]).output)
    assert [key["id"] for key in active] == [wuled]
    in_kota = json.loads(runner.invoke(app, ["keys", "list", "--village", "33.75.01.1002", "--json"]).output)
    assert [key["id"] for key in in_kota] == [kota]


def test_revoke_a_village_key(cli: tuple[CliRunner, Database]) -> None:
    runner, database = cli
    created = json.loads(runner.invoke(app, ["keys", "create-village", "33.26.15.2001", "--json"]).output)
    with database.sessions() as session:
        assert credentials.find_api_key(session, created["key"]) is not None
    before = utcnow()
    result = runner.invoke(app, ["keys", "revoke", created["id"], "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["revoked_at"] >= before.isoformat()[:19]
    with database.sessions() as session:
        assert credentials.find_api_key(session, created["key"]) is None  # the gateway refuses it now
        row = session.get(ApiKey, created["id"])
        assert row is not None and row.revoked_at is not None
        first_revocation = row.revoked_at
    again = runner.invoke(app, ["keys", "revoke", created["id"]])
    assert again.exit_code == 0, again.output
    with database.sessions() as session:
        row = session.get(ApiKey, created["id"])
        assert row is not None and row.revoked_at == first_revocation
    unknown = runner.invoke(app, ["keys", "revoke", "0" * 32])
    assert unknown.exit_code == 2
    assert "no API key" in unknown.output
