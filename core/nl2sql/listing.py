"""Listing shapes: distinct values, looked-up cells, rows, and rows by their position."""

from __future__ import annotations

from core.nl2sql.measures import name_column, row_entity
from core.nl2sql.plan import Plan
from core.nl2sql.reading import Reader, date_columns, is_year_column, pick


def listing_plan(r: Reader, framing) -> Plan | None:
    first = next((i for i in r.free_indexes("keyword") if r.ms[i].key in ("first", "last")), None)
    targets = []
    for i in r.free_indexes("column"):
        targets.append(pick(r.ms[i].columns))
        r.take(i)
    if not targets and (row := row_entity(r)) is not None:
        targets = [row]
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
