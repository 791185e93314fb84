"""Offline field sync: attendance and leads captured on the officer's phone, sent in batches.

Every item carries a client-generated UUID (``client_id``). Items are validated one by one in Python
(a bad item is rejected alone, with its reasons), then the valid ones are written set-based: one
multi-row ``INSERT … ON CONFLICT (client_id) DO NOTHING RETURNING`` per table. Replaying a batch finds
every ``client_id`` already stored with the same content fingerprint → ``unchanged``; the same
``client_id`` with different content is ``rejected`` (never silently ignored).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Table, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from services.common.errors import FieldError, Forbidden, field_errors_from_validation
from services.common.messages import Message, current_language, localise
from services.common.principal import Principal, PrincipalKind, Scope
from services.common.timeutil import utcnow
from services.outreach import officers
from services.outreach.models import Attendance, Lead, OutreachSession
from services.outreach.schemas import (
    AttendanceSyncItem,
    LeadStatus,
    LeadSyncItem,
    SyncIn,
    SyncItemError,
    SyncItemResult,
    SyncItemStatus,
    SyncOut,
)

_CHUNK = 500  # keeps IN lists and VALUES lists well under SQLite's bound-parameter limit


@dataclass
class _Pending:
    """A valid item waiting to be written: its result slot, row values and content fingerprint."""

    index: int
    client_id: str
    fingerprint: str
    row: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _SessionInfo:
    village_code: str
    officer_id: int
    starts_at: dt.datetime


_NOT_ASSIGNED = "you were not assigned to this village on that day (or the assignment has ended)"


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def fingerprint(item: BaseModel) -> str:
    canonical = json.dumps(item.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _rejected(client_id: Any, errors: Sequence[FieldError]) -> SyncItemResult:
    return SyncItemResult(
        client_id=client_id if isinstance(client_id, str) else None,
        status=SyncItemStatus.rejected,
        # The device reads these in its caller's language, like a problem's reasons.
        errors=[
            SyncItemError(field=e["field"], reason=localise(e["reason"], current_language())) for e in errors
        ],
    )


def _validate(
    raw_items: list[Any], model: type[BaseModel]
) -> tuple[list[SyncItemResult | None], list[tuple[int, Any]]]:
    """Results pre-filled with rejections; the (index, parsed item) pairs that passed."""
    results: list[SyncItemResult | None] = [None] * len(raw_items)
    valid: list[tuple[int, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        try:
            item = model.model_validate(raw)
        except ValidationError as error:
            client_id = raw.get("client_id") if isinstance(raw, dict) else None
            results[index] = _rejected(client_id, field_errors_from_validation(error.errors()))
            continue
        client_id = str(item.client_id)  # type: ignore[attr-defined]
        if client_id in seen:
            results[index] = _rejected(
                client_id, [{"field": "client_id", "reason": Message("sync.repeated")}]
            )
            continue
        seen.add(client_id)
        valid.append((index, item))
    return results, valid


def _load_sessions(session: Session, ids: set[int]) -> dict[int, _SessionInfo]:
    found: dict[int, _SessionInfo] = {}
    ordered = sorted(ids)
    for chunk in _chunks(ordered):
        statement = select(
            OutreachSession.id,
            OutreachSession.village_code,
            OutreachSession.officer_id,
            OutreachSession.starts_at,
        ).where(OutreachSession.id.in_(chunk))
        for session_id, village_code, officer_id, starts_at in session.execute(statement):
            found[session_id] = _SessionInfo(village_code, officer_id, starts_at)
    return found


def _session_allowed(info: _SessionInfo | None, principal: Principal) -> bool:
    if info is None:
        return False
    own = officers.own_officer_id(principal)
    if own is not None:
        return info.officer_id == own and principal.can_access_village(info.village_code)
    return principal.is_internal


def _insert_new(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """``INSERT … ON CONFLICT (client_id) DO NOTHING RETURNING client_id, id`` for ``rows``.

    PostgreSQL gets the rows as one JSON parameter expanded server-side (``jsonb_to_recordset``): a
    multi-row VALUES list would bind thousands of parameters, which psycopg spends most of the time
    converting. SQLite gets the portable multi-row insert.
    """
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        statement = (
            sqlite.insert(table)
            .on_conflict_do_nothing(index_elements=["client_id"])
            .returning(table.c.client_id, table.c.id)
        )
        return [(str(c), int(i)) for c, i in session.execute(statement, rows)]
    names = list(rows[0])
    definitions = ", ".join(f"{name} {table.c[name].type.compile(dialect=dialect)}" for name in names)
    columns = ", ".join(names)
    # Column names and types come from our own table definition, never from the request.
    expanded = text(
        f"INSERT INTO {table.name} ({columns}) "
        f"SELECT {columns} FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({definitions}) "
        "ON CONFLICT (client_id) DO NOTHING RETURNING client_id, id"
    )
    payload = json.dumps(rows, default=_json_default)
    return [(str(c), int(i)) for c, i in session.execute(expanded, {"rows": payload})]


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _write(
    session: Session,
    table: Table,
    pending: list[_Pending],
    results: list[SyncItemResult | None],
) -> None:
    """Insert what is new in one statement per chunk; classify everything else by fingerprint."""
    if not pending:
        return
    by_client = {p.client_id: p for p in pending}
    existing: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(list(by_client)):
        statement = select(table.c.client_id, table.c.id, table.c.fingerprint).where(
            table.c.client_id.in_(chunk)
        )
        for client_id, row_id, print_ in session.execute(statement):
            existing[client_id] = (row_id, print_)
    # Sorted so concurrent uploads of overlapping batches take unique-key locks in one order (no deadlock).
    fresh = sorted((p for p in pending if p.client_id not in existing), key=lambda p: p.client_id)
    created: dict[str, int] = {}
    if fresh:
        for chunk in _chunks(fresh):
            for client_id, row_id in _insert_new(session, table, [p.row for p in chunk]):
                created[client_id] = row_id
        lost = [p.client_id for p in fresh if p.client_id not in created]
        # Rows another request inserted between our read and our insert: read them back.
        for chunk in _chunks(lost):
            statement_back = select(table.c.client_id, table.c.id, table.c.fingerprint).where(
                table.c.client_id.in_(chunk)
            )
            for client_id, row_id, print_ in session.execute(statement_back):
                existing[client_id] = (row_id, print_)
    for item in pending:
        if item.client_id in created:
            results[item.index] = SyncItemResult(
                client_id=item.client_id, status=SyncItemStatus.created, id=created[item.client_id]
            )
            continue
        stored = existing.get(item.client_id)
        if stored is None:
            # Inserted by a concurrent request that then rolled back: nothing stored, the phone retries.
            results[item.index] = _rejected(
                item.client_id, [{"field": "client_id", "reason": Message("sync.in_progress")}]
            )
            continue
        row_id, print_ = stored
        if print_ == item.fingerprint:
            results[item.index] = SyncItemResult(
                client_id=item.client_id, status=SyncItemStatus.unchanged, id=row_id
            )
        else:
            results[item.index] = _rejected(
                item.client_id,
                [{"field": "client_id", "reason": Message("sync.other_content")}],
            )


def _assignment_check(session: Session, principal: Principal) -> Callable[[str, dt.datetime], bool]:
    """``allowed(village, captured_at)`` from the officer's own assignments (read once per batch); other
    callers (``outreach:admin``) are not bound to assignments."""
    own = officers.own_officer_id(principal)
    if own is None:
        return lambda _village, _captured_at: True
    spans = officers.assignment_spans(session, own)
    now = utcnow()
    return lambda village, captured_at: officers.capture_allowed(spans, village, captured_at, now)


def _sync_attendance(session: Session, raw_items: list[Any], principal: Principal) -> list[SyncItemResult]:
    results, valid = _validate(raw_items, AttendanceSyncItem)
    sessions = _load_sessions(session, {item.session_id for _, item in valid})
    assigned = _assignment_check(session, principal)
    now = utcnow()
    pending: list[_Pending] = []
    for index, item in valid:
        info = sessions.get(item.session_id)
        if not _session_allowed(info, principal) or info is None:
            results[index] = _rejected(
                str(item.client_id), [{"field": "session_id", "reason": Message("sync.unknown_session")}]
            )
            continue
        if not assigned(info.village_code, info.starts_at):
            reason: FieldError = {"field": "session_id", "reason": _NOT_ASSIGNED}
            results[index] = _rejected(str(item.client_id), [reason])
            continue
        print_ = fingerprint(item)
        row = {
            "client_id": str(item.client_id),
            "session_id": item.session_id,
            "name": item.name,
            "phone": item.phone,
            "nik": item.nik,
            "fingerprint": print_,
            "created_by": principal.actor,
            "created_at": now,
        }
        pending.append(_Pending(index, str(item.client_id), print_, row))
    _write(session, Attendance.__table__, pending, results)  # type: ignore[arg-type]
    return [r for r in results if r is not None]


def _sync_leads(session: Session, raw_items: list[Any], principal: Principal) -> list[SyncItemResult]:
    results, valid = _validate(raw_items, LeadSyncItem)
    sessions = _load_sessions(session, {item.session_id for _, item in valid if item.session_id is not None})
    own = officers.own_officer_id(principal)
    assigned = _assignment_check(session, principal)
    now = utcnow()
    pending: list[_Pending] = []
    for index, item in valid:
        client_id = str(item.client_id)
        if not principal.can_access_village(item.village_code):
            results[index] = _rejected(
                client_id, [{"field": "village_code", "reason": Message("sync.not_assigned")}]
            )
            continue
        # The token's villages may be minutes old: the assignment table decides, for the capture's day.
        if not assigned(item.village_code, min(item.consent_given_at, now)):
            results[index] = _rejected(client_id, [{"field": "village_code", "reason": _NOT_ASSIGNED}])
            continue
        officer_id = own
        if item.session_id is not None:
            info = sessions.get(item.session_id)
            if not _session_allowed(info, principal) or info is None:
                results[index] = _rejected(
                    client_id, [{"field": "session_id", "reason": Message("sync.unknown_session")}]
                )
                continue
            if info.village_code != item.village_code:
                results[index] = _rejected(
                    client_id, [{"field": "session_id", "reason": Message("sync.other_village")}]
                )
                continue
            officer_id = info.officer_id
        if item.consent_given_at > now:
            results[index] = _rejected(
                client_id, [{"field": "consent_given_at", "reason": Message("time.not_future")}]
            )
            continue
        print_ = fingerprint(item)
        row = {
            "client_id": client_id,
            "session_id": item.session_id,
            "village_code": item.village_code,
            "officer_id": officer_id,
            "name": item.name,
            "phone": item.phone,
            "nik": item.nik,
            "occupation": item.occupation,
            "consent_given_at": item.consent_given_at,
            "consent_captured_by": item.consent_captured_by or principal.actor,
            "status": LeadStatus.open.value,
            "linked_existing": False,
            "fingerprint": print_,
            "created_by": principal.actor,
            "created_at": now,
            "updated_at": now,
        }
        pending.append(_Pending(index, client_id, print_, row))
    _write(session, Lead.__table__, pending, results)  # type: ignore[arg-type]
    return [r for r in results if r is not None]


def sync(session: Session, data: SyncIn, principal: Principal) -> SyncOut:
    """Store a batch from the field; one result per item, in the order sent."""
    if principal.kind is PrincipalKind.village:
        raise Forbidden(Message("outreach.sync_officers"))
    if principal.kind is PrincipalKind.internal:
        principal.require_scope(Scope.outreach_admin)
    officers.require_active_officer(session, principal)
    attendance = _sync_attendance(session, data.attendance, principal)
    leads = _sync_leads(session, data.leads, principal)
    session.flush()
    return SyncOut(attendance=attendance, leads=leads)
