"""Ranking shapes: top/bottom N, 'which X has the highest Y', comparisons of named rows."""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.catalog import ColumnInfo, TableInfo
from core.nl2sql.listing import anchor_pair
from core.nl2sql.measures import (
    Measure,
    aggregate_plan,
    measure_at,
    measure_by,
    name_column,
    non_additive,
    row_entity,
    unique,
)
from core.nl2sql.plan import Grain, Plan
from core.nl2sql.reading import Reader, date_columns, pick
from core.nl2sql.vocabulary import GRAINS

COUNTING_SUPERLATIVES = frozenset({"most", "the most", "fewest", "least", "more", "less"})


@dataclass(frozen=True)
class Top:
    limit: int
    order: str
    ranked: ColumnInfo | None  # the group being ranked; None ranks whole rows
    measure: Measure


def read_top(r: Reader) -> Top | None:
    for i, m in enumerate(r.ms):
        if not r.is_kw(i, "max", "min") or m.text in COUNTING_SUPERLATIVES:
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
        measure = measure_by(r, ranked_at + 1)
        column = pick(ranked.columns, ("text", "boolean", "date", "number"))
        if measure is None and column is not None and column.kind == "number":
            measure, column = Measure("max", column), None
        if measure is None:
            measure = Measure("count", None)
        r.take(i, n_at, ranked_at)
        order = "desc" if m.key == "max" else "asc"
        return Top(int(r.ms[n_at].number or 1), order, column, measure)
    return None


def _count_number(r: Reader, i: int) -> bool:
    m = r.at(i)
    return bool(m and m.kind == "number" and r.free(i) and m.number and 1 <= m.number <= 1000)


def superlative_plan(r: Reader, i: int, framing, group, grain) -> Plan | None:
    m = r.ms[i]
    r.take(i)
    order = "desc" if m.key == "max" else "asc"
    measure = measure_at(r, i + 1, default="max" if m.key == "max" else "min")
    if measure is None and (m.text.endswith(_FREQUENCY) or r.at(i + 1) is None):
        measure = Measure("count", None)  # 'who appears most often', 'listed the most'
    if measure is None:
        return None
    if group is not None or (grain is not None and measure.column is not None):
        agg = measure.agg if measure.explicit_agg or measure.column is None else m.key
        return aggregate_plan(r, replace(measure, agg=agg), group, grain)
    than = next((j for j in r.free_indexes("keyword") if r.ms[j].key == "than"), None)
    if than is not None:
        r.take(than)
        return _than_plan(r, measure, 1 if m.key == "max" else -1, framing)
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
        one_row = column is not None and unique(column, r.table)
        agg = m.key if one_row or non_additive(measure.column) else "sum"
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
    pair = anchor_pair(r)  # 'who had more goals, A or B': the values' own column
    if pair is not None:
        r.filters.append(pair)
        return pair.columns[0], None
    row = row_entity(r)
    if row is not None:
        return row, None
    if "who" in framing:
        column = name_column(r.table)
        return (column, None) if column else None
    return None


def top_plan(table: TableInfo, top: Top, group) -> Plan | None:
    if group is not None:
        return None
    measure = top.measure
    agg = measure.agg
    ranked = top.ranked
    if ranked is not None and measure.column is not None and not measure.explicit_agg:
        agg = top.order == "desc" and "max" or "min"
        if not unique(ranked, table) and not non_additive(measure.column):
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


def difference_plan(r: Reader, at: int) -> Plan | None:
    """'difference in gold between A and B', 'how many more points did A score than B'."""
    r.take(at)
    signed = r.ms[at].text.startswith("how ")
    for i in r.free_indexes("keyword"):  # 'between A and B', 'A over B', 'A than B'
        if r.ms[i].key == "between" or r.ms[i].text in ("over", "than", "compared to"):
            r.take(i)
    pair = anchor_pair(r)
    measure = measure_at(r, at + 1) or _free_measure(r)
    if pair is None or measure is None or measure.column is None:
        return None
    return Plan(r.table, "difference", "sum", measure.column, anchor=pair, step=int(signed))


def same_plan(r: Reader, at: int, framing) -> Plan | None:
    """'which team has the same percentage as the Delhi Wizards'."""
    r.take(at)
    anchors = [f for f in r.filters if f.op == "=" and len(f.values) == 1 and len(f.columns) == 1]
    if len(anchors) != 1:
        return None
    anchor = anchors[0]
    r.filters.remove(anchor)
    compared = at + 1 if r.at(at + 1) and r.ms[at + 1].kind == "column" and r.free(at + 1) else None
    if compared is None:
        return None
    r.take(compared)
    column = pick(r.ms[compared].columns)
    named = next(iter(r.free_indexes("column")), None)
    if named is not None:
        r.take(named)
    target = pick(r.ms[named].columns) if named is not None else None
    target = target or row_entity(r) or anchor.columns[0]
    return Plan(r.table, "same", measure=column, select=(target,), anchor=anchor)


_FREQUENCY = ("often", "frequently", "common", "frequent", "times")


def _than_plan(r: Reader, measure: Measure, step: int, framing) -> Plan | None:
    """'which circuit has more screens than Bow Tie Cinemas'."""
    anchors = [f for f in r.filters if f.op == "=" and len(f.values) == 1 and len(f.columns) == 1]
    if len(anchors) != 1 or measure.column is None:
        return None
    anchor = anchors[0]
    r.filters.remove(anchor)
    target = _target_group(r, framing, None)
    column = target[0] if target and target[0] is not None else anchor.columns[0]
    return Plan(r.table, "same", measure=measure.column, select=(column,), anchor=anchor, step=step)


def _free_measure(r: Reader) -> Measure | None:
    for i in r.free_indexes("column"):
        column = pick(r.ms[i].columns, ("number",))
        if column is not None:
            r.take(i)
            return Measure("sum", column)
    return None
