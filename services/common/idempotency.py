"""``Idempotency-Key``: a retried POST never creates money or people twice.

The key is claimed by inserting a row in the **same transaction** as the change it guards:
- a concurrent duplicate blocks on the unique key until the first commits, then replays its answer
  (PostgreSQL row lock; SQLite's single writer), so exactly one effect happens;
- if the change fails, the claim rolls back with it and a retry runs afresh;
- same key + same body within 24 h → the stored response; same key + another body → 422.
Keys are scoped per caller (principal), so two villages can never collide.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.db import UTCDateTime
from services.common.errors import Conflict, ValidationProblem
from services.common.messages import Message
from services.common.principal import Principal
from services.common.timeutil import utcnow

RETENTION = dt.timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=255,
        description="Unique per intended effect (e.g. a UUID). Retries with the same key and body replay the "
        "first answer; the same key with another body is refused (422).",
    ),
]


def make_idempotency_table(metadata: MetaData) -> Table:
    """The claims table, declared in each service's own MetaData (one per database)."""
    return Table(
        "idempotency_keys",
        metadata,
        Column("scope", String(120), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("response_body", Text, nullable=True),
        Column("created_at", UTCDateTime(), nullable=False, index=True),
    )


def fingerprint(method: str, path: str, payload: Any) -> str:
    canonical = json.dumps(
        {"method": method, "path": path, "body": jsonable_encoder(payload)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


def claim(session: Session, table: Table, *, scope: str, key: str, print_: str) -> StoredResponse | None:
    """Claim ``key`` for this transaction; the stored response when it was already used."""
    now = utcnow()
    lookup = select(table).where(table.c.scope == scope, table.c.key == key)
    existing = session.execute(lookup).first()
    if existing is not None and existing.created_at < now - RETENTION:
        session.execute(delete(table).where(table.c.scope == scope, table.c.key == key))
        existing = None
    if existing is None:
        try:
            with session.begin_nested():
                session.execute(
                    insert(table).values(scope=scope, key=key, fingerprint=print_, created_at=now)
                )
            return None
        except IntegrityError:
            # Another request holding the same key committed first (we waited on its lock): replay it.
            existing = session.execute(
                select(table).where(table.c.scope == scope, table.c.key == key)
            ).first()
            if existing is None:
                raise Conflict(Message("idempotency.in_progress")) from None
    if existing.fingerprint != print_:
        raise ValidationProblem.single("Idempotency-Key", Message("idempotency.other_body"))
    if existing.status_code is None:
        raise Conflict(Message("idempotency.in_progress"))
    return StoredResponse(existing.status_code, json.loads(existing.response_body or "null"))


def remember(session: Session, table: Table, *, scope: str, key: str, status_code: int, body: Any) -> None:
    session.execute(
        update(table)
        .where(table.c.scope == scope, table.c.key == key)
        .values(status_code=status_code, response_body=json.dumps(body))
    )
    session.flush()


def idempotent_json(
    session: Session,
    table: Table,
    *,
    scope: str,
    key: str | None,
    method: str,
    path: str,
    payload: Any,
    status_code: int,
    produce: Callable[[], Any],
) -> JSONResponse:
    """Run ``produce`` once per (scope, key, body) and answer JSON; without a key just run it."""
    if key is None:
        return JSONResponse(jsonable_encoder(produce()), status_code=status_code)
    print_ = fingerprint(method, path, payload)
    stored = claim(session, table, scope=scope, key=key, print_=print_)
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status_code, headers={REPLAY_HEADER: "true"})
    body = jsonable_encoder(produce())
    remember(session, table, scope=scope, key=key, status_code=status_code, body=body)
    return JSONResponse(body, status_code=status_code)


def idempotent_post(
    session: Session,
    table: Table,
    *,
    principal: Principal,
    key: str | None,
    path: str,
    payload: BaseModel | Mapping[str, Any],
    produce: Callable[[], Any],
    status_code: int = 201,
) -> JSONResponse:
    """A creating POST made at most once per (caller, key, body): the form every route uses."""
    body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else dict(payload)
    return idempotent_json(
        session,
        table,
        scope=principal.actor,
        key=key,
        method="POST",
        path=path,
        payload=body,
        status_code=status_code,
        produce=produce,
    )
