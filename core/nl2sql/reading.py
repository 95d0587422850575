"""Turn linked mentions into filters: cell values, numeric comparisons (dates: periods.py).

Each step consumes the mentions it explains; whatever is left decides the question's shape
(see interpret.py) or, if nothing can use it, makes the engine decline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.catalog import ColumnInfo, TableInfo
from core.nl2sql.linking import Mention, profiled_values
from core.nl2sql.plan import Filter, Op
from core.nl2sql.vocabulary import normalise, stem, synonyms

# Keywords that only glue a sentence together: they never need a job of their own.
SOFT = frozenset({"in", "where", "and", "rows", "distinct", "than", "glue"})
_COMPARE: dict[str, Op] = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "="}
_FLIP: dict[Op, Op] = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "=": "!=", "!=": "="}


@dataclass
class Reader:
    """The mentions of one question (stop words dropped) and which ones are explained."""

    table: TableInfo
    ms: list[Mention]
    used: set[int] = field(default_factory=set)
    filters: list[Filter] = field(default_factory=list)
    having: tuple[Op, tuple[Any, ...], str] | None = None  # 'more than 5 orders' (per group)

    def at(self, i: int) -> Mention | None:
        return self.ms[i] if 0 <= i < len(self.ms) else None

    def free(self, i: int) -> bool:
        return 0 <= i < len(self.ms) and i not in self.used

    def is_kw(self, i: int, *keys: str) -> bool:
        m = self.at(i)
        return bool(m and m.kind == "keyword" and m.key in keys and i not in self.used)

    def take(self, *indexes: int) -> None:
        self.used.update(indexes)

    def free_indexes(self, kind: str | None = None) -> list[int]:
        return [
            i
            for i, m in enumerate(self.ms)
            if i not in self.used and (kind is None or m.kind == kind)
        ]

    def leftovers(self) -> list[Mention]:
        return [
            m
            for i, m in enumerate(self.ms)
            if i not in self.used and not (m.kind == "keyword" and m.key in SOFT)
        ]

    def column_at(self, i: int, kinds: tuple[str, ...] = ()) -> ColumnInfo | None:
        m = self.at(i)
        if not m or m.kind not in ("column", "verb") or i in self.used:
            return None  # a verb ('lost' -> losses) may name the column a filter is on
        return pick(m.columns, kinds)

    def take_preposition(self, i: int) -> None:
        """'in', 'from', 'where', 'with' before a filter belong to it."""
        while self.is_kw(i, "in", "where"):
            self.take(i)
            i -= 1


def pick(columns: tuple[ColumnInfo, ...], kinds: tuple[str, ...] = ()) -> ColumnInfo | None:
    for column in columns:
        if not kinds or column.kind in kinds:
            return column
    return None


def is_id(column: ColumnInfo) -> bool:
    words = normalise(column.name).replace("_", " ").split()
    return bool(words) and words[-1] in ("id", "key", "code", "no", "nr", "number", "uuid")


def is_key(column: ColumnInfo, table: TableInfo) -> bool:
    """An identifier or a running number (1, 2, 3...): counted, never added up."""
    if is_id(column):
        return True
    if column.kind != "number" or table.row_count < 3:
        return False
    try:
        low, high = float(column.min), float(column.max)
    except (TypeError, ValueError):
        return False
    one_each = column.distinct_count >= table.row_count - 2
    return one_each and low in (0.0, 1.0) and abs(high - low + 1 - column.distinct_count) <= 2


def is_year_column(column: ColumnInfo) -> bool:
    if column.kind != "number":
        return False
    words = {stem(w) for w in normalise(column.name).replace("_", " ").split()}
    return bool(words & (synonyms("year") | {"yr"}))


def date_columns(table: TableInfo) -> list[ColumnInfo]:
    found = [c for c in table.columns if c.kind == "date"]
    return sorted(found, key=lambda c: "date" not in c.name.lower())


def year_value(m: Mention | None) -> int | None:
    if m and m.kind == "number" and m.number is not None and float(m.number).is_integer():
        year = int(m.number)
        if 1800 <= year <= 2200 and "," not in m.text:
            return year
    return None


_SUMMARY = re.compile(r"^((grand |sub)?totals?|overall|all|sum|career|average)\b")


def summary_filters(table: TableInfo) -> list[Filter]:
    """Rows labelled 'Total' / 'Grand total' / 'Overall': a table's own summary lines."""
    found = []
    for column in table.columns:
        if column.kind != "text":
            continue
        counts = dict(column.top_values)
        labels = tuple(
            v
            for v in profiled_values(column)
            if _SUMMARY.match(normalise(str(v)).strip(" *:")) and counts.get(v, 1) == 1
        )
        if labels:
            found.append(Filter((column,), "excluding", labels))
    return found


# --- values ------------------------------------------------------------------------------


def read_values(r: Reader) -> None:
    for i in r.free_indexes("value"):
        if i in r.used:
            continue
        run = [i]
        while r.is_kw(run[-1] + 1, "and") and _is_value(r, run[-1] + 2):
            run.append(run[-1] + 2)
        _value_filter(r, run)


def _is_value(r: Reader, i: int) -> bool:
    m = r.at(i)
    return bool(m and m.kind == "value" and r.free(i))


def _value_filter(r: Reader, run: list[int]) -> None:
    first = r.ms[run[0]]
    shared = _shared_columns([r.ms[i] for i in run])
    if len(run) > 1 and not shared:  # different columns: one filter each
        for i in run:
            _value_filter(r, [i])
            r.take(i + 1) if r.is_kw(i + 1, "and") else None
        return
    candidates = shared or tuple(dict.fromkeys(c for c, _ in first.choices))
    column, named_at = _named_column(r, run, candidates)
    columns = (column,) if column else candidates
    if len(columns) > 1 and first.strength < 3:
        return  # a quoted text that is in no profile and no column named it: leave it
    values: list[Any] = []
    for i in run:
        values.extend(v for c, v in r.ms[i].choices if c == columns[0] and v not in values)
    op: Op = "="
    start = min(run + named_at)
    if r.is_kw(start - 1, "not") or r.is_kw(start - 2, "not") and r.is_kw(start - 1, "in"):
        op = "!="
        r.take(start - 1 if r.is_kw(start - 1, "not") else start - 2)
    r.take(*run, *named_at, *range(run[0], run[-1]))
    r.take_preposition(start - 1)
    if r.is_kw(start - 1, "by"):  # 'won by Wales', 'laps completed by Neel Jani'
        r.take(start - 1)
    r.filters.append(Filter(columns, op, tuple(values)))


def _shared_columns(ms: list[Mention]) -> tuple[ColumnInfo, ...]:
    sets = [dict.fromkeys(c for c, _ in m.choices) for m in ms]
    return tuple(c for c in sets[0] if all(c in s for s in sets[1:]))


def _named_column(r: Reader, run: list[int], candidates: tuple[ColumnInfo, ...]):
    """'region Europe', 'Europe region', 'produced by Chaos', 'the position of WR' name the
    value's column."""
    glued = r.is_kw(run[0] - 1, "by", "in", "eq")
    before = [run[0] - 2, run[0] - 1] if glued else [run[0] - 1]
    for used in (before, [run[-1] + 1]):
        m = r.at(used[0])
        if m and m.kind in ("column", "verb") and r.free(used[0]):
            hit = next((c for c in m.columns if c in candidates), None)
            if hit:
                return hit, used
    if len(candidates) > 1:  # a column named elsewhere in the question breaks the tie
        named = {c for m in r.ms if m.kind == "column" for c in m.columns}
        hits = [c for c in candidates if c in named]
        if len(hits) == 1:
            return hits[0], []
    return None, []


# --- numbers and comparisons -------------------------------------------------------------


def read_comparisons(r: Reader) -> None:
    for i, m in enumerate(r.ms):
        if m.kind != "keyword" or i in r.used:
            continue
        if m.key == "between" and _number(r, i + 1) and r.is_kw(i + 2, "and") and _number(r, i + 3):
            low, high = sorted((r.ms[i + 1].number, r.ms[i + 3].number))
            _compare(r, [i, i + 1, i + 2, i + 3], "between", (low, high))
        elif m.key in _COMPARE and _number(r, i + 1):
            _compare(r, [i, i + 1], _COMPARE[m.key], (r.ms[i + 1].number,))
        elif m.key in ("gte", "lte") and _number(r, i - 1) and m.text.startswith("or "):
            _compare(r, [i - 1, i], _COMPARE[m.key], (r.ms[i - 1].number,))


def _number(r: Reader, i: int) -> bool:
    m = r.at(i)
    return bool(m and m.kind == "number" and r.free(i))


def _compare(r: Reader, span: list[int], op: Op, values: tuple[Any, ...]) -> None:
    first, last = min(span), max(span)
    negate = r.is_kw(first - 1, "not")
    before = first - 1 - negate
    column = r.column_at(before, ("number",))
    named = before
    if _counted_rows(r, last + 1):  # 'customers with more than 5 orders': not customer_id > 5
        column = None
    elif column is None:
        column, named = r.column_at(last + 1, ("number",)), last + 1
    if column is None and r.is_kw(last + 1, "in"):  # 'more than 1,500 in attendance'
        column, named = r.column_at(last + 2, ("number",)), last + 2
        if column is not None:
            r.take(last + 1)
    if column is None and _counted_rows(r, last + 1):  # 'more than 5 orders'
        r.take(*span, last + 1, *([first - 1] if negate else []))
        r.having = (_FLIP.get(op, op) if negate else op, values, r.ms[last + 1].text)
        return
    if column is None:
        return
    if negate:
        r.take(first - 1)
        op = _FLIP.get(op, op)
    r.take(*span, named)
    r.take_preposition(min(named, first) - 1)
    r.filters.append(Filter((column,), op, values))


def _counted_rows(r: Reader, i: int) -> bool:
    m = r.at(i)
    return bool(m and r.free(i) and (m.kind == "table" or r.is_kw(i, "rows", "times")))


def read_number_equalities(r: Reader) -> None:
    """'9 points', 'points of 9', or a number that is a known cell value ('the 1985 one')."""
    for i in r.free_indexes("number"):
        m = r.ms[i]
        # '9 points', 'points 9', 'an output of 1', '31,840 in attendance'
        linked = (j for j in (i + 1, i - 1, i + 2, i - 2) if _linkable(r, i, j))
        for j in linked:
            column = r.column_at(j, ("number",))
            if column is not None and m.number is not None and _in_range(column, m.number):
                r.take(*range(min(i, j), max(i, j) + 1))
                r.take_preposition(min(i, j) - 1)
                r.filters.append(Filter((column,), "=", (m.number,)))
                break
        else:
            _number_as_value(r, i)


def _linkable(r: Reader, i: int, j: int) -> bool:
    """Next to the number, or one 'of' / 'in' / 'equal to' away."""
    if abs(i - j) == 1:
        return True
    between = (i + j) // 2
    return r.is_kw(between, "in", "eq")


def _in_range(column: ColumnInfo, number: float) -> bool:
    try:
        return float(column.min) <= number <= float(column.max)
    except (TypeError, ValueError):
        return True


def _number_as_value(r: Reader, i: int) -> None:
    m = r.ms[i]
    hits = [
        (c, v)
        for c in r.table.columns
        if c.kind == "text"
        for v in profiled_values(c)
        if normalise(str(v)).strip() == m.text
    ]
    if not hits and m.number is not None and float(m.number).is_integer():
        hits = [
            (c, int(m.number))
            for c in r.table.columns
            if is_year_column(c) and _in_range(c, m.number)
        ]
    if len({c for c, _ in hits}) == 1:
        r.take(i)
        r.take_preposition(i - 1)
        r.filters.append(Filter((hits[0][0],), "=", (hits[0][1],)))
