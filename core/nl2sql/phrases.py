"""Sentences the rules engine writes: the answer from a result, and phrasings it can answer.

The answer is templated from the result's shape, which the understanding line already names
("... highest first", "... in date order"), so it never needs the plan again.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.catalog import ColumnInfo, TableInfo

_LIST_MAX = 5


def fmt(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1e6 else f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def humanize(column: str) -> str:
    text = column.replace("_", " ").strip()
    if text == "count":
        return "the count"
    if text == "share pct":
        return "the share"
    if text.startswith(("total ", "average ", "median ", "lowest ", "highest ", "number ")):
        return text
    return f"the {text}"


def plural(word: str) -> str:
    word = word.replace("_", " ")
    if word.endswith("s"):
        return word
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _conditions(understanding: str) -> str:
    understanding = re.sub(r" \(joining [^)]*\)$", "", understanding)
    _, _, where = understanding.partition(" where ")
    for note in (", highest first", ", in date order", ", in percent of all"):
        where = where.removesuffix(note)
    return f" ({where})" if where else ""


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def answer_sentence(
    understanding: str, columns: list[str], rows: list[tuple], total_count: int
) -> str:
    if not rows:
        return f"No rows match{_conditions(understanding)}."
    conditions = _conditions(understanding)
    low = understanding.lower()
    if len(rows) == 1 and len(columns) == 1:
        value = fmt(rows[0][0]) + ("%" if columns[0] == "share_pct" else "")
        return f"{_capital(humanize(columns[0]))} is {value}{conditions}."
    if low.startswith("the ") and " with the " in low and len(columns) >= 2:
        most = "highest" if " with the highest " in low else "lowest"
        return (
            f"{fmt(rows[0][0])} has the {most} {humanize(columns[-1]).removeprefix('the ')} "
            f"({fmt(rows[0][-1])}){conditions}."
        )
    if "highest first" in low and len(columns) == 2:
        return (
            f"{fmt(rows[0][0])} has the highest {humanize(columns[1]).removeprefix('the ')} "
            f"({fmt(rows[0][1])}) of {total_count:,} {plural(columns[0])}{conditions}."
        )
    if low.startswith("share") and "share_pct" in columns:
        return (
            f"{fmt(rows[0][0])} has the largest share ({fmt(rows[0][-1])}%) "
            f"of {total_count:,} {plural(columns[0])}."
        )
    if "in date order" in low and len(columns) == 2:
        peak = max(rows, key=lambda row: (row[1] is not None, row[1] or 0))
        return (
            f"{_capital(humanize(columns[1]))} per {columns[0]} from {fmt(rows[0][0])} to "
            f"{fmt(rows[-1][0])}; the highest is {fmt(peak[1])} in {fmt(peak[0])}{conditions}."
        )
    if re.match(r"(top|bottom) \d+", low):
        shown = ", ".join(f"{fmt(r[0])} ({fmt(r[-1])})" for r in rows[:_LIST_MAX])
        return f"{_capital(understanding)}: {shown}."
    if low.startswith("the distinct values") and len(columns) == 1:
        return f"There are {total_count:,} distinct {plural(columns[0])}: {_listing(rows)}."
    if len(columns) == 1:
        return f"{_capital(humanize(columns[0]))}{conditions}: {_listing(rows, total_count)}."
    noun = "row matches" if total_count == 1 else "rows match"
    return f"{total_count:,} {noun}{conditions or ''}."


def _listing(rows: list[tuple], total: int | None = None) -> str:
    values = [fmt(r[0]) for r in rows[:_LIST_MAX]]
    more = (total or len(rows)) - len(values)
    return ", ".join(values) + (f" and {more:,} more" if more > 0 else "")


# --- suggestions -------------------------------------------------------------------------

_ADDITIVE_HINTS = ("revenue", "sales", "amount", "total", "quantity", "price", "cost", "value")


def suggestion_candidates(table: TableInfo) -> list[str]:
    """Phrasings built from this table's real columns; the engine keeps those it can answer."""
    measure = _measure(table)
    group = _group(table)
    dated = next((c for c in table.columns if c.kind == "date" and c.max), None)
    words = table.name.split("_")
    entity = " ".join(words) if all(w.isalpha() for w in words) else "rows"
    found: list[str] = []
    if measure and group:
        found.append(f"total {_name(measure)} by {_name(group)}")
    if dated:
        found.append(f"how many {entity} in {str(dated.max)[:4]}")
    if measure and group:
        found.append(f"top 5 {plural(_name(group))} by {_name(measure)}")
    if group:
        found.append(f"how many {entity} per {_name(group)}")
    if measure:
        found.append(f"average {_name(measure)}")
    if dated and measure:
        found.append(f"{_name(measure)} per month")
    if group:
        found.append(f"list the {plural(_name(group))}")
    found.append(f"how many {entity}")
    return found


def _name(column: ColumnInfo) -> str:
    return column.name.replace("_", " ")


def _measure(table: TableInfo) -> ColumnInfo | None:
    numbers = [
        c
        for c in table.columns
        if c.kind == "number" and not c.name.lower().endswith(("id", "_no", "year"))
    ]
    ranked = sorted(numbers, key=lambda c: not any(h in c.name.lower() for h in _ADDITIVE_HINTS))
    return ranked[0] if ranked else None


def _group(table: TableInfo) -> ColumnInfo | None:
    texts = [c for c in table.columns if c.kind == "text" and 2 <= c.distinct_count <= 50]
    return min(texts, key=lambda c: c.distinct_count) if texts else None
