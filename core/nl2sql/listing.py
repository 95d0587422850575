"""Listing shapes: distinct values, looked-up cells, rows, and rows by their place in the table.

'The first city listed' and 'the team after CSKA Moscow' read the table in its own order
(the order of the uploaded file), numbered with row_number() OVER ().
"""

from __future__ import annotations

from dataclasses import replace

from core.catalog import ColumnInfo
from core.nl2sql.measures import name_column, non_additive, row_entity, unique
from core.nl2sql.plan import Filter, Plan
from core.nl2sql.reading import Reader, date_columns, is_key, is_year_column, pick

_NEXT = {"next": 1, "after": 1, "previous": -1, "before": -1, "gt": -1, "lt": 1}
_PLACE_WORDS = {"above": "gt", "below": "lt", "under": "lt", "over": "gt"}


def listing_plan(r: Reader, framing) -> Plan | None:
    neighbour = _neighbour_keyword(r)
    if neighbour is not None:
        return _neighbour_plan(r, framing, neighbour)
    first = next((i for i in r.free_indexes("keyword") if r.ms[i].key in ("first", "last")), None)
    entity = _entity_after(r, first)
    targets = [t for t in _targets(r, framing) if t != entity]
    if entity is not None and not targets:  # 'the last location': the entity is the answer
        targets = [entity]
    if first is not None:
        step = -1 if r.ms[first].key == "last" else 1
        if len(targets) == 2:
            return _earliest(r, first, targets, step)
        if len(targets) != 1:
            return None
        r.take(first)
        order = None
        for i in r.free_indexes("keyword"):  # 'the first city alphabetically'
            if r.ms[i].key == "alphabetical":
                r.take(i)
                order = "asc" if step > 0 else "desc"
        plan = Plan(r.table, "position", select=tuple(targets), step=step, limit=1)
        return replace(plan, order=order) if order else plan
    if r.having is not None:
        return _counted_groups(r, targets)
    if targets:
        total = _total_of(r, targets)
        if total is not None:
            return total
        shape = "distinct" if all(t.kind == "text" for t in targets) else "lookup"
        return Plan(r.table, shape, select=tuple(targets))
    asked = [i for i in range(len(r.ms)) if r.ms[i].kind == "table" or r.is_kw(i, "rows")]
    if not asked and not r.filters:
        return None  # nothing in the question at all
    r.take(*asked)
    return Plan(r.table, "rows")


def _counted_groups(r: Reader, targets: list[ColumnInfo]) -> Plan | None:
    """'which customers have more than 5 orders': groups kept by their number of rows."""
    if len(targets) != 1 or r.having is None:
        return None
    op, values, entity = r.having
    plan = Plan(r.table, "grouped", "count", group=targets[0], order="desc", entity=entity)
    return replace(plan, having=(op, values))


def _entity_after(r: Reader, first: int | None) -> ColumnInfo | None:
    """'the first competition': a text column right after first/last names the rows."""
    column = r.column_at(first + 1, ("text",)) if first is not None else None
    if column is not None and r.ms[first + 1].kind == "column":
        r.take(first + 1)
        return column
    return None


def _earliest(r: Reader, first: int, targets: list[ColumnInfo], step: int) -> Plan | None:
    """'which judge began active service first, A or B': the label with the lowest date."""
    labels = [t for t in targets if t.kind == "text"]
    ordered = [t for t in targets if t.kind in ("date", "number")]
    if len(labels) != 1 or len(ordered) != 1:
        return None
    r.take(first)
    agg = "min" if step > 0 else "max"
    order = "asc" if step > 0 else "desc"
    return Plan(r.table, "top", agg, ordered[0], group=labels[0], order=order, limit=1)


def _total_of(r: Reader, targets: list[ColumnInfo]) -> Plan | None:
    """'revenue in March 2024' means the total when the filters select many rows."""
    if len(targets) != 1 or not r.filters:
        return None
    column = targets[0]
    if column.kind != "number" or is_key(column, r.table) or is_year_column(column):
        return None
    if any(unique(c, r.table) for f in r.filters for c in f.columns if f.op == "="):
        return None  # one named row: show its value
    agg = "avg" if non_additive(column) else "sum"
    return Plan(r.table, "scalar", agg, column)


def _targets(r: Reader, framing, fallback: ColumnInfo | None = None) -> list[ColumnInfo]:
    """The columns a listing shows: named ones, else the rows' label, 'who' or 'when'."""
    targets = []
    for i in r.free_indexes("column"):
        targets.append(pick(r.ms[i].columns))
        r.take(i)
    if not targets and (row := row_entity(r)) is not None:
        targets = [row]
    if not targets and "who" in framing and (r.filters or fallback):
        targets = [name_column(r.table)]
    if not targets and "when" in framing:
        dates = date_columns(r.table) or [c for c in r.table.columns if is_year_column(c)]
        targets = dates[:1]
    if not targets and fallback is not None:
        targets = [fallback]
    return [t for t in targets if t is not None]


def _neighbour_keyword(r: Reader) -> int | None:
    """'next', 'previous', or before/after/above/below followed by a named row (a value)."""
    for i in r.free_indexes("keyword"):
        m = r.ms[i]
        if m.key in ("next", "previous"):
            return i
        place = m.key in ("before", "after") or _PLACE_WORDS.get(m.text) == m.key
        follower = r.at(i + 1)
        if place and follower is not None and follower.kind == "value" and i + 1 in r.used:
            return i
    return None


def _neighbour_plan(r: Reader, framing, at: int) -> Plan | None:
    anchors = [f for f in r.filters if f.op == "=" and len(f.values) == 1 and len(f.columns) == 1]
    if len(anchors) != 1 or len(r.filters) != 1:
        return None
    anchor = anchors[0]
    step = _NEXT[r.ms[at].key]
    r.take(at)
    for i in r.free_indexes("keyword"):  # 'the next one after X'
        if r.ms[i].key in ("after", "before", "next", "previous"):
            r.take(i)
    r.filters.remove(anchor)
    targets = _targets(r, framing, fallback=anchor.columns[0])
    if len(targets) != 1:
        return None
    return Plan(r.table, "neighbour", select=tuple(targets), anchor=anchor, step=step)


def anchor_pair(r: Reader) -> Filter | None:
    """Two named rows of one column: 'between Algeria and Cameroon', 'A ... than B'."""
    for f in r.filters:
        if f.op == "=" and len(f.columns) == 1 and len(f.values) == 2:
            r.filters.remove(f)
            return f
    singles = [f for f in r.filters if f.op == "=" and len(f.columns) == 1 and len(f.values) == 1]
    for a in singles:
        for b in singles:
            if a is not b and a.columns == b.columns:
                r.filters.remove(a)
                r.filters.remove(b)
                return Filter(a.columns, "=", a.values + b.values)
    return None
