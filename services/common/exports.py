"""Tabular exports (CSV and XLSX) written in one place, safe to open in a spreadsheet.

- Format: ``?format=csv|xlsx`` wins; otherwise the ``Accept`` header (``text/csv`` or the XLSX media type,
  ``*/*`` meaning CSV); an ``Accept`` naming neither is a 406 problem.
- CSV: UTF-8 with a byte-order mark (Excel then reads it as UTF-8, not the ANSI code page), ``,`` as the
  separator (RFC 4180; Excel in an Indonesian locale expects ``;`` on double-click, so Excel users open it
  through Data → From Text/CSV, or take the XLSX), fields quoted when they hold a separator, a quote or a
  line break, CRLF line ends.
- XLSX: openpyxl's write-only mode (rows go to disk as they come, memory stays flat); every text cell is
  written as a string cell, never as a formula; dates are date cells shown ``yyyy-mm-dd``.
- Formula injection (OWASP "CSV injection"): a text value starting with ``=``, ``+``, ``-``, ``@``, tab
  or carriage return (or their full-width forms) gets a leading ``'`` in both formats, so no spreadsheet
  evaluates it. Numbers (money is integer rupiah) stay numbers.
- Values are converted by the caller: money as ``int``, dates as ``date``, times as aware datetimes
  already in the village's zone (written ISO 8601 with their offset; spreadsheets have no zones).

The file is built in a spooled temporary file (memory up to a few MiB, disk beyond) while the request
still holds its database session, then streamed to the client in chunks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from typing import IO, Annotated, Any

from fastapi import Header, Query
from fastapi.responses import StreamingResponse

from services.common.errors import ProblemError
from services.common.messages import Message

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EXPORT_ROWS = 200_000
_SPOOL_BYTES = 4 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024

# First characters a spreadsheet may read as the start of a formula (OWASP), and their full-width forms,
# which some Excel locales fold to the ASCII ones.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
# Characters XML 1.0 cannot hold (openpyxl refuses them); none belongs in Sasar's text anyway.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Cell = str | int | dt.date | dt.datetime | None


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"

    @property
    def media_type(self) -> str:
        return CSV_MEDIA_TYPE if self is ExportFormat.csv else XLSX_MEDIA_TYPE


class NotAcceptable(ProblemError):
    status, slug = 406, "not-acceptable"


class ExportTooLarge(ProblemError):
    status, slug = 413, "payload-too-large"


def neutralise(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would otherwise read it as a formula."""
    return "'" + value if value[:1] in FORMULA_TRIGGERS else value


def _accepted_types(accept: str) -> list[str]:
    """Media types of an ``Accept`` header, highest quality first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if pieces[0] and quality > 0:
            ranked.append((-quality, position, pieces[0].lower()))
    return [media for _, _, media in sorted(ranked)]


def choose_format(requested: ExportFormat | None, accept: str | None) -> ExportFormat:
    """``?format=`` if given, else the best of ``Accept`` that Sasar can write; CSV when either is open."""
    if requested is not None:
        return requested
    if not accept:
        return ExportFormat.csv
    for media in _accepted_types(accept):
        if media == XLSX_MEDIA_TYPE:
            return ExportFormat.xlsx
        if media in (CSV_MEDIA_TYPE, "text/*", "*/*"):
            return ExportFormat.csv
    raise NotAcceptable(
        Message("export.not_acceptable", csv=CSV_MEDIA_TYPE, xlsx=XLSX_MEDIA_TYPE),
        errors=[{"field": "Accept", "reason": Message("export.not_acceptable_reason")}],
    )


def export_format(
    format: Annotated[
        ExportFormat | None,
        Query(description="csv or xlsx; overrides the Accept header (default csv)"),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False, max_length=1000)] = None,
) -> ExportFormat:
    """FastAPI dependency: the format a request asks for."""
    return choose_format(format, accept)


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _write_csv(target: IO[bytes], columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in columns])
    for count, row in enumerate(rows, start=1):
        _check_size(count)
        writer.writerow([_csv_text(v) for v in row])
    text.flush()
    text.detach()  # leave ``target`` open for the response


def _write_xlsx(
    target: IO[bytes], columns: Sequence[str], rows: Iterable[Sequence[Cell]], sheet_title: str
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31] or "export")
    # Readable as opened: the header stays in view and columns fit their names (ids and times are long).
    sheet.freeze_panes = "A2"
    for index, name in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(name) + 2)

    def cell(value: Cell) -> Any:
        if isinstance(value, str):
            written = WriteOnlyCell(sheet, value=neutralise(_XML_ILLEGAL.sub("", value)))
            written.data_type = "s"  # a string cell even if openpyxl took it for a formula
            return written
        if isinstance(value, dt.datetime):
            return cell(value.isoformat())  # Excel has no time zones: keep the offset as text
        if isinstance(value, dt.date):
            written = WriteOnlyCell(sheet, value=value)
            written.number_format = "yyyy-mm-dd"
            return written
        return value

    try:
        sheet.append([cell(c) for c in columns])
        for count, row in enumerate(rows, start=1):
            _check_size(count)
            sheet.append([cell(v) for v in row])
    except BaseException:
        # Finish the half-written sheet so openpyxl's temporary file is closed and removed now.
        sheet.close()
        sheet._writer.cleanup()
        raise
    workbook.save(target)


def _check_size(count: int) -> None:
    if count > MAX_EXPORT_ROWS:
        raise ExportTooLarge(Message("export.too_large", limit=MAX_EXPORT_ROWS))


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := spool.read(_CHUNK_BYTES):
            yield chunk
    finally:
        spool.close()


def write_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    export: ExportFormat,
    *,
    sheet_title: str = "export",
) -> IO[bytes]:
    """The whole file in a spooled temporary file, positioned at its start."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (closed by caller)
    try:
        if export is ExportFormat.csv:
            _write_csv(spool, columns, rows)
        else:
            _write_xlsx(spool, columns, rows, sheet_title)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def safe_filename(stem: str) -> str:
    """ASCII letters, digits, single ``.``, ``-`` and ``_`` only: safe inside a quoted Content-Disposition."""
    return re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9._-]+", "-", stem)).strip("-.") or "export"


def export_response(
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    export: ExportFormat,
    *,
    filename: str,
    sheet_title: str = "export",
) -> StreamingResponse:
    """A download of ``rows`` (built now, streamed afterwards) named ``<filename>.csv|.xlsx``."""
    spool = write_table(columns, rows, export, sheet_title=sheet_title)
    name = f"{safe_filename(filename)}.{export.value}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    media_type = f"{CSV_MEDIA_TYPE}; charset=utf-8" if export is ExportFormat.csv else XLSX_MEDIA_TYPE
    return StreamingResponse(_chunks(spool), media_type=media_type, headers=headers)


EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file (attachment), CSV or XLSX",
        "content": {
            CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    },
    406: {"description": "Accept names neither text/csv nor the XLSX media type"},
    413: {"description": f"More than {MAX_EXPORT_ROWS:,} rows: narrow the export with its filters"},
}
