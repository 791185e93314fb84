"""Bulk registration from a CSV or XLSX roster, processed by a durable job (see ``registry/jobs.py``).

The columns are the fields of ``POST /v1/workers`` (``nik``, ``temporary``, ``name``, ``birth_date``,
``sex``, ``phone``, ``village_code``, ``occupation``, ``declared_income_idr``, ``programs`` as
``JKK;JKM;JHT``, ``funding``). Every row gets a result: ``accepted``, ``rejected`` (with field errors),
``duplicate_existing`` (the NIK is already registered) or ``duplicate_in_file`` (an earlier row has it).
Valid rows are kept even when others fail.

Set-based: rows are validated in Python chunk by chunk and written to a temporary staging table (COPY on
PostgreSQL, multi-row inserts elsewhere); then a handful of ``INSERT … SELECT`` statements create the
workers, their history and the row results. No ORM object per row.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import queue
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
import structlog
from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import UTCDateTime
from services.common.errors import FieldError, ValidationProblem
from services.common.messages import Message, dump_field_errors
from services.common.pagination import PageParams, paginate
from services.common.principal import Principal, PrincipalKind
from services.common.text import TextError, clean_text, sanitise_label
from services.common.timeutil import today_in_area, utcnow
from services.registry import duplicates, opensid
from services.registry.access import require_read, require_write
from services.registry.events import publish_import_completed, staged_workers_outbox
from services.registry.exceptions import DeceasedNik, ImportNotFound
from services.registry.import_limits import ImportTooCostly, ParseBudget
from services.registry.models import WorkerImport, WorkerImportFile, WorkerImportRow
from services.registry.validation import (
    TEMPORARY_VALIDITY,
    WorkerInput,
    WorkerStatus,
    validate_worker,
)

log = structlog.get_logger("sasar.registry.imports")

MAX_ROWS = 100_000
MAX_BYTES = 40 * 1024 * 1024
CHUNK_ROWS = 5_000
COLUMNS = (
    "nik",
    "temporary",
    "name",
    "birth_date",
    "sex",
    "phone",
    "village_code",
    "occupation",
    "declared_income_idr",
    "programs",
    "funding",
    "officer_id",
    "outreach_session_id",
    "lead_id",
)
REQUIRED_COLUMNS = ("name", "occupation", "declared_income_idr", "programs")
_OVERFLOW = "\x00overflow"  # marks a row with more cells than header columns
# Cells are checked by the common text rule first (no control characters, NFC); their real limits are
# the domain's (a name of 120 characters, an id of 64, a NIK of 16 digits …), with its own reasons.
_CELL_MAX = 1_000
_TRUE = frozenset({"true", "1", "yes", "y", "ya"})
_FALSE = frozenset({"", "false", "0", "no", "n", "tidak"})


class ImportStatus:
    queued = "queued"
    processing = "processing"
    completed = "completed"
    failed = "failed"


class RowResult:
    accepted = "accepted"
    rejected = "rejected"
    duplicate_existing = "duplicate_existing"
    duplicate_in_file = "duplicate_in_file"


ROW_RESULTS = ("accepted", "rejected", "duplicate_existing", "duplicate_in_file")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format, missing columns, too many rows)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- reading files ---------------------------------------------------------------------------------


def detect_format(filename: str, content: bytes) -> str:
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        return "xlsx"
    return "csv"


def _check_header(header: Sequence[str]) -> list[str]:
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h and h not in COLUMNS]
    if unknown:
        raise ImportFileError(
            Message("import.unknown_columns", columns=", ".join(unknown), expected=", ".join(COLUMNS))
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ImportFileError(Message("import.missing_columns", columns=", ".join(missing)))
    if "nik" not in names and "temporary" not in names:
        raise ImportFileError(Message("import.nik_column"))
    return names


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def iter_rows(content: bytes, file_format: str) -> Iterator[tuple[int, dict[str, str]]]:
    """``(row number, {column: text})`` for each non-blank data row; row 2 is the first under the header."""
    for number, names, values in _value_rows(content, file_format):
        cells = dict(zip(names, values, strict=False))
        if len(values) > len(names) and any(values[len(names) :]):
            cells[_OVERFLOW] = "1"
        yield number, cells


def _value_rows(content: bytes, file_format: str) -> Iterator[tuple[int, list[str], list[str]]]:
    """``(row number, column names, cells)`` for each non-blank data row, every file-level check made."""
    if file_format == "xlsx":
        source = _xlsx_rows(content)
    else:
        try:
            textual = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError(Message("import.not_utf8")) from None
        # The delimiter is read off the header line (comma, semicolon as Excel writes in Indonesia, or tab).
        header_line = textual.split("\n", 1)[0]
        delimiter = "," if file_format == _SHEET_AS_CSV else max((",", ";", "\t"), key=header_line.count)
        source = ([c.strip() for c in row] for row in csv.reader(io.StringIO(textual), delimiter=delimiter))
    source = opensid.prepare_rows(source)  # OpenSID exports and Sasar's own neutralised cells
    try:
        header = next(source)
    except StopIteration:
        raise ImportFileError(Message("import.empty")) from None
    except csv.Error as exc:
        raise ImportFileError(Message("import.csv_unreadable", error=str(exc))) from None
    names = _check_header(header)
    count = 0
    budget = ParseBudget()
    try:
        for number, values in enumerate(source, start=2):
            try:
                budget.row()
            except ImportTooCostly as exc:
                raise ImportFileError(exc.reason) from None
            if not any(values):
                continue
            count += 1
            if count > MAX_ROWS:
                raise ImportFileError(Message("import.too_many_rows", limit=MAX_ROWS))
            yield number, names, values
    except csv.Error as exc:
        raise ImportFileError(Message("import.csv_unreadable", error=str(exc))) from None


_SHEET_AS_CSV = "xlsx-as-csv"  # an XLSX sheet's cells, read once and kept as comma-separated text


def _sheet_as_csv(content: bytes) -> bytes:
    """Every row of an XLSX file's first sheet (blank ones too, so row numbers stay the sheet's), as the
    text cells the import reads, in CSV. An import reads its file twice (count, then validate); openpyxl
    took 8 s of CPU per pass over 100,000 rows, re-reading this copy (a few MB) takes a tenth of a second.
    The parse limits apply while the sheet is read."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    budget = ParseBudget()
    for position, values in enumerate(_xlsx_rows(content)):
        try:
            if position:  # the header is not counted, as when the rows are read
                budget.row()
        except ImportTooCostly as exc:
            raise ImportFileError(exc.reason) from None
        writer.writerow(values)
    return buffer.getvalue().encode()


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(Message("import.xlsx_unreadable", error=str(exc))) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    finally:
        workbook.close()


# --- one row ---------------------------------------------------------------------------------------


def parse_row(
    raw: dict[str, str], default_village: str | None
) -> tuple[WorkerInput | None, list[FieldError]]:
    """Text cells → :class:`WorkerInput`, or the cells whose type is wrong."""
    if _OVERFLOW in raw:
        reason = Message("import.row_overflow")
        return None, [{"field": "row", "reason": reason}]
    raw, errors = _clean_cells(raw)
    if errors:
        return None, errors
    unmapped = opensid.unmapped_occupation(raw.get("occupation", ""))
    if unmapped is not None:
        errors.append({"field": "occupation", "reason": unmapped})
    income_text = raw.get("declared_income_idr", "").replace(" ", "")
    income = 0
    if not income_text.isascii() or not income_text.isdigit():
        errors.append({"field": "declared_income_idr", "reason": Message("import.whole_rupiah")})
    else:
        income = int(income_text)
    temporary_text = raw.get("temporary", "").lower()
    temporary = temporary_text in _TRUE
    if not temporary and temporary_text not in _FALSE:
        errors.append({"field": "temporary", "reason": Message("import.true_false")})
    birth_date = None
    if raw.get("birth_date"):
        try:
            birth_date = dt.date.fromisoformat(raw["birth_date"])
        except ValueError:
            errors.append({"field": "birth_date", "reason": Message("import.date")})
    village = raw.get("village_code") or default_village or ""
    if not village:
        errors.append({"field": "village_code", "reason": Message("import.village_required")})
    if errors:
        return None, errors
    programs = raw.get("programs", "").replace(",", ";").replace("|", ";").split(";")
    return (
        WorkerInput(
            name=raw.get("name", ""),
            village_code=village,
            occupation=raw.get("occupation", "").lower(),
            declared_income_idr=income,
            programs=programs,
            nik=raw.get("nik") or None,
            temporary=temporary,
            birth_date=birth_date,
            sex=raw.get("sex", "").upper() or None,
            phone=raw.get("phone") or None,
            funding=raw.get("funding") or "village_fund",
            officer_id=raw.get("officer_id") or None,
            outreach_session_id=raw.get("outreach_session_id") or None,
            lead_id=raw.get("lead_id") or None,
        ),
        [],
    )


def _clean_cells(raw: dict[str, str]) -> tuple[dict[str, str], list[FieldError]]:
    """Every cell through the common text rule: a NUL or other control character rejects the row."""
    cleaned: dict[str, str] = {}
    errors: list[FieldError] = []
    for column, value in raw.items():
        try:
            cleaned[column] = clean_text(value, max_length=_CELL_MAX, min_length=0)
        except TextError as exc:
            errors.append({"field": column, "reason": exc.args[0]})
    return cleaned, errors


# --- the import ------------------------------------------------------------------------------------

_STAGING = "worker_import_staging"
_STAGED_COLUMNS = (
    "row_number",
    "id",
    "nik",
    "temporary_id",
    "temporary_deadline",
    "name",
    "name_key",
    "sex",
    "birth_date",
    "phone",
    "village_code",
    "occupation",
    "declared_income_idr",
    "programs",
    "funding",
    "officer_id",
    "outreach_session_id",
    "lead_id",
)
_WORKER_COLUMNS = _STAGED_COLUMNS[1:]
_LIVING = ("registered", "active", "lapsed")
_RESULT_COLUMNS = ("import_id", "row_number", "result", "errors", "worker_id")
_FOREIGN_VILLAGE = Message("import.foreign_village")
_DECEASED_ERRORS = dump_field_errors([{"field": "nik", "reason": DeceasedNik.REASON}])
_DUPLICATE_ERRORS = dump_field_errors([{"field": "nik", "reason": Message("import.duplicate_nik")}])


@dataclass(frozen=True)
class ImportCounts:
    total: int
    accepted: int
    rejected: int
    duplicate_existing: int
    duplicate_in_file: int


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _create_staging(connection: Connection) -> None:
    """The staging table, for the whole import, on the connection every chunk's transaction uses."""
    on_commit = " ON COMMIT DELETE ROWS" if connection.dialect.name == "postgresql" else ""
    connection.execute(text(f"DROP TABLE IF EXISTS {_STAGING}"))
    connection.execute(
        text(
            f"CREATE TEMPORARY TABLE {_STAGING} (row_number INTEGER PRIMARY KEY, id VARCHAR(36) NOT NULL,"
            " nik VARCHAR(16), temporary_id VARCHAR(20), temporary_deadline DATE, name VARCHAR(120) NOT NULL,"
            " name_key VARCHAR(360) NOT NULL, sex VARCHAR(1) NOT NULL, birth_date DATE NOT NULL,"
            " phone VARCHAR(16), village_code VARCHAR(13) NOT NULL, occupation VARCHAR(20) NOT NULL,"
            " declared_income_idr BIGINT NOT NULL, programs VARCHAR(20) NOT NULL,"
            " funding VARCHAR(20) NOT NULL,"
            f" officer_id VARCHAR(64), outreach_session_id VARCHAR(64), lead_id VARCHAR(64)){on_commit}"
        )
    )
    connection.commit()


@contextmanager
def _staging_connection(sessions: sessionmaker[Session]) -> Iterator[Connection]:
    """One connection for all of an import's chunks, holding the staging table (created once rather than
    per chunk: creating and dropping it was a tenth of the import's time in a profile). The table is
    dropped at the end, so the pooled connection goes back without it."""
    with sessions() as session:
        engine = session.get_bind()
    assert isinstance(engine, Engine)  # the service's sessions are bound to its engine
    with engine.connect() as connection:
        _create_staging(connection)
        try:
            yield connection
        finally:
            try:
                connection.rollback()
                connection.execute(text(f"DROP TABLE IF EXISTS {_STAGING}"))
                connection.commit()
            except DBAPIError:
                connection.invalidate()  # a broken connection is discarded, its temporary table with it


def _copy_rows(session: Session, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Write ``rows`` into ``table``: COPY on PostgreSQL, one multi-row executemany elsewhere."""
    if not rows:
        return
    if _dialect(session) == "postgresql":
        cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(f":{c}" for c in columns)
    statement = text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})")
    session.execute(statement, [dict(zip(columns, _sqlite_values(row), strict=True)) for row in rows])


def _sqlite_values(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # Text SQL bypasses the Date type, so dates go in as the ISO strings SQLAlchemy stores on SQLite.
    return tuple(v.isoformat() if isinstance(v, dt.date) else v for v in row)


def _today(village_code: str, cache: dict[str, dt.date], now: dt.datetime) -> dt.date:
    """Today in the village's zone (cached per province: one zone per province)."""
    province = village_code[:2]
    today = cache.get(province)
    if today is None:
        try:
            today = today_in_area(village_code, now=now)
        except (KeyError, ValueError):
            today = now.date()
        cache[province] = today
    return today


Chunk = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _validated_chunks(
    import_id: str, rows: Iterable[tuple[int, dict[str, str]]], principal: Principal, now: dt.datetime
) -> Iterator[Chunk]:
    """``(workers to insert, result rows)`` per chunk of at most ``CHUNK_ROWS`` rows; no database access."""
    villages = principal.village_filter()
    default_village = next(iter(villages)) if villages is not None and len(villages) == 1 else None
    officer_id = principal.subject if principal.kind is PrincipalKind.officer else None
    today_by_province: dict[str, dt.date] = {}
    seen_niks: dict[str, int] = {}
    staged: list[tuple[Any, ...]] = []
    results: list[tuple[Any, ...]] = []
    for number, raw in rows:
        data, errors = parse_row(raw, default_village)
        valid = None
        if data is not None:
            today = _today(data.village_code, today_by_province, now)
            valid, errors = validate_worker(data, today=today)
            if valid is not None and villages is not None and valid.village_code not in villages:
                valid, errors = None, [{"field": "village_code", "reason": _FOREIGN_VILLAGE}]
        if valid is None or data is None:
            results.append((import_id, number, RowResult.rejected, dump_field_errors(errors), None))
        elif valid.nik is not None and valid.nik in seen_niks:
            reason = [{"field": "nik", "reason": Message("import.same_nik_as_row", row=seen_niks[valid.nik])}]
            results.append((import_id, number, RowResult.duplicate_in_file, dump_field_errors(reason), None))
        else:
            if valid.nik is not None:
                seen_niks[valid.nik] = number
            temporary = data.temporary
            staged.append(
                (
                    number,
                    str(uuid.uuid4()),
                    valid.nik,
                    "TMP-" + uuid.uuid4().hex[:12].upper() if temporary else None,
                    today + TEMPORARY_VALIDITY if temporary else None,
                    valid.name,
                    valid.name_key,
                    valid.sex,
                    valid.birth_date,
                    valid.phone,
                    valid.village_code,
                    valid.occupation,
                    valid.declared_income_idr,
                    valid.programs,
                    valid.funding,
                    valid.officer_id or officer_id,
                    valid.outreach_session_id,
                    valid.lead_id,
                )
            )
        if len(staged) + len(results) >= CHUNK_ROWS:
            yield staged, results
            staged, results = [], []
    if staged or results:
        yield staged, results


T = TypeVar("T")


def _prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` produced by a background thread up to ``depth`` ahead of the consumer.

    An error in the producer is re-raised in the consumer; if the consumer stops early, the producer is
    told to stop and drained so it never stays blocked.
    """
    buffer: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put(("item", item))
            buffer.put(("done", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            buffer.put(("error", exc))

    thread = threading.Thread(target=produce, name="import-validation", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = buffer.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while thread.is_alive():
            try:
                buffer.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)


class _ChunkWriter:
    """Writes one chunk of validated rows at a time, set-based, through a temporary staging table.

    The chunk is copied into the staging table (COPY on PostgreSQL, one multi-row insert elsewhere; a
    temporary table writes no WAL and has no index to maintain but its key). Every later step reads it on
    the server: rows whose NIK belongs to a deceased worker are set aside, then the workers, their row
    results and their ``worker.registered`` events are written from the staged rows (on PostgreSQL in
    one statement), so nothing is looked up again by id. When the workers' insert hits the unique index
    (a NIK already held, perhaps registered a moment ago), the chunk is rolled back to its savepoint and
    inserted with ``ON CONFLICT DO NOTHING`` instead, which skips exactly the conflicting rows and
    reports them as ``duplicate_existing``. (Profiled on 100,000 rows: looking the chunk's new workers
    up by id for their events, and its NIKs with one bound parameter each, cost more than the inserts;
    and every round trip waits for the validating thread to hand back the interpreter.)
    """

    def __init__(self, session: Session, import_id: str, principal: Principal, now: dt.datetime) -> None:
        self.session = session
        self.import_id = import_id
        self.principal = principal
        self.now = now
        self.postgresql = _dialect(session) == "postgresql"

    def write(self, staged: list[tuple[Any, ...]], results: list[tuple[Any, ...]]) -> None:
        if staged:
            if not self.postgresql:  # PostgreSQL empties the table at each commit
                self.session.execute(text(f"DELETE FROM {_STAGING}"))
            _copy_rows(self.session, _STAGING, _STAGED_COLUMNS, staged)
            _reject_deceased(self.session, self.import_id, results)
            try:
                with self.session.begin_nested():
                    self._insert_all()
            except (IntegrityError, psycopg.IntegrityError):
                _apply_staged(self.session, self.import_id, self.principal, self.now)
                # Only the workers actually inserted are announced.
                self.session.execute(
                    text(
                        f"DELETE FROM {_STAGING} WHERE NOT EXISTS "
                        f"(SELECT 1 FROM workers w WHERE w.id = {_STAGING}.id)"
                    )
                )
                events, event_params = staged_workers_outbox(self.session, _STAGING)
                self.session.execute(text(events).bindparams(*event_params))
        _copy_rows(self.session, "worker_import_rows", _RESULT_COLUMNS, results)

    def _insert_all(self) -> None:
        columns = ", ".join(_WORKER_COLUMNS)
        workers = (
            f"INSERT INTO workers ({columns}, status, import_id, version, created_by, created_at, "
            f"updated_at) SELECT {columns}, :registered, :import_id, 1, :actor, :now, :now FROM {_STAGING}"
        )
        accepted = (
            "INSERT INTO worker_import_rows (import_id, row_number, result, errors, worker_id) "
            f"SELECT :import_id, row_number, :accepted, NULL, id FROM {_STAGING}"
        )
        events, event_params = staged_workers_outbox(self.session, _STAGING)
        params = [
            *_stamp_params(self.import_id, self.principal, self.now),
            bindparam("accepted", RowResult.accepted),
            *event_params,
        ]
        if self.postgresql:
            # One round trip: the three inserts read the same staged rows, none another's output.
            combined = f"WITH new_workers AS ({workers}), new_results AS ({accepted}) {events}"
            self.session.execute(text(combined).bindparams(*params))
            return
        for statement in (workers, accepted, events):
            self.session.execute(text(statement).bindparams(*[p for p in params if f":{p.key}" in statement]))


def _stamp_params(import_id: str, principal: Principal, now: dt.datetime) -> list[Any]:
    """The values every imported worker gets besides its row's (status, import, creator, times)."""
    return [
        bindparam("now", now, type_=UTCDateTime()),
        bindparam("import_id", import_id),
        bindparam("actor", principal.actor),
        bindparam("registered", WorkerStatus.registered.value),
    ]


def _reject_deceased(session: Session, import_id: str, results: list[tuple[Any, ...]]) -> None:
    """Take the staged rows whose NIK belongs to a deceased worker out of the staging table, recording
    each as rejected; the unique index cannot catch them, as a deceased worker holds no NIK."""
    deceased = list(
        session.execute(
            text(
                f"SELECT s.row_number FROM {_STAGING} s WHERE s.nik IS NOT NULL AND EXISTS "
                "(SELECT 1 FROM workers d WHERE d.nik = s.nik AND d.status = :deceased)"
            ).bindparams(bindparam("deceased", WorkerStatus.deceased.value))
        ).scalars()
    )
    if not deceased:
        return
    session.execute(
        text(f"DELETE FROM {_STAGING} WHERE row_number IN :rows").bindparams(
            bindparam("rows", deceased, expanding=True)
        )
    )
    results.extend((import_id, number, RowResult.rejected, _DECEASED_ERRORS, None) for number in deceased)


def _apply_staged(session: Session, import_id: str, principal: Principal, now: dt.datetime) -> None:
    """Insert the staged chunk, skipping rows whose NIK is held, and record every staged row's result."""
    columns = ", ".join(_WORKER_COLUMNS)
    source = ", ".join(f"s.{c}" for c in _WORKER_COLUMNS)
    params = _stamp_params(import_id, principal, now)
    # A row whose NIK is already held is skipped by the partial unique index (and reported below as
    # duplicate_existing), also when that worker was registered concurrently.
    session.execute(
        text(
            f"INSERT INTO workers ({columns}, status, import_id, version, created_by, created_at, "
            "updated_at) "
            f"SELECT {source}, :registered, :import_id, 1, :actor, :now, :now FROM {_STAGING} s "
            "WHERE true ORDER BY s.row_number ON CONFLICT DO NOTHING"
        ).bindparams(*params)
    )
    villages = principal.village_filter()
    # The existing worker's id is reported only when the importer may see that worker.
    visible = "1 = 1" if villages is None else "e.village_code IN :villages"
    extra: list[Any] = [] if villages is None else [bindparam("villages", sorted(villages), expanding=True)]
    session.execute(
        text(
            "INSERT INTO worker_import_rows (import_id, row_number, result, errors, worker_id) "
            "SELECT :import_id, s.row_number, "
            "CASE WHEN w.id IS NOT NULL THEN 'accepted' ELSE 'duplicate_existing' END, "
            "CASE WHEN w.id IS NOT NULL THEN NULL ELSE :duplicate_errors END, "
            f"CASE WHEN w.id IS NOT NULL THEN w.id ELSE (SELECT e.id FROM workers e WHERE e.nik = s.nik "
            f"AND e.status IN ('registered', 'active', 'lapsed') AND {visible}) END "
            f"FROM {_STAGING} s LEFT JOIN workers w ON w.id = s.id"
        ).bindparams(
            bindparam("import_id", import_id), bindparam("duplicate_errors", _DUPLICATE_ERRORS), *extra
        )
    )


def _count_results(session: Session, import_id: str) -> ImportCounts:
    counts = dict.fromkeys(ROW_RESULTS, 0)
    statement = (
        select(WorkerImportRow.result, func.count())
        .where(WorkerImportRow.import_id == import_id)
        .group_by(WorkerImportRow.result)
    )
    for result, count in session.execute(statement):
        counts[result] = int(count)
    return ImportCounts(total=sum(counts.values()), **counts)


# --- lifecycle of an import ------------------------------------------------------------------------


def file_fingerprint(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def create_import(session: Session, principal: Principal, filename: str, content: bytes) -> WorkerImport:
    """Record a queued import after the cheap whole-file checks (size, emptiness)."""
    require_write(principal)
    if not content.strip():
        raise ValidationProblem.single("file", Message("import.empty"))
    if len(content) > MAX_BYTES:
        raise ValidationProblem.single(
            "file", Message("import.file_too_large", mib=MAX_BYTES // (1024 * 1024))
        )
    villages = principal.village_filter()
    record = WorkerImport(
        id=str(uuid.uuid4()),
        actor=principal.actor,
        village_code=next(iter(villages)) if villages is not None and len(villages) == 1 else None,
        filename=sanitise_label(filename, 255) or "upload",
        file_format=detect_format(filename, content),
        file_sha256=file_fingerprint(content),
        status=ImportStatus.queued,
        total=0,
        accepted=0,
        rejected=0,
        duplicate_existing=0,
        duplicate_in_file=0,
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    session.add(WorkerImportFile(import_id=record.id, content=content))
    session.flush()
    return record


ImportHook = Callable[[Session, int, int], None]
FinishHook = Callable[[Session, WorkerImport], None]


def count_rows(content: bytes, file_format: str) -> int:
    """Read the whole file once: every file-level error surfaces here, before any row is written."""
    return sum(1 for _ in _value_rows(content, file_format))  # no per-row dict: a tenth of the pass


def run_import(
    sessions: sessionmaker[Session],
    import_id: str,
    content: bytes,
    principal: Principal,
    *,
    on_progress: ImportHook | None = None,
    on_finish: FinishHook | None = None,
) -> None:
    """Process one import chunk by chunk, each chunk in its own transaction; resumable after a crash.

    Each chunk commits together with its row results, the import's resume point (``committed_row``) and
    ``on_progress(session, rows done, rows in file)``; a rerun skips the chunks already committed (the
    chunks are cut at the same rows every time: validation is deterministic, and redoing it rebuilds the
    in-file duplicate check). The last transaction detects duplicates, records the counts and calls
    ``on_finish``. A file-level error fails the import before any row is written. Other errors propagate
    (the job worker retries the job, which resumes here).
    """
    with sessions() as session, session.begin():
        record = session.get(WorkerImport, import_id)
        if record is None or record.status in (ImportStatus.completed, ImportStatus.failed):
            return
        record.status = ImportStatus.processing
        record.started_at = record.started_at or utcnow()
        file_format, committed = record.file_format, record.committed_row
    try:
        if file_format == "xlsx":
            content, file_format = _sheet_as_csv(content), _SHEET_AS_CSV
        total = count_rows(content, file_format)
    except ImportFileError as exc:
        with sessions() as session, session.begin():
            record = _finish(session, import_id, None, exc.reason)
            session.execute(delete(WorkerImportFile).where(WorkerImportFile.import_id == import_id))
            if on_finish is not None and record is not None:
                on_finish(session, record)
        return
    now = utcnow()
    done = 0
    with _staging_connection(sessions) as connection:
        for staged, results in _prefetched(
            _validated_chunks(import_id, iter_rows(content, file_format), principal, now)
        ):
            last = max([row[0] for row in staged[-1:]] + [row[1] for row in results[-1:]])
            done += len(staged) + len(results)
            if last <= committed:
                continue  # committed by an earlier attempt
            with sessions(bind=connection) as session, session.begin():
                # The chunk's workers, their row results and worker.registered events, committed together.
                _ChunkWriter(session, import_id, principal, now).write(staged, results)
                session.execute(
                    update(WorkerImport).where(WorkerImport.id == import_id).values(committed_row=last)
                )
                if on_progress is not None:
                    on_progress(session, done, total)
    with sessions() as session, session.begin():
        duplicates.detect_for_workers(session, lambda w: w.import_id == import_id)
        record = _finish(session, import_id, _count_results(session, import_id), None)
        session.execute(delete(WorkerImportFile).where(WorkerImportFile.import_id == import_id))
        if on_finish is not None and record is not None:
            on_finish(session, record)


def fail_import(session: Session, import_id: str, reason: str) -> None:
    """Mark an unfinished import failed (its job gave up); rows already committed keep their results."""
    record = session.get(WorkerImport, import_id)
    if record is None or record.status in (ImportStatus.completed, ImportStatus.failed):
        return
    if record.committed_row:
        reason += f"; rows up to {record.committed_row} were processed and have their results"
    else:
        reason += "; no rows were registered"
    _finish(session, import_id, None, reason)
    session.execute(delete(WorkerImportFile).where(WorkerImportFile.import_id == import_id))


def _finish(
    session: Session, import_id: str, counts: ImportCounts | None, error: str | None
) -> WorkerImport | None:
    record = session.get(WorkerImport, import_id)
    if record is None:
        return None
    record.finished_at = utcnow()
    if counts is None:
        record.status, record.error = ImportStatus.failed, error
        return record
    record.status = ImportStatus.completed
    record.total, record.accepted, record.rejected = counts.total, counts.accepted, counts.rejected
    record.duplicate_existing, record.duplicate_in_file = counts.duplicate_existing, counts.duplicate_in_file
    publish_import_completed(session, record)
    return record


def get_import(session: Session, principal: Principal, import_id: str) -> WorkerImport:
    """Visible to whoever uploaded it, the village it was for, and internal readers."""
    require_read(principal)
    record = session.get(WorkerImport, import_id)
    if record is None:
        raise ImportNotFound(import_id)
    if principal.is_internal or record.actor == principal.actor:
        return record
    if record.village_code is not None and principal.can_access_village(record.village_code):
        return record
    raise ImportNotFound(import_id)


def list_import_rows(
    session: Session, principal: Principal, import_id: str, result: str | None, params: PageParams
) -> tuple[list[WorkerImportRow], str | None]:
    get_import(session, principal, import_id)
    statement = select(WorkerImportRow).where(WorkerImportRow.import_id == import_id)
    if result is not None:
        statement = statement.where(WorkerImportRow.result == result)
    return paginate(
        session,
        statement,
        key_columns=[WorkerImportRow.row_number],
        params=params,
        key_of=lambda r: [r.row_number],
    )
