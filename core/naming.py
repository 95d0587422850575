"""SQL names for uploaded columns and tables: snake_case, unique, never a reserved word.

Questions are answered with SQL that a model or the rules engine writes, often without
quoting, so every name must work bare in DuckDB and in sqlglot's DuckDB dialect. The header
text as uploaded is kept next to the name in the column metadata.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from functools import lru_cache

from core.errors import ValidationError

MAX_IDENTIFIER = 63  # PostgreSQL's limit; column_metadata and datasets use it too

# Words sqlglot's DuckDB dialect cannot read as a bare column name although DuckDB can.
_SQLGLOT_RESERVED = frozenset(
    ["alter", "cube", "drop", "force", "grant", "if", "insert", "install", "lock", "revoke"]
    + ["rollback", "rollup"]
)
# DuckDB's own catalogs and schemas: a table (a view in the sandbox) must not shadow them.
_CATALOG_NAMES = frozenset(["main", "temp", "system", "memory", "information_schema"])

# Letters that Unicode does not decompose into ASCII, written the way people would type them.
_TRANSLITERATE = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "%": " pct ",
        "#": " num ",
        "&": " and ",
        "@": " at ",
        "+": " plus ",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_VALID = re.compile(r"[a-z_][a-z0-9_]*")


@lru_cache(maxsize=1)
def reserved_words() -> frozenset[str]:
    """DuckDB's keywords that cannot stand bare as a column name, from the installed DuckDB."""
    import duckdb

    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category <> 'unreserved'"
        ).fetchall()
    return frozenset(row[0].lower() for row in rows) | _SQLGLOT_RESERVED


def to_identifier(
    text: str | None,
    *,
    fallback: str,
    digit_prefix: str = "col_",
    avoid: frozenset[str] = frozenset(),
) -> str:
    """Snake_case ASCII for ``text``; ``fallback`` when nothing usable is left (blank, emoji)."""
    spaced = _CAMEL.sub("_", unicodedata.normalize("NFKC", text or "").translate(_TRANSLITERATE))
    ascii_text = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode()
    name = _NOT_WORD.sub("_", ascii_text.lower()).strip("_")
    if not name:
        return fallback
    if name[0].isdigit():
        name = digit_prefix + name
    name = _cut(name)
    if name in reserved_words() or name in avoid:
        name = _cut(name, MAX_IDENTIFIER - 1) + "_"
    return name


def _cut(name: str, limit: int = MAX_IDENTIFIER) -> str:
    return name[:limit].rstrip("_") or name[:limit]


def make_unique(name: str, taken: Collection[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... cut so the suffix still fits in 63 characters."""
    if name not in taken:
        return name
    number = 2
    while True:
        suffix = f"_{number}"
        candidate = _cut(name, MAX_IDENTIFIER - len(suffix)) + suffix
        if candidate not in taken:
            return candidate
        number += 1


def column_names(headers: Sequence[str | None]) -> list[str]:
    """One SQL name per header, in order: blanks become column_<n>, repeats get _2, _3..."""
    taken: set[str] = set()
    names = []
    for position, header in enumerate(headers, start=1):
        base = to_identifier(header, fallback=f"column_{position}")
        name = make_unique(base, taken)
        taken.add(name)
        names.append(name)
    return names


_DATA_SUFFIXES = (
    ".gz",
    ".csv",
    ".tsv",
    ".txt",
    ".tab",
    ".psv",
    ".xlsx",
    ".parquet",
    ".pq",
    ".jsonl",
    ".ndjson",
    ".json",
)


def table_name_for(filename: str, taken: Iterable[str]) -> str:
    """The chat-facing name from the file name: ``Sales 2024.csv`` -> ``sales_2024``."""
    stem = filename.replace("\\", "/").rsplit("/", 1)[-1]
    lowered = stem.lower()
    while lowered.endswith(_DATA_SUFFIXES):
        cut = next(s for s in _DATA_SUFFIXES if lowered.endswith(s))
        stem, lowered = stem[: -len(cut)], lowered[: -len(cut)]
    base = to_identifier(stem, fallback="data", digit_prefix="table_", avoid=_CATALOG_NAMES)
    return make_unique(base, set(taken))


def validate_table_name(name: str) -> str:
    """A name a user typed, lower-cased; ValidationError says what would work instead."""
    cleaned = name.strip().lower()
    if not cleaned:
        raise ValidationError("A table name cannot be empty.")
    suggestion = to_identifier(
        cleaned, fallback="data", digit_prefix="table_", avoid=_CATALOG_NAMES
    )
    if len(cleaned) > MAX_IDENTIFIER:
        raise ValidationError(
            f"A table name can have at most {MAX_IDENTIFIER} characters; "
            f"this one has {len(cleaned)}."
        )
    if cleaned in reserved_words() or cleaned in _CATALOG_NAMES:
        raise ValidationError(
            f"'{cleaned}' is a reserved word in SQL and cannot name a table. "
            f"Try '{suggestion}' instead."
        )
    if not _VALID.fullmatch(cleaned):
        raise ValidationError(
            "A table name may use only letters, digits and underscores, and must not start "
            f"with a digit. Try '{suggestion}' instead."
        )
    return cleaned
