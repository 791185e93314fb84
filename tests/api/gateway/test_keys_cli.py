"""`sasar keys …`: first credentials straight into the gateway database, secrets printed once."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from gateway import credentials
from gateway.models import InternalClient
from sasar.cli import app
from services.common.db import Database


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


def test_set_officer_password(cli: tuple[CliRunner, Database]) -> None:
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
