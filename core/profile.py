"""Column profiles of a freshly written dataset table, in a few whole-table queries.

The engines need, per column: nulls, distinct count, range, mean, a few sample values and,
for low-cardinality text, the frequent values with their counts. Everything except the top
values comes from ONE aggregate query (a columnar scan DuckDB runs in parallel); top values
from a second one using ``histogram`` over the few columns that qualify. Text columns get a
min/max only when they have top values (read off those): comparing every string of a
free-text column cost as much as the rest of the profile and nothing uses it. Very wide tables are
profiled in slices of columns because DuckDB's planning time grows faster than linearly with
the number of aggregates in one query.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from collections.abc import Sequence
from typing import Any

import duckdb

from core.catalog import ColumnInfo, column_kind

TOP_VALUES = 100  # kept per column: the rules engine knows cell values only from these
TOP_VALUES_MAX_DISTINCT = 100  # above this, a text column gets no top values
SAMPLE_VALUES = 5
SAMPLE_ROWS = 200
TEXT_LIMIT = 200  # characters kept of a text min/max/sample/top value
COLUMNS_PER_QUERY = 100
_NESTED = ("STRUCT", "MAP", "UNION")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_columns(con: duckdb.DuckDBPyConnection, table: str = "data") -> list[tuple[str, str]]:
    """(name, DuckDB type) of ``table`` in the main schema, in order."""
    return con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()


def profile_table(
    con: duckdb.DuckDBPyConnection, original_names: Sequence[str], table: str = "data"
) -> tuple[int, tuple[ColumnInfo, ...]]:
    """The row count and one ColumnInfo per column; ``original_names`` in column order."""
    columns = table_columns(con, table)
    rows, stats = _aggregate(con, table, columns)
    tops = _top_values(con, table, columns, stats, rows)
    samples = _samples(con, table, columns)
    infos = []
    for index, (name, data_type) in enumerate(columns):
        nonnull, distinct, low, high, mean = stats[index]
        top = tops.get(index, ())
        if column_kind(data_type) == "text" and top:
            low, high = min(str(v) for v, _ in top), max(str(v) for v, _ in top)
        infos.append(
            ColumnInfo(
                name=name,
                original_name=original_names[index] if index < len(original_names) else name,
                data_type=data_type,
                null_count=rows - nonnull,
                distinct_count=len(top) if index in tops else min(distinct or 0, nonnull),
                min=_bound(low, data_type),
                max=_bound(high, data_type),
                mean=mean if mean is not None and math.isfinite(mean) else None,
                sample_values=samples[index],
                top_values=top[:TOP_VALUES],
            )
        )
    return rows, tuple(infos)


def _is_nested(data_type: str) -> bool:
    return data_type.upper().startswith(_NESTED) or data_type.endswith("]")


def _aggregates(name: str, data_type: str) -> list[str]:
    col, kind = quote(name), column_kind(data_type)
    if _is_nested(data_type):
        return [f"count({col})", "NULL", "NULL", "NULL", "NULL"]
    if kind == "number":
        low, high, mean = f"min({col})", f"max({col})", f"avg({col})::DOUBLE"
    elif kind in ("date", "boolean"):
        low, high, mean = f"min({col})::VARCHAR", f"max({col})::VARCHAR", "NULL"
    else:  # text: the range comes from the top values, when there are few distinct ones
        low, high, mean = "NULL", "NULL", "NULL"
    return [f"count({col})", f"approx_count_distinct({col})", low, high, mean]


def _aggregate(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]
) -> tuple[int, list[tuple[Any, ...]]]:
    rows = con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0]
    stats: list[tuple[Any, ...]] = []
    for start in range(0, len(columns), COLUMNS_PER_QUERY):
        part = columns[start : start + COLUMNS_PER_QUERY]
        select = ", ".join(agg for name, kind in part for agg in _aggregates(name, kind))
        values = con.execute(f"SELECT {select} FROM {quote(table)}").fetchone()
        stats.extend(tuple(values[i : i + 5]) for i in range(0, len(values), 5))
    return rows, stats


def _top_values(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[tuple[str, str]],
    stats: list[tuple[Any, ...]],
    rows: int,
) -> dict[int, tuple[tuple[Any, int], ...]]:
    """Frequent values of text and boolean columns with few distinct values."""
    wanted = [
        index
        for index, (_, data_type) in enumerate(columns)
        if column_kind(data_type) in ("text", "boolean")
        and not _is_nested(data_type)
        and stats[index][0] > 0
        and (stats[index][1] or 0) <= TOP_VALUES_MAX_DISTINCT
    ]
    tops: dict[int, tuple[tuple[Any, int], ...]] = {}
    if not rows:
        return tops
    for start in range(0, len(wanted), COLUMNS_PER_QUERY):
        part = wanted[start : start + COLUMNS_PER_QUERY]
        select = ", ".join(f"histogram({quote(columns[i][0])})" for i in part)
        values = con.execute(f"SELECT {select} FROM {quote(table)}").fetchone()
        for index, histogram in zip(part, values, strict=True):
            counted = sorted((histogram or {}).items(), key=lambda kv: (-kv[1], str(kv[0])))
            tops[index] = tuple((jsonable(value), int(count)) for value, count in counted)
    return tops


def _samples(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]
) -> list[tuple[Any, ...]]:
    """A few distinct non-null values per column, in file order, from the first rows."""
    found: list[list[Any]] = [[] for _ in columns]
    for start in range(0, len(columns), COLUMNS_PER_QUERY * 10):
        part = columns[start : start + COLUMNS_PER_QUERY * 10]
        select = ", ".join(quote(name) for name, _ in part)
        result = con.execute(f"SELECT {select} FROM {quote(table)} LIMIT {SAMPLE_ROWS}")
        for row in result.fetchall():
            for offset, value in enumerate(row):
                bucket = found[start + offset]
                if value is None or len(bucket) >= SAMPLE_VALUES:
                    continue
                shown = jsonable(value)
                if shown not in bucket:
                    bucket.append(shown)
    return [tuple(values) for values in found]


def _bound(value: Any, data_type: str) -> Any:
    """Numbers stay numbers (non-finite ones are dropped); everything else is text."""
    if value is None:
        return None
    if column_kind(data_type) == "number":
        number = float(value) if isinstance(value, decimal.Decimal) else value
        return number if not isinstance(number, float) or math.isfinite(number) else None
    return str(value)


def jsonable(value: Any) -> Any:
    """A value JSONB can hold and a person can read: ISO dates, short text, plain numbers."""
    if value is None or isinstance(value, bool | int | str):
        return value[:TEXT_LIMIT] if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value[:TEXT_LIMIT].hex()
    return str(value)[:TEXT_LIMIT]


def to_text(value: Any) -> str | None:
    """How column_metadata.min/max (TEXT) keep a bound."""
    return None if value is None else str(value)


def from_text(text: str | None, data_type: str) -> Any:
    """The inverse of ``to_text``: numbers come back as int or float."""
    if text is None or column_kind(data_type) != "number":
        return text
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text
