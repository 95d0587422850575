"""What a page needs to draw a stored answer, and switching an answer's chart.

Everything is read from the message payload: redrawing an answer never re-runs its query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core import charts, chats
from core.errors import ValidationError


@dataclass(frozen=True)
class AnswerView:
    text: str
    sql: str | None
    engine: str
    success: bool
    error: str | None
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    result_count: int | None
    truncated: bool
    chart: charts.ChartSpec | None
    chart_kinds: list[str]
    figure: Any  # a plotly Figure, or None for table/metric
    metric: tuple[str, Any] | None
    understanding: str | None
    suggestions: list[str]
    requires_dataset: bool
    total_ms: float | None
    tokens: dict[str, int] | None


def pretty_sql(sql: str | None) -> str | None:
    """Multi-line SQL for reading; the text is unchanged when it does not parse."""
    if not sql:
        return sql
    import sqlglot

    try:
        return sqlglot.transpile(sql, read="duckdb", write="duckdb", pretty=True)[0]
    except sqlglot.errors.SqlglotError:
        return sql


def _spec(payload: dict, columns: list[str]) -> charts.ChartSpec | None:
    stored = payload.get("chart")
    if not stored:
        return None
    try:
        return charts.ChartSpec.from_dict(stored, columns)
    except ValueError:
        return None


def view(payload: dict[str, Any] | None, content: str = "") -> AnswerView:
    p = payload or {}
    columns = list(p.get("columns") or [])
    types = list(p.get("types") or ["VARCHAR"] * len(columns))
    rows = [list(r) for r in p.get("rows") or []]
    spec = _spec(p, columns) if columns else None
    figure = charts.build_figure(spec, columns, types, rows) if spec else None
    metric = None
    if spec is not None and spec.kind == "metric":
        try:
            metric = charts.metric_value(spec, columns, rows)
        except ValueError:
            metric = None
    return AnswerView(
        text=p.get("answer") or content,
        sql=pretty_sql(p.get("sql_query")),
        engine=p.get("engine", ""),
        success=bool(p.get("success", True)),
        error=p.get("error"),
        columns=columns,
        types=types,
        rows=rows,
        result_count=p.get("result_count"),
        truncated=bool(p.get("truncated")),
        chart=spec,
        chart_kinds=list(charts.available_kinds(columns, types, rows)) if columns else [],
        figure=figure,
        metric=metric,
        understanding=p.get("understanding"),
        suggestions=list(p.get("suggestions") or []),
        requires_dataset=bool(p.get("requires_dataset")),
        total_ms=(p.get("timings") or {}).get("total_ms"),
        tokens=p.get("tokens"),
    )


def switch_chart(
    session: Session, user_id: uuid.UUID, message_id: uuid.UUID | str, kind: str
) -> AnswerView:
    """Store the user's chart choice on the answer, so it redraws that way next time."""
    message = chats.get_message(session, user_id, message_id)
    payload = dict(message.payload or {})
    current = view(payload, message.content)
    if kind not in current.chart_kinds:
        raise ValidationError(f"A {kind} chart does not fit this answer.")
    base = current.chart or charts.choose_chart(current.columns, current.types, current.rows)
    spec = charts.with_kind(base, kind, current.columns, current.types, current.rows)  # type: ignore[arg-type]
    payload["chart"] = spec.to_dict()
    updated = chats.update_answer_payload(session, user_id, message_id, payload)
    return view(updated.payload, updated.content)


EXPORT_ROW_LIMIT = 100_000


def export_csv(
    session: Session, settings, user_id: uuid.UUID, message_id: uuid.UUID | str
) -> bytes:
    """The answer's full result as CSV: its SQL re-checked by the guard and run again."""
    import csv
    import io
    from dataclasses import replace

    from core.datasets import chat_tables
    from core.nl2sql.guard import guard_sql
    from core.warehouse import TableSource, limits_from_settings, run_query

    message = chats.get_message(session, user_id, message_id)
    if not message.sql:
        raise ValidationError("This answer has no result to download.")
    tables = chat_tables(session, user_id, message.chat_id)
    row_limit = max(settings.query_row_limit, EXPORT_ROW_LIMIT)
    guarded = guard_sql(message.sql, [t.name for t in tables], row_limit)
    limits = replace(limits_from_settings(settings), row_limit=row_limit)
    sources = [TableSource(t.name, t.path) for t in tables if t.path is not None]
    result = run_query(sources, guarded.sql, limits, count_sql=guarded.unlimited_sql)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(result.columns)
    writer.writerows(result.rows)
    return out.getvalue().encode("utf-8")
