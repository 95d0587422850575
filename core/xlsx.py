"""Excel workbooks, streamed row by row into a CSV that the CSV path then loads.

openpyxl's read-only mode parses the sheet XML as a stream, so memory stays flat however
many rows the sheet has; the rows go straight to a UTF-8 CSV in the build's work folder and
DuckDB's reader sniffs the types from there, exactly as for an uploaded CSV. Cells keep
Excel's typing where it matters: dates as ISO timestamps (narrowed to DATE afterwards when a
column has no time of day), booleans as true/false.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import duckdb

from core.errors import IngestError
from core.profile import quote, table_columns

ROWS_PER_REPORT = 10_000


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _width(header: tuple) -> int:
    """Columns up to the last non-empty header cell."""
    width = len(header)
    while width and (header[width - 1] is None or str(header[width - 1]).strip() == ""):
        width -= 1
    return width


def xlsx_to_csv(
    source: Path, dest: Path, on_rows: Callable[[int, int | None], None] | None = None
) -> tuple[str, ...]:
    """Writes the first sheet to ``dest``; returns notes for the user.

    ``on_rows(done, total)`` reports progress; ``total`` is the sheet's declared row count
    when the file states one.

    The workbook is opened from a file object: openpyxl refuses a path whose name does not
    end in .xlsx, and an upload is spooled under a temporary name.
    """
    try:
        with source.open("rb") as handle:
            return _convert(handle, dest, on_rows)
    except IngestError:
        raise
    except Exception as error:  # noqa: BLE001 - any parse failure of untrusted XML/zip
        raise IngestError(
            "This Excel file could not be read (it may be damaged, incomplete or "
            "password-protected). Save it again as .xlsx, or as CSV, and upload that."
        ) from error


def _convert(
    handle: BinaryIO, dest: Path, on_rows: Callable[[int, int | None], None] | None
) -> tuple[str, ...]:
    from openpyxl import load_workbook

    book = load_workbook(handle, read_only=True, data_only=True)
    notes = []
    try:
        sheet = book.worksheets[0]
        if len(book.worksheets) > 1:
            notes.append(
                f"Only the first sheet ('{sheet.title}') was loaded; the workbook has "
                f"{len(book.worksheets)} sheets. Save each sheet as its own file to add the rest."
            )
        rows = sheet.iter_rows(values_only=True)
        header = next((row for row in rows if any(cell is not None for cell in row)), None)
        if header is None or not _width(header):
            raise IngestError("The first sheet of this workbook is empty.")
        width = _width(header)
        dropped = False
        with dest.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["" if cell is None else str(cell) for cell in header[:width]])
            written = 0
            for row in rows:
                if not any(cell is not None and cell != "" for cell in row):
                    continue
                if any(cell is not None for cell in row[width:]):
                    dropped = True
                cells = [_cell(cell) for cell in row[:width]]
                writer.writerow(cells + [""] * (width - len(cells)))
                written += 1
                if on_rows is not None and written % ROWS_PER_REPORT == 0:
                    on_rows(written, sheet.max_row)
        if dropped:
            notes.append("Cells to the right of the last column with a header were left out.")
    finally:
        book.close()
    return tuple(notes)


def narrow_dates(con: duckdb.DuckDBPyConnection) -> None:
    """Excel stores every date as a date-time: a column with no time of day becomes DATE."""
    stamps = [name for name, kind in table_columns(con) if kind == "TIMESTAMP"]
    if not stamps:
        return
    checks = ", ".join(f"bool_and({quote(n)} = {quote(n)}::DATE)" for n in stamps)
    flags = con.execute(f"SELECT {checks} FROM data").fetchone()
    for name, midnight_only in zip(stamps, flags, strict=True):
        if midnight_only:
            con.execute(f"ALTER TABLE data ALTER {quote(name)} TYPE DATE")
