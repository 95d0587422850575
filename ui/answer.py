"""Drawing one stored answer: sentence, SQL, table, chart, download and edit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import answers
from ui import context, errors

KIND_LABELS = {
    "bar": "Bar",
    "line": "Line",
    "scatter": "Scatter",
    "pie": "Pie",
    "metric": "Number",
    "table": "Table only",
}


NUMERIC = (
    "DOUBLE",
    "FLOAT",
    "DECIMAL",
    "REAL",
    "BIGINT",
    "INTEGER",
    "SMALLINT",
    "HUGEINT",
    "TINYINT",
)


def _frame(view: answers.AnswerView) -> pd.DataFrame:
    frame = pd.DataFrame(view.rows, columns=view.columns)
    for name, kind in zip(view.columns, view.types, strict=False):
        if kind.upper().startswith(("DATE", "TIMESTAMP")):
            frame[name] = pd.to_datetime(frame[name], errors="coerce")
    return frame


def _column_config(view: answers.AnswerView) -> dict:
    config = {}
    for name, kind in zip(view.columns, view.types, strict=False):
        upper = kind.upper()
        if upper.startswith(NUMERIC):
            config[name] = st.column_config.NumberColumn(format="localized")
        elif upper.startswith("DATE"):
            config[name] = st.column_config.DateColumn(format="YYYY-MM-DD")
        elif upper.startswith("TIMESTAMP"):
            config[name] = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
    return config


def _chart(view: answers.AnswerView, message_id) -> None:
    if view.metric is not None:
        label, value = view.metric
        st.metric(
            label,
            "—"
            if value is None
            else f"{value:,}"
            if isinstance(value, (int, float))
            else str(value),
        )
    elif view.figure is not None:
        st.plotly_chart(view.figure, width="stretch", key=f"fig-{message_id}")
    if len(view.chart_kinds) > 1:
        current = view.chart.kind if view.chart else "table"
        choice = st.segmented_control(
            "Chart",
            options=view.chart_kinds,
            default=current,
            format_func=lambda k: KIND_LABELS.get(k, k),
            key=f"kind-{message_id}",
            label_visibility="collapsed",
        )
        if choice and choice != current:
            with errors.shown(), context.db() as session:
                answers.switch_chart(session, context.user_id(), message_id, choice)
            st.rerun()


def _edit_sql(view: answers.AnswerView, message_id) -> None:
    from core.ask import run_edited_sql

    with st.popover("Edit SQL", icon=":material/edit:"):
        with st.form(f"edit-{message_id}", border=False):
            sql = st.text_area("SQL", value=view.sql or "", height=160, key=f"sql-{message_id}")
            run = st.form_submit_button("Run", type="primary")
        if run:
            with errors.shown():
                with context.db() as session:
                    run_edited_sql(
                        session,
                        context.settings(),
                        context.user_id(),
                        st.session_state["chat_id"],
                        sql,
                    )
                st.rerun()


def _download(view: answers.AnswerView, message_id) -> None:
    uid, settings = context.user_id(), context.settings()

    def csv_bytes() -> bytes:
        with context.db() as session:
            return answers.export_csv(session, settings, uid, message_id)

    st.download_button(
        "Download CSV",
        data=csv_bytes,
        file_name="tabletalk-answer.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"dl-{message_id}",
        on_click="ignore",
    )


def _footer(view: answers.AnswerView) -> str:
    parts = [f"engine: {view.engine}"]
    if view.total_ms is not None:
        parts.append(f"{view.total_ms / 1000:.2f} s")
    if view.tokens:
        parts.append(f"{sum(view.tokens.values()):,} tokens")
    return " · ".join(parts)


def render(message) -> None:
    """An assistant message, redrawn from its stored payload."""
    view = answers.view(message.payload, message.content)
    if view.success or view.requires_dataset:
        st.markdown(view.text)
    else:
        st.warning(view.text, icon=":material/warning:")
    if view.understanding and view.success:
        st.caption(f"Understood as: {view.understanding}")
    if view.sql:
        with st.expander("SQL", icon=":material/code:"):
            st.code(view.sql, language="sql")
    if view.columns:
        _chart(view, message.id)
        if view.truncated or (view.result_count or 0) > len(view.rows):
            st.caption(f"Showing {len(view.rows):,} of {view.result_count:,} rows.")
        st.dataframe(
            _frame(view), hide_index=True, column_config=_column_config(view), width="stretch"
        )
    if view.sql:
        left, right, _ = st.columns([0.18, 0.18, 0.64])
        with left:
            _download(view, message.id)
        with right:
            _edit_sql(view, message.id)
    st.caption(_footer(view))
