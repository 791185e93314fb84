"""Database plumbing: engines, the per-request session, UTC timestamps and the naming convention.

Engines are created in each app's lifespan (never at import). SQLite is the embedded default and gets
WAL, foreign keys and a busy timeout; PostgreSQL URLs are routed to the psycopg 3 driver.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import problem_response, unexpected_error_response
from services.common.messages import Message as Text

# Deterministic constraint names, so migrations can drop/alter them on every backend.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware timestamp stored in UTC on every backend.

    SQLite has no time zones, so values are normalised to UTC on the way in and tagged UTC on the
    way out; naive datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware values")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def normalise_url(url: str) -> str:
    """Route plain ``postgresql://`` URLs to psycopg 3 (the only PostgreSQL driver installed)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Take transaction handling away from the sqlite3 module: left to itself it begins a transaction only
    # before a DML statement, so a SAVEPOINT issued first *is* the transaction and its RELEASE commits.
    # SQLAlchemy's "begin" event below emits BEGIN itself, so savepoints nest inside a real transaction.
    dbapi_connection.isolation_level = None


# Execution option naming a transaction that only reads (a GET request). Every other transaction on SQLite
# begins with BEGIN IMMEDIATE and so holds the database's write lock from its first statement: no
# read-then-write upgrade that fails when another writer committed in between (WAL's busy snapshot), and
# no other writer between a check and its write, which is what FOR UPDATE gives on PostgreSQL.
READ_ONLY_TRANSACTION = "sasar_read_only_transaction"


def _sqlite_begin(connection: Any) -> None:
    read_only = connection.get_execution_options().get(READ_ONLY_TRANSACTION, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_db_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalise_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # hide_parameters: a traceback's SQL must not carry NIKs or secrets into the logs.
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, hide_parameters=True
    )


class Database:
    """An engine and its session factory, owned by one app (created in its lifespan)."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = create_db_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def session_scope(request: Request) -> Iterator[Session]:
    """One transaction per request: domain functions flush, this commits or rolls back.

    Use with ``Depends(session_scope, scope="function")`` so the commit happens before the
    response is sent and a failing commit becomes an error response, not a lie.
    """
    session = get_database(request).sessions()
    if request.method in READ_METHODS:
        # Reads share the database (SQLite: a deferred BEGIN); writes hold its write lock (see above).
        session.connection(execution_options={READ_ONLY_TRANSACTION: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- transient database failures → 503 ---------------------------------------------------------------
#
# An outage, a dropped connection, a deadlock or a serialization failure is not the client's fault and
# not a bug: the request may simply be sent again. Such errors answer 503 problem+json with Retry-After;
# a read (GET/HEAD) is first run once more inside the service. Anything else stays a 500.

RETRY_AFTER_SECONDS = 1
# PostgreSQL SQLSTATEs worth retrying the whole transaction for.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock detected
# The server going away: admin/crash shutdown, cannot connect now (class 08: connection exceptions).
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
_RETRYABLE_FLAG = "sasar_retryable_db_error"

log = structlog.get_logger("sasar.db")


def _sqlstate(exc: DBAPIError) -> str | None:
    original = exc.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return str(state) if state else None


def is_retryable_db_error(exc: BaseException) -> bool:
    """Serialization failure, deadlock or a connection lost mid-transaction: the same transaction may
    succeed if simply run again."""
    if not isinstance(exc, DBAPIError):
        return False
    state = _sqlstate(exc)
    return exc.connection_invalidated or state in RETRYABLE_SQLSTATES or _is_connection_state(state)


def _is_connection_state(state: str | None) -> bool:
    return state is not None and (state.startswith("08") or state in UNAVAILABLE_SQLSTATES)


def is_transient_db_error(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is (briefly) unavailable rather than that the request is wrong."""
    if isinstance(exc, PoolTimeout):
        return True  # every pooled connection busy for the whole pool timeout
    if not isinstance(exc, DBAPIError):
        return False
    if is_retryable_db_error(exc):
        return True
    original = exc.orig
    if isinstance(original, sqlite3.OperationalError):
        message = str(original).lower()
        return "database is locked" in message or "database table is locked" in message
    # psycopg's OperationalError without a SQLSTATE: the server could not be reached or hung up.
    return isinstance(original, psycopg.OperationalError) and _sqlstate(exc) is None


async def _database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if not is_transient_db_error(exc):
        return await unexpected_error_response(request, exc)
    if is_retryable_db_error(exc):
        setattr(request.state, _RETRYABLE_FLAG, True)
    log.warning(
        "database_unavailable",
        path=request.url.path,
        method=request.method,
        error=type(exc.orig if isinstance(exc, DBAPIError) else exc).__name__,
        sqlstate=_sqlstate(exc) if isinstance(exc, DBAPIError) else None,
    )
    return problem_response(
        request,
        status=503,
        slug="database-unavailable",
        detail=Text("problem.database-unavailable"),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class ReadRetryMiddleware:
    """Runs a GET or HEAD once more when its transaction failed in a way worth retrying (see
    :func:`is_retryable_db_error`). Reads have no effects, so running one again is always safe; other
    methods are never re-run here, since a POST may have had effects before it failed.

    Only a response that starts as such a 503 is held back; every other response streams through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state[_RETRYABLE_FLAG] = False
        held: list[Message] = []
        holding = False

        async def first_send(message: Message) -> None:
            nonlocal holding
            if (
                message["type"] == "http.response.start"
                and message["status"] == 503
                and state.get(_RETRYABLE_FLAG)
            ):
                holding = True
            if holding:
                held.append(message)
            else:
                await send(message)

        await self.app(scope, receive, first_send)
        if not holding:
            return
        state[_RETRYABLE_FLAG] = False
        log.info("database_read_retried", path=scope.get("path"))
        await self.app(scope, _empty_body(receive), send)


def _empty_body(receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return replay


def install_database_error_handling(app: FastAPI) -> None:
    """503 + Retry-After for transient database errors (other database errors stay 500), and one retry
    of reads. Call before adding outer middleware: the retry must sit outside the exception handlers."""
    app.add_exception_handler(DBAPIError, _database_error_handler)
    app.add_exception_handler(PoolTimeout, _database_error_handler)
    app.add_middleware(ReadRetryMiddleware)


def _creation_time(context: Any) -> dt.datetime:
    """An inserted row's first updated_at: its created_at when the insert names one."""
    try:
        created = context.get_current_parameters().get("created_at")
    except KeyError:  # a multi-row VALUES insert: SQLAlchemy cannot show one row's parameters
        created = None
    return created if isinstance(created, dt.datetime) else dt.datetime.now(dt.UTC)


def _change_time() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def updated_at_column() -> Any:
    """``updated_at`` that moves on every UPDATE of the row, ORM flush or set-based ``update()`` alike.

    Integrators sync with ``updated_since``, so a change that does not move it is lost to them. Statements
    that set ``updated_at`` themselves keep their value; raw SQL UPDATEs must set it explicitly.
    """
    return mapped_column(UTCDateTime(), default=_creation_time, onupdate=_change_time)
