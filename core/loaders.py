"""Each kind of upload becomes the table ``data`` in ONE pass of DuckDB's own readers.

CSV: DuckDB sniffs the dialect, header and types from a sample; the write then runs with
that dialect pinned, our column names, and ``store_rejects`` so bad lines are collected
instead of stopping the scan at the first one. Looking at the collected rejects afterwards
tells ragged rows (refused, or skipped on request), values that did not fit a sniffed type
(the column is read again as text) and bytes that are not UTF-8 apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from core import refine
from core.csv_dialect import (
    LINE_BYTES,
    LONG_LINE_BYTES,
    LinesTooLong,
    header_texts,
    literal,
    read_csv_sql,
    sniff_csv,
)
from core.errors import IngestError
from core.naming import column_names
from core.profile import quote
from core.sniff import Compression

BadRows = Literal["refuse", "skip"]
Runner = Callable[[duckdb.DuckDBPyConnection, str], None]

SHOWN_LINES = 3
_RAGGED = ("TOO MANY COLUMNS", "MISSING COLUMNS")
_CONVERT = re.compile(r'Could not convert string "(?P<value>.*)" to')


class RaggedRowsError(IngestError):
    """Some rows have more or fewer fields than the header; ``bad_rows="skip"`` loads the rest."""


class NotUtf8Later(Exception):
    """The sample was plain ASCII but later bytes are not UTF-8: read it as Windows-1252."""


class RefineFailed(Exception):
    """A later value did not fit a conversion planned from the first rows: write again
    without conversions."""


@dataclass(frozen=True)
class Loaded:
    original_names: tuple[str, ...]
    skipped_rows: int = 0
    notes: tuple[str, ...] = ()
    text_columns: frozenset[str] = field(default_factory=frozenset)  # to widen, then retry
    text_note: str | None = None  # why they are widened, kept for the retry's result


def load_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    compression: Compression,
    *,
    bad_rows: BadRows,
    ascii_sample: bool,
    run: Runner,
    header: bool | None = None,
    text_columns: frozenset[str] = frozenset(),
    long_lines: bool = False,
    refine_types: bool = True,
) -> Loaded:
    """``header`` forces the sniffer's choice (a CSV written from a workbook has one);
    ``refine_types`` reads text columns that look like formatted numbers or dates as such."""
    line_bytes = LONG_LINE_BYTES if long_lines else LINE_BYTES
    dialect = sniff_csv(con, path, compression, header, line_bytes)
    originals = header_texts(path, dialect, compression)
    if originals is None:
        originals = [name if dialect.header else "" for name, _ in dialect.columns]
    names = column_names(originals)
    source = read_csv_sql(path, dialect, names, compression, text_columns, line_bytes)
    refinements = []
    if refine_types:
        sample = read_csv_sql(
            path, dialect, names, compression, text_columns, line_bytes, collect_rejects=False
        )
        texts = [
            name
            for name, (_, kind) in zip(names, dialect.columns, strict=True)
            if kind == "VARCHAR" and name not in text_columns
        ]
        refinements = refine.plan(con, sample, texts)
    try:
        run(
            con,
            f"CREATE TABLE data AS SELECT {refine.select_list(names, refinements)} FROM {source}",
        )
    except duckdb.Error as error:
        if refinements and not isinstance(error, duckdb.InterruptException):
            raise RefineFailed from error
        raise
    notes = [] if dialect.header else [_no_header_note(len(names))]
    if refinements:
        notes.append(refine.note(refinements))
    if not dialect.header:
        originals = names
    skipped, widen, text_note, more = _judge_rejects(con, names, bad_rows, ascii_sample, line_bytes)
    return Loaded(tuple(originals), skipped, tuple(notes + more), frozenset(widen), text_note)


def _no_header_note(count: int) -> str:
    last = f"column_{count}" if count > 1 else ""
    return "The file has no header row, so the columns are named column_1" + (
        f" to {last}." if last else "."
    )


def _judge_rejects(
    con: duckdb.DuckDBPyConnection,
    names: Sequence[str],
    bad_rows: BadRows,
    ascii_sample: bool,
    line_bytes: int,
) -> tuple[int, set[str], str | None, list[str]]:
    """(rows skipped, columns to read as text, why, notes); raises for what cannot be skipped."""
    rows = con.execute(
        "SELECT error_type::VARCHAR, count(DISTINCT line), list_sort(list(DISTINCT line))[1:5], "
        "list(DISTINCT column_name), list(error_message ORDER BY line)[1:3] "
        "FROM ingest_rejects GROUP BY ALL"
    ).fetchall()
    found = {
        kind: (count, lines, columns, messages) for kind, count, lines, columns, messages in rows
    }
    if "INVALID ENCODING" in found:
        if ascii_sample:
            raise NotUtf8Later
        line = found["INVALID ENCODING"][1][0]
        raise IngestError(
            f"Line {line:,} has bytes that are not valid UTF-8, although the lines before it "
            "are UTF-8: the file mixes text encodings or is damaged. Save it as 'CSV UTF-8' "
            "and upload again."
        )
    if "LINE SIZE OVER MAXIMUM" in found:
        if line_bytes < LONG_LINE_BYTES:
            raise LinesTooLong
        line = found["LINE SIZE OVER MAXIMUM"][1][0]
        raise IngestError(
            f"Line {line:,} is longer than {line_bytes >> 20} MB. Check that its quotes are "
            "balanced; cells that large are not supported."
        )
    widen: set[str] = set()
    text_note = None
    notes = []
    if "CAST" in found:
        _, lines, columns, messages = found["CAST"]
        widen = {c for c in columns if c in names}
        match = _CONVERT.search(messages[0] or "")
        example = f" (for example {match['value']!r} on line {lines[0]:,})" if match else ""
        text_note = (
            f"Kept as text because not every value fits the type guessed from the first rows"
            f"{example}: {', '.join(sorted(widen))}."
        )
    bad = {kind: value for kind, value in found.items() if kind != "CAST"}
    skipped = con.execute(
        "SELECT count(DISTINCT line) FROM ingest_rejects WHERE error_type <> 'CAST'"
    ).fetchone()[0]
    if skipped and bad_rows == "refuse":
        raise _bad_rows_error(bad, skipped, len(names))
    if skipped:
        notes.append(
            f"Skipped {skipped:,} {_plural(skipped, 'row')} that did not match the header."
        )
    return skipped, widen, text_note, notes


def _bad_rows_error(bad: dict, total: int, width: int) -> IngestError:
    lines = sorted({line for _, found_lines, _, _ in bad.values() for line in found_lines})
    shown = lines[:SHOWN_LINES]
    words = _join([f"{line:,}" for line in shown])
    if set(bad) <= set(_RAGGED):
        counts = _field_counts(bad)
        detail = (
            f" {counts}"
            if counts
            else f" a different number of fields than the {width} in the header"
        )
        lead = f"Line {words} has" if len(shown) == 1 else f"Lines {words} have"
        more = f" ({total:,} such rows in all)" if total > len(shown) else ""
        return RaggedRowsError(
            f"{lead}{detail}{more}. Fix those rows, or choose to skip the bad rows and load "
            "the rest."
        )
    lead = f"Line {words}" if len(shown) == 1 else f"Lines {words}"
    return RaggedRowsError(
        f"{lead} could not be read ({total:,} bad {_plural(total, 'row')} in all): check their "
        "quotes and delimiters, or choose to skip the bad rows and load the rest."
    )


def _field_counts(bad: dict) -> str:
    """'have 5 fields instead of 4' when every message agrees on the numbers."""
    pairs = set()
    for _, _, _, messages in bad.values():
        for message in messages:
            match = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message or "")
            if match:
                pairs.add((int(match[1]), int(match[2])))
    if len(pairs) != 1:
        return ""
    expected, got = pairs.pop()
    return f"{got} {_plural(got, 'field')} instead of {expected}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def load_json(
    con: duckdb.DuckDBPyConnection, path: Path, compression: Compression, run: Runner
) -> Loaded:
    source = (
        f"read_json({literal(str(path))}, format = 'auto', compression = {literal(compression)})"
    )
    return _load_renamed(con, source, run)


def load_parquet(con: duckdb.DuckDBPyConnection, path: Path, run: Runner) -> Loaded:
    return _load_renamed(con, f"read_parquet({literal(str(path))})", run)


def _load_renamed(con: duckdb.DuckDBPyConnection, source: str, run: Runner) -> Loaded:
    """Readers with their own names: keep them as original names, select under ours."""
    originals = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    names = column_names(originals)
    select = ", ".join(f"{quote(o)} AS {quote(n)}" for o, n in zip(originals, names, strict=True))
    run(con, f"CREATE TABLE data AS SELECT {select} FROM {source}")
    return Loaded(tuple(originals))
