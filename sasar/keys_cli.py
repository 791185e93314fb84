"""``sasar keys …``: the first credentials, created (and village keys listed and revoked) straight in
the gateway's database; an officer's password only for an NRP the outreach service knows.

Each command prints the secret once (it is stored only as a hash); ``--json`` prints one JSON object
so scripts can capture it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import typer
from sqlalchemy.orm import Session

from gateway import credentials
from gateway.config import GatewaySettings
from gateway.models import ApiKey
from services.common.db import Database
from services.common.errors import ProblemError
from services.common.http import ServiceClient, UpstreamUnavailable
from services.common.pagination import MAX_LIMIT, PageParams
from services.common.principal import Principal, PrincipalKind, Scope

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


@dataclass(frozen=True)
class KeyView:
    """An API key as the operator sees it (read inside the transaction, printed after it)."""

    id: str
    name: str
    village_code: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> KeyView:
        return cls(row.id, row.name, row.village_code, row.created_at, row.last_used_at, row.revoked_at)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "village_code": self.village_code,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }

    def cells(self) -> tuple[str, ...]:
        def when(value: dt.datetime | None) -> str:
            return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if value is not None else "-"

        return (
            self.id,
            self.name,
            self.village_code,
            when(self.created_at),
            when(self.last_used_at),
            when(self.revoked_at),
        )


@app.command("list")
def list_keys(
    village: Annotated[str | None, typer.Option(help="Only this village's keys")] = None,
    active: Annotated[bool, typer.Option("--active", help="Leave out revoked keys")] = False,
    as_json: JsonOption = False,
) -> None:
    """List village API keys: id, name, village, created, last used and revoked (times in UTC)."""

    def load(session: Session) -> list[KeyView]:
        keys: list[KeyView] = []
        cursor: str | None = None
        while True:  # every page: the list is for an operator, not a paged API
            page, cursor = credentials.list_api_keys(
                session,
                PageParams(limit=MAX_LIMIT, cursor=cursor),
                village_code=village,
                include_revoked=not active,
            )
            keys.extend(KeyView.of(row) for row in page)
            if cursor is None:
                return keys

    keys = _in_transaction(load)
    if as_json:
        typer.echo(json.dumps([key.as_json() for key in keys]))
        return
    if not keys:
        typer.echo("no API keys")
        return
    table = [("ID", "NAME", "VILLAGE", "CREATED (UTC)", "LAST USED", "REVOKED"), *(k.cells() for k in keys)]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


@app.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The API key's id (see `sasar keys list`)")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a village API key; revoking it again changes nothing."""

    revoked = _in_transaction(lambda s: KeyView.of(credentials.revoke_api_key(s, key_id)))
    _emit(
        as_json,
        revoked.as_json(),
        f"API key {key_id} ({revoked.name}, village {revoked.village_code}) revoked at "
        f"{revoked.cells()[5]} UTC; a running gateway refuses it within its key cache "
        f"(SASAR_GATEWAY_API_KEY_CACHE_SECONDS, 30 s by default)",
    )


# Who the command is when it asks outreach: an internal caller that may read officers.
CLI_PRINCIPAL = Principal(
    kind=PrincipalKind.internal, subject="sasar-cli", scopes=frozenset({Scope.outreach_admin.value})
)


def officer_known(outreach_url: str, nrp: str, secret: str) -> bool:
    """Whether outreach knows an active officer with ``nrp`` (asked over HTTP, as the gateway asks at
    login). Raises :class:`UpstreamUnavailable` when outreach does not answer."""
    client = ServiceClient(outreach_url, secret, service="outreach", timeout=10)
    try:
        response = client.request("GET", f"/internal/officers/{quote(nrp)}/access", CLI_PRINCIPAL)
    finally:
        client.close()
    if response.status_code == 404:
        return False
    if response.status_code != 200:
        client.raise_problem(response)
    return True


@app.command("set-officer-password")
def set_officer_password(
    nrp: Annotated[str, typer.Argument(help="The officer's NRP (8 digits)")],
    password: Annotated[
        str | None, typer.Option(help="Use this password instead of generating one (min. 10 characters)")
    ] = None,
    outreach_url: Annotated[
        str | None,
        typer.Option(
            help="Where outreach answers (default: SASAR_GATEWAY_OUTREACH_URL, http://127.0.0.1:8003)"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Set (or generate) the login password of an officer outreach knows, and clear any lockout; printed
    once. Refused for an NRP outreach does not know: a password for nobody would only wait for a stranger."""
    try:
        credentials.check_nrp(nrp)
    except ProblemError as exc:
        reasons = "; ".join(f"{e['field']}: {e['reason']}" for e in exc.errors or []) or str(exc.detail)
        typer.echo(f"error: {reasons}", err=True)
        raise typer.Exit(2) from None
    settings = GatewaySettings()
    url = outreach_url or settings.outreach_url
    try:
        known = officer_known(url, nrp, settings.internal_secret.get_secret_value())
    except UpstreamUnavailable:
        typer.echo(
            f"error: cannot ask outreach at {url} whether officer {nrp} exists: it does not answer. "
            "Start the system (`sasar up`) or pass --outreach-url.",
            err=True,
        )
        raise typer.Exit(3) from None
    except ProblemError as exc:
        typer.echo(f"error: outreach refused the question about officer {nrp}: {exc.detail}", err=True)
        raise typer.Exit(3) from None
    if not known:
        typer.echo(
            f"error: outreach knows no active officer with NRP {nrp}. Create the officer first "
            "(POST /v1/officers through the gateway, as an internal client with scope outreach:admin), "
            "then run this again.",
            err=True,
        )
        raise typer.Exit(2)
    chosen = _in_transaction(lambda s: credentials.set_officer_password(s, nrp, password))
    _emit(as_json, {"nrp": nrp, "password": chosen}, f"password for NRP {nrp} (shown once): {chosen}")
