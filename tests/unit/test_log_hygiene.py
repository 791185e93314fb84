"""Personal data and proxy trust at the process edges: access logs, SQL in tracebacks, uvicorn flags."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from uvicorn.config import LOGGING_CONFIG
from uvicorn.main import main as uvicorn_main

from sasar.cli import proxy_header_args
from services.common.db import Database
from services.common.logging import install_nik_masking

NIK = "3326151203850001"


@pytest.fixture
def uvicorn_logging() -> Iterator[io.StringIO]:
    """uvicorn's own logging configuration (as a server installs it), its output captured."""
    logging.config.dictConfig(LOGGING_CONFIG)
    stream = io.StringIO()
    handlers = [*logging.getLogger("uvicorn.access").handlers, *logging.getLogger("uvicorn").handlers]
    for handler in handlers:
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
    yield stream
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).filters.clear()


def test_uvicorn_access_and_error_logs_mask_niks(uvicorn_logging: io.StringIO) -> None:
    install_nik_masking()
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/v1/workers?q={NIK}", "1.1", 200
    )
    logging.getLogger("uvicorn.error").error("bad request for %s", NIK)
    logging.getLogger("uvicorn.error").error(f"inline {NIK}")
    output = uvicorn_logging.getvalue()
    assert "GET /v1/workers?q=3326**********01" in output
    assert "bad request for 3326**********01" in output
    assert "inline 3326**********01" in output
    assert NIK not in output


def test_sql_errors_do_not_carry_parameters(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with database.engine.connect() as connection, pytest.raises(SQLAlchemyError) as raised:
            connection.execute(text("SELECT * FROM no_such_table WHERE nik = :nik"), {"nik": NIK})
        assert NIK not in str(raised.value)
    finally:
        database.dispose()


def test_proxy_headers_are_believed_only_from_configured_addresses() -> None:
    default = uvicorn_main.make_context("uvicorn", ["app:create", *proxy_header_args("")])
    assert default.params["proxy_headers"] is False
    configured = uvicorn_main.make_context("uvicorn", ["app:create", *proxy_header_args(" 10.0.0.5 ")])
    assert configured.params["proxy_headers"] is True
    assert configured.params["forwarded_allow_ips"] == "10.0.0.5"
