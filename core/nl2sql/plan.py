"""What the rules engine understood, as data: a Plan renders to DuckDB SQL and to a sentence.

Keeping the plan separate from the SQL text lets the engine explain itself ("Sum of revenue
per region, highest first") from the same object that produced the query.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from core.catalog import ColumnInfo, TableInfo

Agg = Literal["count", "count_distinct", "sum", "avg", "median", "min", "max"]
Op = Literal["=", "!=", ">", ">=", "<", "<=", "between", "within", "month_of_year", "excluding"]
Shape = Literal[
    "scalar",
    "grouped",
    "top",
    "distinct",
    "rows",
    "share",
    "trend",
    "lookup",
    "position",
    "neighbour",
    "difference",
    "same",
]
Grain = Literal["day", "week", "month", "quarter", "year"]
Order = Literal["asc", "desc"]

AGG_WORDS: dict[str, str] = {
    "count": "number of",
    "count_distinct": "number of distinct",
    "sum": "total",
    "avg": "average",
    "median": "median",
    "min": "lowest",
    "max": "highest",
}
_AGG_SQL = {"sum": "sum", "avg": "avg", "median": "median", "min": "min", "max": "max"}
_OP_WORDS = {
    "=": "is",
    "!=": "is not",
    ">": "is more than",
    ">=": "is at least",
    "<": "is less than",
    "<=": "is at most",
}


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def label(column: ColumnInfo) -> str:
    return column.name.replace("_", " ")


def show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.isoformat() if isinstance(value, date) else str(value)


@dataclass(frozen=True)
class Filter:
    """A condition on one column, or on any of several columns (a value seen in more than one)."""

    columns: tuple[ColumnInfo, ...]
    op: Op
    values: tuple[Any, ...]
    wording: str = ""  # how the question put it, e.g. "in March 2024"

    def sql(self) -> str:
        parts = [self._one(quote(c.name)) for c in self.columns]
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def _one(self, col: str) -> str:
        values = self.values
        if self.op == "between":  # numbers, both ends included
            return f"{col} BETWEEN {literal(values[0])} AND {literal(values[1])}"
        if self.op == "within":  # a calendar period, end excluded
            return f"{col} >= {literal(values[0])} AND {col} < {literal(values[1])}"
        if self.op == "excluding":  # NULL-safe: rows without a label stay in
            return " AND ".join(f"{col} IS DISTINCT FROM {literal(v)}" for v in values)
        if self.op == "month_of_year":
            return f"extract(month FROM {col}) = {literal(values[0])}"
        if len(values) > 1:
            negated = "NOT " if self.op == "!=" else ""
            return f"{col} {negated}IN ({', '.join(literal(v) for v in values)})"
        return f"{col} {self.op} {literal(values[0])}"

    def describe(self) -> str:
        who = " or ".join(label(c) for c in self.columns)
        if self.wording:
            return f"{who} {self.wording}"
        if self.op == "excluding":
            return f"{who} is not {', '.join(show(v) for v in self.values)} (a summary row)"
        if self.op == "between":
            return f"{who} is between {show(self.values[0])} and {show(self.values[1])}"
        if len(self.values) > 1:
            joined = ", ".join(show(v) for v in self.values)
            return f"{who} {'is not' if self.op == '!=' else 'is'} one of {joined}"
        return f"{who} {_OP_WORDS.get(self.op, self.op)} {show(self.values[0])}"


@dataclass(frozen=True)
class Plan:
    table: TableInfo
    shape: Shape
    agg: Agg | None = None
    measure: ColumnInfo | None = None
    group: ColumnInfo | None = None
    grain: Grain | None = None
    filters: tuple[Filter, ...] = ()
    order: Order | None = None
    limit: int | None = None
    offset: int | None = None
    select: tuple[ColumnInfo, ...] = ()
    entity: str = "rows"  # what a count counts, as the question named it
    anchor: Filter | None = None  # the named row(s) a neighbour/difference/same starts from
    step: int = 0  # neighbour: +1 next, -1 previous; difference: 1 signed, 0 absolute
    join: tuple[str, str] | None = None  # (other table, shared key column)
    having: tuple[Op, tuple[Any, ...]] | None = None  # a condition on each group's row count

    def with_filters(self, filters: tuple[Filter, ...]) -> Plan:
        return replace(self, filters=filters)


def agg_sql(plan: Plan) -> str:
    if plan.agg == "count":
        return "count(*)"
    assert plan.measure is not None and plan.agg is not None
    column = quote(plan.measure.name)
    if plan.agg == "count_distinct":
        return f"count(DISTINCT {column})"
    return f"{_AGG_SQL[plan.agg]}({column})"


def agg_alias(plan: Plan) -> str:
    if plan.agg == "count":
        return "number_of_" + "_".join(plan.entity.split()) if plan.entity != "rows" else "count"
    assert plan.measure is not None and plan.agg is not None
    return f"{AGG_WORDS[plan.agg].replace(' ', '_')}_{plan.measure.name}"


def describe_agg(plan: Plan) -> str:
    if plan.agg == "count":
        return f"count of {plan.entity}"
    assert plan.measure is not None and plan.agg is not None
    return f"{AGG_WORDS[plan.agg]} {label(plan.measure)}"
