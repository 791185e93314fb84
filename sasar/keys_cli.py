"""``sasar keys …``: the first credentials, created straight in the gateway's database.

Each command prints the secret once (it is stored only as a hash); ``--json`` prints one JSON object
so scripts can capture it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.orm import Session

from gateway import credentials
from gateway.config import GatewaySettings
from services.common.db import Database
from services.common.errors import ProblemError

app = typer.Typer(
    help="Credentials: village API keys, internal clients, officer passwords.", no_args_is_help=True
)

T = TypeVar("T")
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


def _in_transaction(work: Callable[[Session], T]) -> T:
    database = Database(GatewaySettings().database_url)
    try:
        with database.sessions.begin() as session:
            return work(session)
    except ProblemError as exc:
        reasons = "; ".join(f"{e['field']}: {e['reason']}" for e in exc.errors or []) or str(exc.detail)
        typer.echo(f"error: {reasons}", err=True)
        raise typer.Exit(2) from None
    finally:
        database.dispose()


def _emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    typer.echo(json.dumps(payload) if as_json else text)


@app.command("create-village")
def create_village(
    code: Annotated[str, typer.Argument(help="Desa/kelurahan code PP.RR.DD.VVVV, e.g. 33.26.15.2001")],
    name: Annotated[str | None, typer.Option(help="Who will use the key")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API key bound to one village (desa/kelurahan); the key is printed once."""
    issued = _in_transaction(lambda s: credentials.create_api_key(s, code, name or f"village {code}"))
    _emit(
        as_json,
        {"id": issued.row.id, "key": issued.key, "village_code": issued.row.village_code},
        f"API key {issued.row.id} for village {code} (shown once, store it now):\n{issued.key}",
    )


@app.command("create-client")
def create_client(
    name: Annotated[str, typer.Argument(help="Name of the integration")],
    scope: Annotated[list[str], typer.Option("--scope", "-s", help="Scope to grant (repeatable)")],
    as_json: JsonOption = False,
) -> None:
    """Create an internal client (client credentials) with the given scopes; the secret is printed once."""
    issued = _in_transaction(lambda s: credentials.create_client(s, name, scope))
    _emit(
        as_json,
        {"client_id": issued.client_id, "client_secret": issued.client_secret, "scopes": issued.scopes},
        f"client_id:     {issued.client_id}\nclient_secret: {issued.client_secret}  (shown once)\n"
        f"scopes:        {' '.join(issued.scopes)}",
    )


@app.command("revoke-client")
def revoke_client(
    client_id: Annotated[str, typer.Argument(help="The internal client's client_id")],
    as_json: JsonOption = False,
) -> None:
    """Revoke an internal client: no new tokens, and its access tokens are refused (within the cache TTL)."""

    def revoke(session: Session) -> str:
        row = credentials.revoke_client(session, client_id)
        assert row.revoked_at is not None
        return row.revoked_at.isoformat()

    revoked_at = _in_transaction(revoke)
    _emit(as_json, {"client_id": client_id, "revoked_at": revoked_at}, f"client {client_id} revoked")


@app.command("set-officer-password")
def set_officer_password(
    nrp: Annotated[str, typer.Argument(help="The officer's NRP (8 digits)")],
    password: Annotated[
        str | None, typer.Option(help="Use this password instead of generating one (min. 10 characters)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Set (or generate) an officer's login password and clear any lockout; printed once."""
    chosen = _in_transaction(lambda s: credentials.set_officer_password(s, nrp, password))
    _emit(as_json, {"nrp": nrp, "password": chosen}, f"password for NRP {nrp} (shown once): {chosen}")
