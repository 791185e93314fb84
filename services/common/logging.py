"""Structured logs (structlog): JSON lines on stdout with the request id bound, NIKs masked."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_NIK_IN_TEXT = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{2})(?!\d)")


def mask_niks_in_text(text: str) -> str:
    """Mask anything that looks like a 16-digit NIK (national id): PII never reaches the logs."""
    return _NIK_IN_TEXT.sub(lambda m: f"{m.group(1)}{'*' * 10}{m.group(2)}", text)


def _mask_pii(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if isinstance(value, str):
            event_dict[key] = mask_niks_in_text(value)
    return event_dict


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    """Idempotent: safe to call from every app factory and the CLI."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _mask_pii,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=numeric, stream=sys.stdout, format="%(levelname)s %(name)s %(message)s")
