"""What the ask engines know about a chat's tables: names, types and profile figures.

Built from ``column_metadata`` rows in the app and straight from ingest in the CLI, so the
engines never touch the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

ColumnKind = Literal["number", "text", "date", "boolean", "other"]


@dataclass(frozen=True)
class ColumnInfo:
    name: str  # normalised SQL identifier
    original_name: str  # header text as uploaded
    data_type: str  # DuckDB type, e.g. BIGINT, DOUBLE, VARCHAR, DATE, TIMESTAMP
    null_count: int = 0
    distinct_count: int = 0
    min: Any = None  # str for dates/timestamps (ISO), number for numbers
    max: Any = None
    mean: float | None = None
    sample_values: tuple[Any, ...] = ()
    top_values: tuple[tuple[Any, int], ...] = ()  # (value, count), most frequent first

    @property
    def kind(self) -> ColumnKind:
        return column_kind(self.data_type)


@dataclass(frozen=True)
class TableInfo:
    name: str  # the name SQL uses (a view over the dataset file)
    row_count: int
    columns: tuple[ColumnInfo, ...]
    original_filename: str = ""
    path: Path | None = field(default=None, compare=False)  # the DuckDB dataset file

    def column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Turn:
    """One earlier exchange in the chat, for follow-up questions."""

    question: str
    sql: str | None
    answer: str


_NUMBER = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "REAL",
    "DECIMAL",
    "INT",
    "NUMERIC",
)
_DATE = ("DATE", "TIMESTAMP", "TIME", "DATETIME")


def column_kind(data_type: str) -> ColumnKind:
    upper = data_type.upper().strip()
    if upper.endswith("]") or upper.startswith(("INTERVAL", "STRUCT", "MAP", "LIST", "UNION")):
        return "other"
    if upper.startswith(_DATE):
        return "date"
    if upper.startswith(_NUMBER):
        return "number"
    if upper.startswith("BOOL"):
        return "boolean"
    if upper.startswith(("VARCHAR", "TEXT", "STRING", "CHAR", "UUID", "ENUM")):
        return "text"
    return "other"
