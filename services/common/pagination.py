"""Cursor (keyset) pagination: ``?limit=50&cursor=…`` → ``{"items": […], "next_cursor": …}``.

The cursor is an opaque URL-safe encoding of the sort key of the last item returned; ordering must be
total (end the key with a unique column) so pages never skip or repeat rows under concurrent inserts.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, WithJsonSchema
from sqlalchemy import BigInteger, Integer, Select, String, and_, or_, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from services.common.errors import ValidationProblem
from services.common.messages import Message
from services.common.text import is_clean

T = TypeVar("T")
MAX_LIMIT = 500
DEFAULT_LIMIT = 50


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    cursor: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1-500)")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="Opaque cursor from `next_cursor`")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# What a cursor value may be, per key column: its Python type and bounds. A cursor is client input: a
# value of the wrong type or range would otherwise reach the database driver and fail there (500).
_INT32 = 2**31
_INT64 = 2**63


def _accepts(column: ColumnElement[Any] | InstrumentedAttribute[Any]) -> Callable[[Any], bool]:
    column_type = column.type
    if isinstance(column_type, BigInteger):
        return lambda v: type(v) is int and -_INT64 <= v < _INT64
    if isinstance(column_type, Integer):
        return lambda v: type(v) is int and -_INT32 <= v < _INT32
    if isinstance(column_type, String):
        length = column_type.length or 512
        # No control characters or lone surrogates (a JSON "\ud800" escape): the driver cannot send them.
        return lambda v: type(v) is str and len(v) <= length and is_clean(v)
    raise TypeError(f"no cursor codec for key column type {column_type!r}")


def decode_cursor(
    cursor: str, columns: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]]
) -> list[Any]:
    """The key values in ``cursor``, each checked against its column; 422 problem on ``cursor`` else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationProblem.single("cursor", Message("pagination.malformed_cursor")) from None
    if not isinstance(values, list) or len(values) != len(columns):
        raise ValidationProblem.single("cursor", Message("pagination.malformed_cursor"))
    if not all(_accepts(column)(value) for column, value in zip(columns, values, strict=True)):
        raise ValidationProblem.single("cursor", Message("pagination.malformed_cursor"))
    return values


def paginate(
    session: Session,
    statement: Select[Any],
    *,
    key_columns: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]],
    params: PageParams,
    key_of: Callable[[Any], Sequence[Any]],
    scalars: bool = True,
) -> tuple[list[Any], str | None]:
    """Run ``statement`` one page at a time, ordered by ``key_columns`` ascending.

    ``key_of(row)`` returns the row's values for ``key_columns`` (JSON-serialisable), from which the
    next cursor is built. Reads ``limit + 1`` rows to know whether another page exists.
    """
    if params.cursor:
        after = decode_cursor(params.cursor, key_columns)
        if len(key_columns) == 1:
            statement = statement.where(key_columns[0] > after[0])
        else:
            statement = statement.where(tuple_(*key_columns) > tuple_(*after))
    statement = statement.order_by(*key_columns).limit(params.limit + 1)
    result = session.execute(statement)
    rows = list(result.scalars() if scalars else result.all())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        next_cursor = encode_cursor(key_of(rows[-1]))
    return rows, next_cursor


# --- lists integrators sync from ---------------------------------------------------------------------


class ListSort(StrEnum):
    """Orders a synced collection can be read in; each is a total order ending in the id."""

    created_at = "created_at"
    newest_first = "-created_at"
    updated_at = "updated_at"


# RFC 3339 date-time; Python's fromisoformat alone also takes week dates, basic format and the like.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?")


def parse_instant(value: str, field: str) -> dt.datetime:
    """An RFC 3339 date-time with an offset, as an aware UTC datetime; 422 problem on ``field`` else."""
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise ValidationProblem.single(field, Message("pagination.instant_not_rfc3339"))
    if match.group(2) is None:
        raise ValidationProblem.single(field, Message("pagination.instant_without_offset"))
    text = value.upper().replace("Z", "+00:00")
    if match.group(1) and len(match.group(1)) > 7:  # nanoseconds: Python keeps microseconds
        text = text.replace(match.group(1), match.group(1)[:7], 1)
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise ValidationProblem.single(field, Message("pagination.instant_invalid")) from None


# Parsed by parse_instant (reasons a client can act on); documented as the date-time it must be.
InstantText = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time", "maxLength": 40})]


class ListParams(PageParams):
    sort: ListSort = ListSort.created_at
    updated_since: dt.datetime | None = None


def list_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1-500)")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=512, description="Opaque cursor from `next_cursor`, valid with the same `sort`"),
    ] = None,
    sort: Annotated[
        ListSort,
        Query(
            description="`created_at` (default, oldest first), `-created_at` (newest first) or `updated_at` "
            "(least recently changed first: the order to sync in). Ties are broken by id."
        ),
    ] = ListSort.created_at,
    updated_since: Annotated[
        InstantText | None,
        Query(
            max_length=40,
            description="Only items changed at or after this instant (RFC 3339 with an offset, e.g. "
            "2026-12-01T09:00:00+07:00). Sync with `sort=updated_at` from the newest `updated_at` seen "
            "minus 30 minutes (a long transaction, the monthly billing run, commits rows stamped earlier).",
        ),
    ] = None,
) -> ListParams:
    since = parse_instant(updated_since, "updated_since") if updated_since is not None else None
    return ListParams(limit=limit, cursor=cursor, sort=sort, updated_since=since)


def paginate_list(
    session: Session,
    statement: Select[Any],
    *,
    created_at: InstrumentedAttribute[dt.datetime],
    updated_at: InstrumentedAttribute[dt.datetime],
    id_column: InstrumentedAttribute[Any],
    params: ListParams,
    ids_follow_creation: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of ORM rows of ``statement`` in ``params.sort`` order, after ``params.updated_since``.

    The cursor carries the sort's name and the last row's (timestamp, id), so a page boundary inside a
    run of equal timestamps neither skips nor repeats a row, and a cursor of another sort is refused.
    ``ids_follow_creation``: the ids come from a sequence, so creation order is id order and the
    creation sorts walk the primary key (no (created_at, id) index needed).
    """
    if params.updated_since is not None:
        statement = statement.where(updated_at >= params.updated_since)
    descending = params.sort is ListSort.newest_first
    moment: InstrumentedAttribute[dt.datetime] | None = (
        updated_at if params.sort is ListSort.updated_at else None if ids_follow_creation else created_at
    )
    if params.cursor:
        after_moment, after_id = _decode_list_cursor(
            params.cursor, params.sort, id_column, with_moment=moment is not None
        )
        if moment is None:
            statement = statement.where(id_column < after_id if descending else id_column > after_id)
        # The plain bound on the timestamp lets the (timestamp, id) index start at the cursor; the OR
        # then only sorts out the rows that share the cursor's timestamp.
        elif descending:
            statement = statement.where(
                moment <= after_moment,
                or_(moment < after_moment, and_(moment == after_moment, id_column < after_id)),
            )
        else:
            statement = statement.where(
                moment >= after_moment,
                or_(moment > after_moment, and_(moment == after_moment, id_column > after_id)),
            )
    keys = [id_column] if moment is None else [moment, id_column]
    order = [key.desc() if descending else key.asc() for key in keys]
    rows = list(session.execute(statement.order_by(*order).limit(params.limit + 1)).scalars())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        last_moment = None if moment is None else getattr(last, moment.key).astimezone(dt.UTC).isoformat()
        next_cursor = encode_cursor([params.sort.value, last_moment, getattr(last, id_column.key)])
    return rows, next_cursor


def _decode_list_cursor(
    cursor: str, sort: ListSort, id_column: InstrumentedAttribute[Any], *, with_moment: bool
) -> tuple[dt.datetime | None, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationProblem.single("cursor", Message("pagination.malformed_cursor")) from None
    if not isinstance(values, list) or len(values) != 3:
        raise ValidationProblem.single("cursor", Message("pagination.malformed_cursor"))
    if values[0] != sort.value:
        raise ValidationProblem.single("cursor", Message("pagination.cursor_other_sort"))
    if not _accepts(id_column)(values[2]):
        raise ValidationProblem.single("cursor", Message("pagination.malformed_cursor"))
    if not with_moment:
        if values[1] is not None:
            raise ValidationProblem.single("cursor", Message("pagination.malformed_cursor"))
        return None, values[2]
    if not isinstance(values[1], str):
        raise ValidationProblem.single("cursor", Message("pagination.malformed_cursor"))
    try:
        moment = dt.datetime.fromisoformat(values[1])
    except ValueError:
        raise ValidationProblem.single("cursor", Message("pagination.malformed_cursor")) from None
    if moment.tzinfo is None:
        raise ValidationProblem.single("cursor", Message("pagination.malformed_cursor"))
    return moment.astimezone(dt.UTC), values[2]
