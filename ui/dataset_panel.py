"""One dataset on the Data page: its facts, a preview, the column profile and actions."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from core import datasets
from ui import context, errors


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _profile_frame(columns) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "column": c.name,
                "header": c.original_name,
                "type": c.data_type,
                "nulls": c.null_count,
                "distinct": c.distinct_count,
                "min": None if c.min is None else str(c.min),
                "max": None if c.max is None else str(c.max),
                "mean": c.mean,
                "top values": ", ".join(f"{v} ({n:,})" for v, n in c.top_values[:5]),
                "samples": ", ".join(map(str, c.sample_values[:3])),
            }
            for c in columns
        ]
    )


def _ask_delete(dataset_id) -> None:
    st.session_state["confirm_delete_dataset"] = dataset_id


def _cancel_delete() -> None:
    st.session_state.pop("confirm_delete_dataset", None)


def _export(dataset_id, fmt: str):
    uid, settings = context.user_id(), context.settings()

    def build() -> bytes:
        with tempfile.TemporaryDirectory(dir=settings.data_dir) as tmp, context.db() as session:
            path = datasets.export_dataset(session, settings, uid, dataset_id, fmt, Path(tmp))
            return path.read_bytes()

    return build


def render(item) -> None:
    uid, settings = context.user_id(), context.settings()
    with st.container(border=True):
        st.subheader(f"`{item.table_name}`")
        st.caption(
            f"{item.original_filename} · {item.row_count:,} rows · {item.column_count} columns · "
            f"{_size(item.size_bytes)}"
        )
        preview_tab, profile_tab, manage_tab = st.tabs(["Preview", "Profile", "Manage"])
        with preview_tab, errors.shown():
            with context.db() as session:
                preview = datasets.preview_dataset(session, settings, uid, item.id, limit=100)
            st.dataframe(pd.DataFrame(preview.rows, columns=preview.columns), hide_index=True)
            st.caption("The first 100 rows.")
        with profile_tab, errors.shown():
            with context.db() as session:
                profile = datasets.dataset_profile(session, uid, item.id)
            st.dataframe(_profile_frame(profile), hide_index=True)
        with manage_tab:
            _manage(item)


def _manage(item) -> None:
    uid, settings = context.user_id(), context.settings()
    with st.form(f"rename-{item.id}", border=False):
        name = st.text_input("Table name used in questions and SQL", value=item.table_name)
        if st.form_submit_button("Rename table"):
            with errors.shown():
                with context.db() as session:
                    datasets.rename_dataset(session, uid, item.id, name)
                st.rerun()
    left, middle, right = st.columns(3)
    left.download_button(
        "Download CSV",
        _export(item.id, "csv"),
        f"{item.table_name}.csv",
        "text/csv",
        key=f"csv-{item.id}",
        on_click="ignore",
        icon=":material/download:",
    )
    middle.download_button(
        "Download Parquet",
        _export(item.id, "parquet"),
        f"{item.table_name}.parquet",
        "application/octet-stream",
        key=f"pq-{item.id}",
        on_click="ignore",
        icon=":material/download:",
    )
    right.button(
        "Delete table",
        key=f"del-{item.id}",
        on_click=_ask_delete,
        args=(item.id,),
        icon=":material/delete:",
    )
    if st.session_state.get("confirm_delete_dataset") == item.id:
        st.warning(f"Delete `{item.table_name}` and its file? Questions can no longer use it.")
        yes, no = st.columns(2)
        if yes.button("Yes, delete it", key=f"yes-{item.id}", type="primary"):
            with errors.shown():
                with context.db() as session:
                    datasets.delete_dataset(session, settings, uid, item.id)
                _cancel_delete()
                st.rerun()
        no.button("Cancel", key=f"no-{item.id}", on_click=_cancel_delete)
