"""How DuckDB should read a CSV: the dialect its sniffer finds, pinned for the write.

The sniffer reads a sample and reports delimiter, quoting, line ends, header and column
types. The write then runs with all of that stated (``auto_detect = false``) and our column
names, so what was sniffed is exactly what is read, and a second read (after widening a
type, say) reads the file the same way.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.sniff import Compression

LINE_BYTES = 2 << 20  # DuckDB's default: bigger costs CPU on every file (see benchmarks)
LONG_LINE_BYTES = 32 << 20  # the retry for files with a line longer than that
# DuckDB reads 16 lines' worth at a time by default: 512 MB for 32 MB lines, over the limit.
LONG_LINE_BUFFER = 2 * LONG_LINE_BYTES
_TOO_LONG = "maximum line size of"


class LinesTooLong(Exception):
    """A line is longer than the usual limit: read the file again allowing long lines."""


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    quote: str
    escape: str
    newline: str
    comment: str
    skip: int
    header: bool
    columns: tuple[tuple[str, str], ...]  # (DuckDB's name, type)
    date_format: str | None
    timestamp_format: str | None


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _option(value: str) -> str:
    return "" if value == "(empty)" else value


_SNIFF_COLUMNS = (
    "Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, Columns, "
    "DateFormat, TimestampFormat"
)
_DELIMITERS = (",", ";", "\t", "|")


def _line_options(line_bytes: int) -> list[str]:
    if line_bytes <= LINE_BYTES:
        return [f"max_line_size = {line_bytes}"]
    return [f"max_line_size = {line_bytes}", f"buffer_size = {LONG_LINE_BUFFER}"]


def _head(path: Path, compression: Compression, size: int = 1 << 16) -> bytes:
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rb") as handle:
            return handle.read(size)
    except (OSError, EOFError):
        return b""


def _suspicious(dialect: Dialect) -> bool:
    """One column whose name holds a delimiter: the sniffer gave up on the real one."""
    return len(dialect.columns) == 1 and any(d in dialect.columns[0][0] for d in _DELIMITERS)


def sniff_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    compression: Compression,
    header: bool | None,
    line_bytes: int = LINE_BYTES,
) -> Dialect:
    """DuckDB's sniffer, asked again in steps when its first answer cannot be right.

    First as it is; then, for Windows line ends, with ``\\r\\n`` stated (a line break inside
    a quoted header cell confuses it); then with ``ignore_errors``, so that a few ragged rows
    do not hide the delimiter. ``ignore_errors`` is not the first try because it can also
    make a wrong delimiter look consistent.
    """
    fixed = [f"compression = {literal(compression)}", *_line_options(line_bytes)]
    if header is not None:
        fixed.append(f"header = {str(header).lower()}")
    crlf = b"\r\n" in _head(path, compression)
    attempts = [[], ["new_line = '\\r\\n'"]] if crlf else [[]]
    attempts += [extra + ["ignore_errors = true"] for extra in attempts]
    found: Dialect | None = None
    failure: duckdb.Error | None = None
    for extra in attempts:
        options = ", ".join(fixed + extra)
        try:
            row = con.execute(
                f"SELECT {_SNIFF_COLUMNS} FROM sniff_csv({literal(str(path))}, {options})"
            ).fetchone()
        except duckdb.InvalidInputException as error:
            if _TOO_LONG in str(error).lower() and line_bytes < LONG_LINE_BYTES:
                raise LinesTooLong from error
            failure = error
            continue
        dialect = _dialect(row)
        if not _suspicious(dialect):
            return dialect
        found = found or dialect
    if found is not None or failure is None:
        return found or _dialect(row)
    raise failure


def _dialect(row: tuple) -> Dialect:
    return Dialect(
        delimiter=row[0],
        quote=_option(row[1]),
        escape=_option(row[2]),
        newline=row[3],
        comment=_option(row[4]),
        skip=int(row[5]),
        header=bool(row[6]),
        columns=tuple((c["name"], c["type"]) for c in row[7]),
        date_format=row[8] or None,
        timestamp_format=row[9] or None,
    )


def header_texts(path: Path, dialect: Dialect, compression: Compression) -> list[str] | None:
    """The header cells exactly as written (DuckDB renames blanks and repeats itself)."""
    if not dialect.header or len(dialect.delimiter) != 1:
        return None
    opener = gzip.open if compression == "gzip" else open
    options: dict = {"delimiter": dialect.delimiter, "strict": False}
    if dialect.quote:
        options["quotechar"] = dialect.quote
        if dialect.escape and dialect.escape != dialect.quote:
            options.update(escapechar=dialect.escape, doublequote=False)
    else:
        options["quoting"] = csv.QUOTE_NONE
    try:
        with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as handle:
            for _ in range(dialect.skip):
                handle.readline()
            cells = next(csv.reader(handle, **options), None)
    except (csv.Error, OSError, EOFError):
        return None
    if cells is None or len(cells) != len(dialect.columns):
        return None
    return [cell.strip() for cell in cells]


def read_csv_sql(
    path: Path,
    dialect: Dialect,
    names: Sequence[str],
    compression: Compression,
    text_columns: frozenset[str] = frozenset(),
    line_bytes: int = LINE_BYTES,
    collect_rejects: bool = True,
) -> str:
    """``read_csv`` with everything the sniffer found pinned, and rejects collected."""
    types = ", ".join(
        f"{literal(name)}: {literal('VARCHAR' if name in text_columns else kind)}"
        for name, (_, kind) in zip(names, dialect.columns, strict=True)
    )
    options = [
        "auto_detect = false",
        f"delim = {literal(dialect.delimiter)}",
        f"quote = {literal(dialect.quote)}",
        f"escape = {literal(dialect.escape)}",
        f"new_line = {literal(dialect.newline)}",
        f"comment = {literal(dialect.comment)}",
        f"skip = {dialect.skip}",
        f"header = {str(dialect.header).lower()}",
        f"columns = {{{types}}}",
        f"compression = {literal(compression)}",
        *_line_options(line_bytes),
    ]
    if collect_rejects:
        options += [
            "store_rejects = true",
            "rejects_table = 'ingest_rejects'",
            "rejects_scan = 'ingest_reject_scans'",
        ]
    else:
        options.append("ignore_errors = true")
    if dialect.date_format:
        options.append(f"dateformat = {literal(dialect.date_format)}")
    if dialect.timestamp_format:
        options.append(f"timestampformat = {literal(dialect.timestamp_format)}")
    return f"read_csv({literal(str(path))}, {', '.join(options)})"
