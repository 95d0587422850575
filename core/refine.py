"""Text columns that are really numbers or dates, read as such in the same single pass.

DuckDB's sniffer types a column only when its values parse as they are: "$1,234.50" or
"1,000" stay text, and only one date format per file is recognised, so "03/15/2024" next to
an ISO date column stays text too. From the first rows we decide which text columns look
like formatted numbers or like dates in one unambiguous format, and the write converts them
while it reads. The conversions are strict: a later value that does not fit makes the write
fail, and the caller writes again without them, so no value is ever lost or guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from core.profile import quote

SAMPLE_ROWS = 5_000
MIN_VALUES = 3  # fewer non-empty sample values than this: leave the column alone

_NUMBER = re.compile(r"[-+]?\s*[$€£¥]?\s*[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*(?:[$€£¥]|%)?")
_MARKS = re.compile(r"[$€£¥,%]")
_STRIP = "[$€£¥,%[:space:]]"
# Python's and DuckDB's strptime agree on these codes.
DATE_FORMATS = (
    ("%m/%d/%Y", "MM/DD/YYYY"),
    ("%d/%m/%Y", "DD/MM/YYYY"),
    ("%d.%m.%Y", "DD.MM.YYYY"),
    ("%d-%m-%Y", "DD-MM-YYYY"),
    ("%m-%d-%Y", "MM-DD-YYYY"),
    ("%Y/%m/%d", "YYYY/MM/DD"),
    ("%Y.%m.%d", "YYYY.MM.DD"),
    ("%d %b %Y", "DD Mon YYYY"),
    ("%d %B %Y", "DD Month YYYY"),
    ("%b %d, %Y", "Mon DD, YYYY"),
    ("%B %d, %Y", "Month DD, YYYY"),
    ("%d-%b-%Y", "DD-Mon-YYYY"),
)


@dataclass(frozen=True)
class Refinement:
    column: str
    expression: str  # SQL that turns the text column into its real type
    kind: Literal["number", "date"]
    detail: str = ""  # "percent" or the date format, for the note


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _as_number(name: str, values: Sequence[str]) -> Refinement | None:
    if not all(_NUMBER.fullmatch(v) for v in values):
        return None
    if not any(_MARKS.search(v) for v in values):
        return None
    col = quote(name)
    expression = f"CAST(NULLIF(regexp_replace({col}, {_literal(_STRIP)}, '', 'g'), '') AS DOUBLE)"
    percent = "percent" if any(v.endswith("%") for v in values) else ""
    return Refinement(name, expression, "number", percent)


def _parses(values: Sequence[str], fmt: str) -> bool:
    try:
        for value in values:
            dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _as_date(name: str, values: Sequence[str]) -> Refinement | None:
    if not any(ch.isdigit() for ch in values[0]):
        return None
    matches = [(fmt, label) for fmt, label in DATE_FORMATS if _parses(values, fmt)]
    if len(matches) != 1:  # none, or ambiguous like 01/02/2024 in every row
        return None
    fmt, label = matches[0]
    expression = f"CAST(strptime({quote(name)}, {_literal(fmt)}) AS DATE)"
    return Refinement(name, expression, "date", label)


def plan(
    con: duckdb.DuckDBPyConnection, sample_source: str, text_columns: Sequence[str]
) -> list[Refinement]:
    """Conversions for the text columns whose first rows all look like numbers or dates."""
    if not text_columns:
        return []
    select = ", ".join(f"trim({quote(c)})" for c in text_columns)
    rows = con.execute(f"SELECT {select} FROM {sample_source} LIMIT {SAMPLE_ROWS}").fetchall()
    found = []
    for index, name in enumerate(text_columns):
        values = list(dict.fromkeys(row[index] for row in rows if row[index]))
        if len(values) < MIN_VALUES:
            continue
        refinement = _as_number(name, values) or _as_date(name, values)
        if refinement is not None:
            found.append(refinement)
    return found


def select_list(names: Sequence[str], refinements: Sequence[Refinement]) -> str:
    by_column = {r.column: r.expression for r in refinements}
    return ", ".join(f"{by_column[n]} AS {quote(n)}" if n in by_column else quote(n) for n in names)


def note(refinements: Sequence[Refinement]) -> str:
    """'Read as numbers: price, share (a percentage). Read as dates: day (DD.MM.YYYY).'"""
    numbers = [
        r.column + (" (a percentage)" if r.detail else "")
        for r in refinements
        if r.kind == "number"
    ]
    dates = [f"{r.column} ({r.detail})" for r in refinements if r.kind == "date"]
    parts = []
    if numbers:
        parts.append(
            "Read as numbers (separators and currency signs dropped): " + ", ".join(numbers) + "."
        )
    if dates:
        parts.append("Read as dates: " + ", ".join(dates) + ".")
    return " ".join(parts)
