"""Optimistic concurrency: resources carry a ``version``; GET answers ``ETag``, PATCH honours ``If-Match``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from services.common.errors import PreconditionFailed
from services.common.messages import Message

IfMatchHeader = Annotated[
    str | None,
    Header(alias="If-Match", description="ETag from a previous GET; the change is refused (412) if stale"),
]


def etag(version: int) -> str:
    return f'W/"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """412 when the client's ETag is not the current one (``*`` or no header accepts any version)."""
    if if_match is None:
        return
    candidates = {tag.strip() for tag in if_match.split(",")}
    if "*" in candidates:
        return
    current = etag(version)
    strong = current.removeprefix("W/")
    if current not in candidates and strong not in candidates:
        raise PreconditionFailed(Message("concurrency.changed", current=current))
