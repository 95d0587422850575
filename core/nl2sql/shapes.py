"""Render a Plan as DuckDB SQL, and as the one-line understanding shown next to the answer.

Identifiers are always double-quoted; the only LIMITs are the ones a question asked for
(top-N, the first/last row), the guard adds the row cap.
"""

from __future__ import annotations

from core.nl2sql.plan import (
    Filter,
    Plan,
    agg_alias,
    agg_sql,
    describe_agg,
    label,
    quote,
    show,
)


def to_sql(plan: Plan) -> str:
    render = {
        "scalar": _scalar,
        "grouped": _grouped,
        "trend": _trend,
        "top": _top,
        "share": _share,
        "distinct": _distinct,
        "lookup": _lookup,
        "rows": _rows,
        "position": _position,
        "neighbour": _neighbour,
        "difference": _difference,
        "same": _same,
    }[plan.shape]
    return render(plan)


def _from(plan: Plan, extra: tuple[str, ...] = ()) -> str:
    conditions = [f.sql() for f in plan.filters] + list(extra)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"FROM {_source(plan)}{where}"


def _source(plan: Plan) -> str:
    if plan.join is None:
        return quote(plan.table.name)
    other, key = plan.join
    return f"{quote(plan.table.name)} JOIN {quote(other)} USING ({quote(key)})"


def _scalar(plan: Plan) -> str:
    return f"SELECT {agg_sql(plan)} AS {quote(agg_alias(plan))} {_from(plan)}"


def _grouped(plan: Plan) -> str:
    assert plan.group is not None
    group = quote(plan.group.name)
    alias = quote(agg_alias(plan))
    order = group if plan.order is None else f"{alias} {plan.order.upper()}, {group}"
    having = ""
    if plan.having is not None:
        op, values = plan.having
        counted = Filter((), op, values)._one("count(*)")
        having = f" HAVING {counted}"
    return (
        f"SELECT {group}, {agg_sql(plan)} AS {alias} {_from(plan)} "
        f"GROUP BY {group}{having} ORDER BY {order}"
    )


def _bucket(plan: Plan) -> tuple[str, str]:
    assert plan.group is not None
    column = quote(plan.group.name)
    if plan.grain is None:
        return column, column
    expression = f"date_trunc('{plan.grain}', {column})"
    if plan.group.data_type.upper().startswith("DATE"):
        expression = f"CAST({expression} AS DATE)"
    return expression, quote(plan.grain)


def _trend(plan: Plan) -> str:
    expression, alias = _bucket(plan)
    select = expression if expression == alias else f"{expression} AS {alias}"
    return (
        f"SELECT {select}, {agg_sql(plan)} AS {quote(agg_alias(plan))} "
        f"{_from(plan, (f'{quote(plan.group.name)} IS NOT NULL',))} "
        f"GROUP BY {alias} ORDER BY {alias}"
    )


def _top(plan: Plan) -> str:
    direction = "DESC" if plan.order == "desc" else "ASC"
    if plan.group is None:  # whole rows, ranked by a column
        assert plan.measure is not None
        measure = quote(plan.measure.name)
        return (
            f"SELECT * {_from(plan, (f'{measure} IS NOT NULL',))} "
            f"ORDER BY {measure} {direction} LIMIT {plan.limit}"
        )
    if plan.grain is not None:
        expression, alias = _bucket(plan)
        group_sql, group_alias = f"{expression} AS {alias}", alias
        one_row_per_group = False
    else:
        group_sql = group_alias = quote(plan.group.name)
        one_row_per_group = plan.group.distinct_count >= plan.table.row_count > 0
    if plan.measure is not None and plan.agg in ("max", "min") and one_row_per_group:
        measure = quote(plan.measure.name)
        return (
            f"SELECT {group_sql}, {measure} {_from(plan, (f'{measure} IS NOT NULL',))} "
            f"ORDER BY {measure} {direction} LIMIT {plan.limit}"
        )
    alias = quote(agg_alias(plan))
    labelled = f"{quote(plan.group.name)} IS NOT NULL"  # an empty label is no answer
    return (
        f"SELECT {group_sql}, {agg_sql(plan)} AS {alias} {_from(plan, (labelled,))} "
        f"GROUP BY {group_alias} ORDER BY {alias} {direction} NULLS LAST LIMIT {plan.limit}"
    )


def _share(plan: Plan) -> str:
    total_plan = plan.with_filters(() if plan.group is None else plan.filters)
    total = f"(SELECT {agg_sql(plan)} {_from(total_plan)})"
    share = f"round(100.0 * {agg_sql(plan)} / {total}, 2)"
    if plan.group is None:
        return f'SELECT {share} AS "share_pct" {_from(plan)}'
    group = quote(plan.group.name)
    return (
        f'SELECT {group}, {agg_sql(plan)} AS {quote(agg_alias(plan))}, {share} AS "share_pct" '
        f'{_from(plan)} GROUP BY {group} ORDER BY "share_pct" DESC, {group}'
    )


def _columns(plan: Plan) -> str:
    return ", ".join(quote(c.name) for c in plan.select)


def _distinct(plan: Plan) -> str:
    columns = _columns(plan)
    not_null = tuple(f"{quote(c.name)} IS NOT NULL" for c in plan.select)
    return f"SELECT DISTINCT {columns} {_from(plan, not_null)} ORDER BY {columns}"


def _lookup(plan: Plan) -> str:
    return f"SELECT {_columns(plan)} {_from(plan)}"


def _rows(plan: Plan) -> str:
    return f"SELECT * {_from(plan)}"


_ROW = quote("row_in_file")


def _numbered(plan: Plan) -> str:
    """The table with each row's place in the file; a scan keeps the file's order."""
    return (
        f"WITH {quote('numbered')} AS (SELECT *, row_number() OVER () AS {_ROW} "
        f"FROM {_source(plan)}) "
    )


def _where(plan: Plan, extra: tuple[str, ...] = ()) -> str:
    conditions = [f.sql() for f in plan.filters] + list(extra)
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _position(plan: Plan) -> str:
    direction = "DESC" if plan.step < 0 else "ASC"
    offset = f" OFFSET {plan.offset}" if plan.offset else ""
    if plan.order is not None:  # alphabetical, not the file's order: 'Água' sorts as 'agua'
        column = quote(plan.select[0].name)
        return (
            f"SELECT {_columns(plan)} {_from(plan, (f'{column} IS NOT NULL',))} "
            f"ORDER BY lower(strip_accents({column})) {plan.order.upper()} "
            f"LIMIT {plan.limit or 1}{offset}"
        )
    return (
        f"{_numbered(plan)}SELECT {_columns(plan)} FROM {quote('numbered')}{_where(plan)} "
        f"ORDER BY {_ROW} {direction} LIMIT {plan.limit or 1}{offset}"
    )


def _neighbour(plan: Plan) -> str:
    assert plan.anchor is not None
    numbered = quote("numbered")
    start = f"(SELECT min({_ROW}) FROM {numbered} WHERE {plan.anchor.sql()})"
    sign = "+" if plan.step > 0 else "-"
    condition = f"{_ROW} = {start} {sign} {abs(plan.step)}"
    return f"{_numbered(plan)}SELECT {_columns(plan)} FROM {numbered}{_where(plan, (condition,))}"


def _difference(plan: Plan) -> str:
    assert plan.anchor is not None and plan.measure is not None
    column = plan.anchor.columns[0]
    parts = []
    for value in plan.anchor.values[:2]:
        one = Filter((column,), "=", (value,))
        sub = plan.with_filters(plan.filters + (one,))
        parts.append(f"(SELECT sum({quote(plan.measure.name)}) {_from(sub)})")
    expression = f"{parts[0]} - {parts[1]}"
    if not plan.step:
        expression = f"abs({expression})"
    return f"SELECT {expression} AS {quote('difference')}"


def _same(plan: Plan) -> str:
    assert plan.anchor is not None and plan.measure is not None
    compared = quote(plan.measure.name)
    anchor_plan = plan.with_filters((plan.anchor,))
    reference = f"(SELECT min({compared}) {_from(anchor_plan)})"
    others = Filter(plan.anchor.columns, "excluding", plan.anchor.values)
    op = {0: "=", 1: ">", -1: "<"}[plan.step]
    conditions = (f"{compared} {op} {reference}", others.sql())
    return f"SELECT DISTINCT {_columns(plan)} {_from(plan, conditions)}"


# --- understanding -----------------------------------------------------------------------


_ORDER_NOTES = (", highest first", ", in date order")


def understanding(plan: Plan) -> str:
    text = _describe(plan)
    note = next((n for n in _ORDER_NOTES if text.endswith(n)), "")
    text = text.removesuffix(note) if note else text
    if plan.filters and plan.shape != "share":
        text += " where " + " and ".join(f.describe() for f in plan.filters)
    if plan.having is not None:
        op, values = plan.having
        text += ", keeping those whose count " + Filter((), op, values).describe().strip()
    text += note
    if plan.join is not None:
        text += f" (joining {plan.join[0]} on {plan.join[1].replace('_', ' ')})"
    return text[0].upper() + text[1:]


def _describe(plan: Plan) -> str:
    shape = plan.shape
    if shape == "scalar":
        return describe_agg(plan)
    if shape == "grouped":
        first = ", highest first" if plan.order == "desc" else f", in {label(plan.group)} order"
        return f"{describe_agg(plan)} per {label(plan.group)}{first}"
    if shape == "trend":
        bucket = f"{plan.grain} of {label(plan.group)}" if plan.grain else label(plan.group)
        return f"{describe_agg(plan)} per {bucket}, in date order"
    if shape == "top":
        return _describe_top(plan)
    if shape == "share":
        return _describe_share(plan)
    names = " and ".join(label(c) for c in plan.select)
    if shape == "distinct":
        return f"the distinct values of {names}"
    if shape == "lookup":
        return f"the {names}"
    if shape == "position":
        which = "last" if plan.step < 0 else "first"
        if plan.order is not None:
            return f"the {which} {names} in alphabetical order"
        return f"the {names} of the {which} row in the table's own order"
    if shape == "neighbour":
        assert plan.anchor is not None
        side = "after" if plan.step > 0 else "before"
        return f"the {names} of the row just {side} the one where {plan.anchor.describe()}"
    if shape == "difference":
        assert plan.anchor is not None and plan.measure is not None
        a, b = (show(v) for v in plan.anchor.values[:2])
        how = f"{a} minus {b}" if plan.step else f"between {a} and {b}"
        return f"difference in {label(plan.measure)} {how}"
    if shape == "same":
        assert plan.anchor is not None and plan.measure is not None
        how = {0: "the same", 1: "a higher", -1: "a lower"}[plan.step]
        than = "as" if plan.step == 0 else "than"
        anchor = show(plan.anchor.values[0])
        return f"the {names} with {how} {label(plan.measure)} {than} {anchor}"
    return "rows" if plan.filters else "all rows"


def _describe_top(plan: Plan) -> str:
    most = "highest" if plan.order == "desc" else "lowest"
    if plan.grain is not None:
        subject = f"the {plan.grain}"
    elif plan.group is not None:
        subject = f"the {label(plan.group)}"
    else:
        subject = "the rows"
    if plan.agg in ("max", "min") and plan.measure is not None:
        measure = label(plan.measure)
    else:
        measure = describe_agg(plan)
    if plan.limit == 1:
        return f"{subject} with the {most} {measure}"
    edge = "top" if plan.order == "desc" else "bottom"
    return f"{edge} {plan.limit} {subject.removeprefix('the ')} by {measure}"


def _describe_share(plan: Plan) -> str:
    what = describe_agg(plan)
    if plan.group is None:
        conditions = " and ".join(f.describe() for f in plan.filters)
        return f"share of the {what} where {conditions}, in percent of all"
    text = f"share of the {what} per {label(plan.group)}, in percent of the total"
    if plan.filters:
        text += " (" + " and ".join(f.describe() for f in plan.filters) + ")"
    return text
