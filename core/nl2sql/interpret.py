"""Decide a question's shape from its mentions: count, aggregate, top-N, trend, share, list...

The filters are read first (reading.py); what remains must fit one shape exactly, otherwise
the question is refused with the words that did not fit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.catalog import ColumnInfo, TableInfo
from core.nl2sql.linking import Mention
from core.nl2sql.plan import Agg, Grain, Plan
from core.nl2sql.reading import (
    Reader,
    date_columns,
    is_id,
    is_year_column,
    pick,
    read_comparisons,
    read_dates,
    read_number_equalities,
    read_values,
)
from core.nl2sql.vocabulary import GRAINS, normalise, stem, word_set

_ENTITY_SLOT = frozenset({"count"})
_COUNTING_SUPERLATIVES = frozenset({"most", "the most", "fewest", "least", "more", "less"})
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
class Refusal:
    """The question could not be fully mapped: ``words`` are the parts left over."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class _Measure:
    agg: Agg
    column: ColumnInfo | None  # None: count rows
    entity: str = "rows"
    explicit_agg: bool = False


def interpret(mentions: list[Mention], table: TableInfo) -> Plan | Refusal:
    mentions = _claim_entities(mentions)
    unknown = tuple(m.text for m in mentions if m.kind == "unknown")
    if unknown:
        return Refusal(unknown)
    framing = {m.text for m in mentions if m.kind == "stop"}
    r = Reader(table, [m for m in mentions if m.kind != "stop"])
    top = _read_top(r)
    read_comparisons(r)
    read_dates(r)
    read_values(r)
    read_number_equalities(r)
    group, grain = _read_group(r)
    plan = _decide(r, framing, top, group, grain)
    leftovers = tuple(m.text for m in r.leftovers() if m.kind != "table")
    if plan is None or leftovers:
        return Refusal(leftovers or tuple(m.text for m in r.ms if m.kind != "keyword"))
    return plan.with_filters(tuple(r.filters))


def _claim_entities(mentions: list[Mention]) -> list[Mention]:
    """The unknown noun right after 'how many' / 'the most' is the thing being counted."""
    out = list(mentions)
    for i, m in enumerate(out):
        if m.kind != "unknown" or i == 0:
            continue
        prev = out[i - 1]
        counted = prev.kind == "keyword" and (
            prev.key in _ENTITY_SLOT or prev.text in _COUNTING_SUPERLATIVES
        )
        chained = prev.kind == "table" and prev.key == "entity" and i >= 2
        if counted or (chained and out[i - 2].kind == "keyword"):
            out[i] = replace(m, kind="table", key="entity")
    return out


# --- top N -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Top:
    limit: int
    order: str
    ranked: ColumnInfo | None  # the group being ranked; None ranks whole rows
    measure: _Measure


def _read_top(r: Reader) -> _Top | None:
    for i, m in enumerate(r.ms):
        if not r.is_kw(i, "max", "min") or m.text in _COUNTING_SUPERLATIVES:
            continue
        n_at = next((j for j in (i + 1, i - 1) if _count_number(r, j)), None)
        if n_at is None:
            continue
        ranked_at = max(i, n_at) + 1
        ranked = r.at(ranked_at)
        if ranked is None or ranked.kind not in ("column", "table", "keyword"):
            continue
        if ranked.kind == "keyword" and ranked.key != "rows":
            continue
        measure = _measure_by(r, ranked_at + 1)
        column = pick(ranked.columns, ("text", "boolean", "date", "number"))
        if measure is None and column is not None and column.kind == "number":
            measure, column = _Measure("max", column), None
        if measure is None:
            measure = _Measure("count", None)
        r.take(i, n_at, ranked_at)
        order = "desc" if m.key == "max" else "asc"
        return _Top(int(r.ms[n_at].number or 1), order, column, measure)
    return None


def _count_number(r: Reader, i: int) -> bool:
    m = r.at(i)
    return bool(m and m.kind == "number" and r.free(i) and m.number and 1 <= m.number <= 1000)


def _measure_by(r: Reader, i: int) -> _Measure | None:
    """'... by revenue', '... by total revenue', '... by number of orders'."""
    if not r.is_kw(i, "by"):
        return None
    found = _measure_at(r, i + 1)
    if found:
        r.take(i)
    return found


def _measure_at(r: Reader, i: int, default: Agg = "sum") -> _Measure | None:
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
            return _Measure("count", None)
        return None
    column = pick(m.columns, ("number",)) if m.kind == "column" else None
    if column is not None and not (agg == "count" and is_id(column)):
        r.take(*range(i, j + 1))
        chosen = agg if agg and agg != "count" else default
        if agg == "count":
            chosen = "sum"
        return _Measure(chosen, column, explicit_agg=agg is not None)
    if m.kind == "table" or (m.kind == "keyword" and m.key in ("rows", "times")):
        r.take(*range(i, j + 1))
        return _Measure("count", None, _entity(m))
    if agg == "count" and m.kind == "column":
        counted = pick(m.columns, ("text", "number", "date", "boolean"))
        r.take(*range(i, j + 1))
        return _Measure("count_distinct", counted, explicit_agg=True)
    return None


def _entity(m: Mention) -> str:
    return "rows" if m.kind == "keyword" and m.key == "rows" else m.text


# --- group by ----------------------------------------------------------------------------


def _read_group(r: Reader) -> tuple[ColumnInfo | None, Grain | None]:
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


# --- shapes ------------------------------------------------------------------------------


def _decide(r: Reader, framing: set[str], top, group, grain) -> Plan | None:
    table = r.table
    if top is not None:
        return _top_plan(table, top, group)
    share = next((i for i in r.free_indexes("keyword") if r.ms[i].key == "share"), None)
    if share is not None:
        return _share_plan(r, share, group)
    superlative = next(
        (i for i in r.free_indexes("keyword") if r.ms[i].key in ("max", "min")), None
    )
    if superlative is not None:
        return _superlative_plan(r, superlative, framing, group, grain)
    agg_at = next(
        (i for i in r.free_indexes("keyword") if r.ms[i].key in ("count", "sum", "avg", "median")),
        None,
    )
    if agg_at is not None:
        measure = _counted(r, agg_at) if r.ms[agg_at].key == "count" else _measure_at(r, agg_at)
        if measure is None:
            return None
        return _aggregate_plan(r, measure, group, grain)
    if grain is not None or group is not None:
        return _aggregate_plan(r, _implied_measure(r), group, grain)
    return _listing_plan(r, framing)


def _counted(r: Reader, i: int) -> _Measure | None:
    found = _measure_at(r, i)
    if found is None and r.is_kw(i, "count"):
        r.take(i)
        return _Measure("count", None)
    return found


def _implied_measure(r: Reader) -> _Measure:
    """'revenue by region' sums revenue; 'orders by region' counts rows."""
    for i in r.free_indexes("column"):
        column = pick(r.ms[i].columns, ("number",))
        if column is not None and not is_id(column):
            r.take(i)
            return _Measure("avg" if _non_additive(column) else "sum", column)
    for i in r.free_indexes("table"):
        r.take(i)
        return _Measure("count", None, r.ms[i].text)
    return _Measure("count", None)


def _non_additive(column: ColumnInfo) -> bool:
    words = {stem(w) for w in normalise(column.name).replace("_", " ").split()}
    return bool(words & _NON_ADDITIVE)


def _aggregate_plan(r: Reader, measure: _Measure, group, grain) -> Plan | None:
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


def _share_plan(r: Reader, i: int, group) -> Plan | None:
    r.take(i)
    measure = _measure_at(r, i + 1) or _implied_measure(r)
    if measure.agg not in ("sum", "count"):
        return None
    plan = Plan(r.table, "share", measure.agg, measure.column, entity=measure.entity)
    if group is None and not r.filters:
        return None
    return replace(plan, group=group, order="desc")


def _superlative_plan(r: Reader, i: int, framing, group, grain) -> Plan | None:
    m = r.ms[i]
    r.take(i)
    order = "desc" if m.key == "max" else "asc"
    measure = _measure_at(r, i + 1, default="max" if m.key == "max" else "min")
    if measure is None:
        return None
    if group is not None or (grain is not None and measure.column is not None):
        agg = measure.agg if measure.explicit_agg else m.key
        return _aggregate_plan(r, replace(measure, agg=agg), group, grain)
    target = _target_group(r, framing, grain)
    if target is None:
        if measure.column is None:
            return None
        return Plan(
            r.table, "scalar", m.key if not measure.explicit_agg else measure.agg, measure.column
        )
    column, bucket = target
    agg = measure.agg
    if measure.column is not None and not measure.explicit_agg:
        unique = column is not None and _unique(column, r.table)
        agg = m.key if unique or _non_additive(measure.column) else "sum"
    plan = Plan(
        r.table,
        "top",
        agg,
        measure.column,
        group=column,
        order=order,
        limit=1,
        entity=measure.entity,
    )
    if bucket:
        dates = date_columns(r.table)
        if not dates:
            return None
        plan = replace(plan, group=dates[0], grain=bucket)
    return plan


def _target_group(r: Reader, framing, grain) -> tuple[ColumnInfo | None, Grain | None] | None:
    """The thing a superlative picks: 'which region', 'who', 'which month'."""
    for i in r.free_indexes("column"):
        column = pick(r.ms[i].columns, ("text", "boolean", "date", "number"))
        if column is not None:
            r.take(i)
            return column, None
    for i in r.free_indexes("keyword"):
        if r.ms[i].key in GRAINS:
            r.take(i)
            return None, r.ms[i].key  # type: ignore[return-value]
    if grain is not None:
        return None, grain
    for f in r.filters:  # 'who had more goals, A or B': the value's own column
        if len(f.values) > 1 and f.op == "=":
            return f.columns[0], None
    if "who" in framing:
        column = name_column(r.table)
        return (column, None) if column else None
    return None


def _unique(column: ColumnInfo, table: TableInfo) -> bool:
    return table.row_count > 0 and column.distinct_count >= table.row_count


def name_column(table: TableInfo) -> ColumnInfo | None:
    texts = [c for c in table.columns if c.kind == "text"]
    for column in texts:
        if {stem(w) for w in normalise(column.name).replace("_", " ").split()} & _PERSON:
            return column
    unique = [c for c in texts if _unique(c, table)]
    return (unique or texts or [None])[0]


def _top_plan(table: TableInfo, top: _Top, group) -> Plan | None:
    if group is not None:
        return None
    measure = top.measure
    agg = measure.agg
    ranked = top.ranked
    if ranked is not None and measure.column is not None and not measure.explicit_agg:
        agg = top.order == "desc" and "max" or "min"
        if not _unique(ranked, table) and not _non_additive(measure.column):
            agg = "sum"
    if ranked is None and measure.column is None:
        return None
    return Plan(
        table,
        "top",
        agg,
        measure.column,
        group=ranked,
        order=top.order,
        limit=top.limit,
        entity=measure.entity,
    )


def _listing_plan(r: Reader, framing) -> Plan | None:
    first = next((i for i in r.free_indexes("keyword") if r.ms[i].key in ("first", "last")), None)
    targets = []
    for i in r.free_indexes("column"):
        targets.append(pick(r.ms[i].columns))
        r.take(i)
    if not targets and "who" in framing and r.filters:
        targets = [name_column(r.table)]
    if not targets and "when" in framing:
        dates = date_columns(r.table) or [c for c in r.table.columns if is_year_column(c)]
        targets = dates[:1]
    targets = [t for t in targets if t is not None]
    if first is not None:
        if len(targets) != 1:
            return None
        r.take(first)
        last = r.ms[first].key == "last"
        if last and r.filters:
            return None
        offset = r.table.row_count - 1 if last else 0
        return Plan(r.table, "position", select=tuple(targets), offset=offset, limit=1)
    if targets:
        shape = "lookup" if r.filters or any(t.kind != "text" for t in targets) else "distinct"
        if shape == "lookup" and all(t.kind == "text" for t in targets):
            shape = "distinct"
        return Plan(r.table, shape, select=tuple(targets))
    for i in r.free_indexes("table"):
        r.take(i)
    return Plan(r.table, "rows")
