"""Cursor (keyset) pagination: ``?limit=50&cursor=…`` → ``{"items": […], "next_cursor": …}``.

The cursor is an opaque URL-safe encoding of the sort key of the last item returned; ordering must be
total (end the key with a unique column) so pages never skip or repeat rows under concurrent inserts.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import BigInteger, Integer, Select, String, tuple_
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
