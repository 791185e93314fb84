"""Structured logs (structlog): JSON lines on stdout with the request id bound, NIKs and secrets masked."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

_NIK_IN_TEXT = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{2})(?!\d)")


def mask_niks_in_text(text: str) -> str:
    """Mask anything that looks like a 16-digit NIK (national id): PII never reaches the logs."""
    return _NIK_IN_TEXT.sub(lambda m: f"{m.group(1)}{'*' * 10}{m.group(2)}", text)


# An officer's calendar feed URL is its own credential (``/v1/calendar-feeds/<secret>.ics``): the path
# segment is masked whatever it holds, and a ``cf_…`` secret anywhere else too.
_FEED_SECRET_IN_PATH = re.compile(r"(calendar-feeds/)[^/?#\s\"']+")
_FEED_SECRET = re.compile(r"(?<![A-Za-z0-9_-])cf_[A-Za-z0-9_-]{16,}")


def mask_secrets_in_text(text: str) -> str:
    """Mask calendar feed secrets (request paths are logged by every component)."""
    if "cf_" not in text and "calendar-feeds/" not in text:
        return text
    return _FEED_SECRET.sub("cf_***", _FEED_SECRET_IN_PATH.sub(r"\1***", text))


def mask_log_text(text: str) -> str:
    """What every log line goes through: NIKs and secrets masked."""
    return mask_secrets_in_text(mask_niks_in_text(text))


def _mask_pii(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if isinstance(value, str):
            event_dict[key] = mask_log_text(value)
    return event_dict


class NikMaskingFilter(logging.Filter):
    """Masks NIKs in stdlib log records (uvicorn's access and error logs, SQLAlchemy, libraries)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Arguments are masked in place, not merged into the message: uvicorn's access formatter
        # unpacks record.args itself.
        if isinstance(record.msg, str):
            record.msg = mask_log_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        return True


def _masked(value: object) -> object:
    return mask_log_text(value) if isinstance(value, str) else value


# Loggers whose records are formatted by handlers uvicorn installs itself (not propagated to root).
_STDLIB_LOGGERS = ("", "uvicorn", "uvicorn.access", "uvicorn.error", "sqlalchemy")


def install_nik_masking() -> None:
    """Attach the masking filter to the loggers and their handlers (idempotent).

    Logger filters only see records logged on that logger and handler filters see propagated ones,
    so both are needed for every line to be masked.
    """
    for name in _STDLIB_LOGGERS:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, NikMaskingFilter) for f in target.filters):
                target.addFilter(NikMaskingFilter())


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
    install_nik_masking()
