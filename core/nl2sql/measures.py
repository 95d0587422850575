"""Measures and groups: what a question adds up, counts or averages, and per what.

Shared by the shapes in interpret.py, ranking.py and listing.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.catalog import ColumnInfo, TableInfo
from core.nl2sql.linking import Mention
from core.nl2sql.plan import Agg, Grain, Plan
from core.nl2sql.reading import Reader, date_columns, is_key, is_year_column, pick
from core.nl2sql.vocabulary import GRAINS, normalise, stem, word_set

_NON_ADDITIVE = word_set(
    """price cost rate ratio percent percentage pct share avg average mean median age rating
    temperature temp margin density speed height weight length duration elevation altitude
    rank position place latitude longitude lat lon year score grade level"""
)


_PERSON = word_set(
    """name player driver rider athlete artist winner person author director coach candidate
    nominee member manager actor actress singer team competitor name"""
)


@dataclass(frozen=True)
class Measure:
    agg: Agg
    column: ColumnInfo | None  # None: count rows
    entity: str = "rows"
    explicit_agg: bool = False


def measure_by(r: Reader, i: int) -> Measure | None:
    """'... by revenue', '... by total revenue', '... by number of orders'."""
    if not r.is_kw(i, "by"):
        return None
    found = measure_at(r, i + 1)
    if found:
        r.take(i)
    return found


def measure_at(r: Reader, i: int, default: Agg = "sum") -> Measure | None:
    """The measure a keyword points at: 'revenue', 'total revenue', 'orders' (a count)."""
    agg: Agg | None = None
    j = i
    if r.is_kw(j, "sum", "avg", "median", "min", "max", "count"):
        agg = r.ms[j].key  # type: ignore[assignment]
        j += 1
    while r.is_kw(j, "in"):  # 'of'
        j += 1
    m = r.at(j)
    if m is None or not r.free(j):
        if agg == "count":
            r.take(i)
            return Measure("count", None)
        return None
    column = pick(m.columns, ("number",)) if m.kind == "column" else None
    countable = column is not None and (is_key(column, r.table) or is_year_column(column))
    if column is not None and not (agg == "count" and countable):
        r.take(*range(i, j + 1))
        chosen = agg if agg and agg != "count" else default
        if agg == "count":  # 'how many points' adds points up
            chosen = "sum"
        return Measure(chosen, column, explicit_agg=agg is not None)
    if m.kind == "table" or (m.kind == "keyword" and m.key in ("rows", "times")):
        r.take(*range(i, j + 1))
        return Measure("count", None, _entity(m))
    if agg == "count" and m.kind == "column":
        r.take(*range(i, j + 1))
        column = pick(m.columns, ("text", "number", "date", "boolean"))
        return _count_of(r, column, m.text, named=m.strength >= 2)
    return None


def _count_of(r: Reader, column: ColumnInfo | None, said: str, named: bool) -> Measure:
    """'how many regions' / 'number of customers': distinct values of a repeating column
    (named in full, or an identifier); otherwise the rows ('how many matches')."""
    filtered = any(column in f.columns for f in r.filters)
    repeats = column is not None and column.distinct_count * 2 <= r.table.row_count
    meant = named or (column is not None and is_key(column, r.table))
    if column is not None and repeats and meant and not filtered:
        return Measure("count_distinct", column, said, explicit_agg=True)
    return Measure("count", None, said)


def _entity(m: Mention) -> str:
    return "rows" if m.kind == "keyword" and m.key == "rows" else m.text


def counted(r: Reader, i: int) -> Measure | None:
    found = measure_at(r, i)
    if found is None and r.is_kw(i, "count"):
        r.take(i)
        return Measure("count", None)
    return found


def implied_measure(r: Reader) -> Measure:
    """'revenue by region' sums revenue; 'orders by region' counts rows."""
    for i in r.free_indexes("column"):
        column = pick(r.ms[i].columns, ("number",))
        if column is not None and not is_key(column, r.table):
            r.take(i)
            return Measure("avg" if non_additive(column) else "sum", column)
    for i in r.free_indexes("table"):
        r.take(i)
        return Measure("count", None, r.ms[i].text)
    return Measure("count", None)


def non_additive(column: ColumnInfo) -> bool:
    words = {stem(w) for w in normalise(column.name).replace("_", " ").split()}
    return bool(words & _NON_ADDITIVE)


def unique(column: ColumnInfo, table: TableInfo) -> bool:
    return table.row_count > 0 and column.distinct_count >= table.row_count


def name_column(table: TableInfo) -> ColumnInfo | None:
    texts = [c for c in table.columns if c.kind == "text"]
    for column in texts:
        if {stem(w) for w in normalise(column.name).replace("_", " ").split()} & _PERSON:
            return column
    one_per_row = [c for c in texts if unique(c, table)]
    return (one_per_row or texts or [None])[0]


def row_entity(r: Reader) -> ColumnInfo | None:
    """The label column, when the question named its rows with a word of its own."""
    at = next((i for i in r.free_indexes("table") if r.ms[i].key == "row"), None)
    if at is None:
        return None
    r.take(at)
    return name_column(r.table)


def read_group(r: Reader) -> tuple[ColumnInfo | None, Grain | None]:
    for i in r.free_indexes("keyword"):
        m = r.ms[i]
        if m.key == "by" and r.free(i + 1):
            nxt = r.ms[i + 1]
            if nxt.kind == "keyword" and nxt.key in GRAINS:
                r.take(i, i + 1)
                return None, nxt.key  # type: ignore[return-value]
            column = pick(nxt.columns, ("text", "boolean", "date", "number"))
            if nxt.kind == "column" and column is not None:
                r.take(i, i + 1)
                return column, None
    for i in r.free_indexes("keyword"):
        m = r.ms[i]
        if m.key in GRAINS and m.text.endswith("ly") or m.key == "trend":
            r.take(i)
            return None, m.key if m.key in GRAINS else _auto_grain(r.table)  # type: ignore
    return None, None


def _auto_grain(table: TableInfo) -> Grain:
    dates = date_columns(table)
    if not dates or not dates[0].min or not dates[0].max:
        return "month"
    years = int(str(dates[0].max)[:4]) - int(str(dates[0].min)[:4])
    return "year" if years >= 4 else "month"


def aggregate_plan(r: Reader, measure: Measure, group, grain) -> Plan | None:
    base = Plan(r.table, "scalar", measure.agg, measure.column, entity=measure.entity)
    free_grain = next((i for i in r.free_indexes("keyword") if r.ms[i].key in GRAINS), None)
    if grain is None and group is None and free_grain is not None and date_columns(r.table):
        r.take(free_grain)
        grain = r.ms[free_grain].key
    if grain is not None:
        dates = date_columns(r.table)
        if dates:
            return replace(base, shape="trend", group=dates[0], grain=grain)
        years = [c for c in r.table.columns if is_year_column(c)]
        if grain == "year" and years:
            return replace(base, shape="grouped", group=years[0])
        return None
    if group is not None:
        if group.kind == "date" or is_year_column(group):
            return replace(base, shape="trend" if group.kind == "date" else "grouped", group=group)
        return replace(base, shape="grouped", group=group, order="desc")
    return base


def share_plan(r: Reader, i: int, group) -> Plan | None:
    r.take(i)
    measure = measure_at(r, i + 1) or implied_measure(r)
    if measure.agg not in ("sum", "count"):
        return None
    plan = Plan(r.table, "share", measure.agg, measure.column, entity=measure.entity)
    if group is None and not r.filters:
        return None
    return replace(plan, group=group, order="desc")
