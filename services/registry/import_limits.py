"""What one import file may cost to read, checked before and while it is parsed.

A small XLSX can expand enormously (a 281 KB file held 2 M blank rows, costing 64 s of CPU; shared
strings expanded to 557 MB), so the compressed size alone bounds nothing. Limits here: the total
uncompressed size of the archive (checked on upload, from the zip directory, before anything is
inflated), the rows read including blank ones, and the wall-clock time spent parsing.
"""

from __future__ import annotations

import io
import time
import zipfile

from services.common.messages import Message

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
# Any member expanding more than this is treated as a bomb; real sheets compress 5 to 20 times.
MAX_COMPRESSION_RATIO = 200
# Rows read from a file, blank ones included (the import itself accepts at most imports.MAX_ROWS
# non-blank rows; some blank lines between them are normal).
MAX_PHYSICAL_ROWS = 150_000
PARSE_SECONDS = 60.0


class ImportTooCostly(Exception):
    def __init__(self, reason: str, *, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def check_archive(content: bytes) -> None:
    """Refuse a zip (XLSX) whose members would inflate beyond the limits; a no-op for other files."""
    if content[:4] != b"PK\x03\x04":
        return
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable archive: the parser reports that as the file's error
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ImportTooCostly(
            Message("import.expands_to", total=total, limit=MAX_UNCOMPRESSED_BYTES), status=413
        )
    for member in members:
        if member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1024):
            raise ImportTooCostly(
                Message("import.zip_bomb", member=member.filename, ratio=MAX_COMPRESSION_RATIO), status=413
            )


class ParseBudget:
    """Counts rows read (blank ones too) and the time spent; raises once either is exhausted."""

    def __init__(self, max_rows: int = MAX_PHYSICAL_ROWS, seconds: float = PARSE_SECONDS) -> None:
        self.max_rows = max_rows
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds
        self.rows = 0

    def row(self) -> None:
        self.rows += 1
        if self.rows > self.max_rows:
            raise ImportTooCostly(Message("import.rows_limit", limit=self.max_rows), status=422)
        if self.rows % 1024 == 0 and time.monotonic() > self.deadline:
            raise ImportTooCostly(Message("import.too_slow", seconds=f"{self.seconds:g}"), status=422)
