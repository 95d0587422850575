"""Uploading files into the chat, with the ingest stages shown as they happen."""

from __future__ import annotations

import streamlit as st

from core import uploads
from core.errors import TabletalkError
from ui import context, errors

ACCEPTED = ["csv", "tsv", "txt", "gz", "xlsx", "parquet", "jsonl", "ndjson", "json"]
STAGE_LABELS = {
    "reading": "Reading",
    "writing": "Writing",
    "profiling": "Profiling",
    "done": "Done",
}


def _ingest_one(file, chat_id, bad_rows: str) -> None:
    settings, uid = context.settings(), context.user_id()
    with st.status(f"Adding {file.name}…", expanded=True) as status:
        bar = st.progress(0.0, text="Reading")

        def progress(update) -> None:
            label = STAGE_LABELS.get(update.stage, update.stage)
            text = f"{label}: {update.message}" if update.message else label
            bar.progress(min(max(update.fraction or 0.0, 0.0), 1.0), text=text)

        try:
            with context.db() as session:
                summary = uploads.ingest_upload(
                    session,
                    settings,
                    uid,
                    chat_id,
                    file,
                    file.name,
                    bad_rows=bad_rows,
                    on_progress=progress,
                )
        except TabletalkError as error:
            status.update(label=f"{file.name} was not added", state="error", expanded=True)
            st.error(error.message)
            if uploads.can_skip_bad_rows(error):
                st.session_state["skip_offer"] = file.file_id
            return
        except Exception as error:  # noqa: BLE001
            status.update(label=f"{file.name} was not added", state="error")
            errors.show(error)
            return
        bar.progress(1.0, text="Done")
        status.update(
            label=f"{file.name} → table `{summary.table_name}` ({summary.row_count:,} rows)",
            state="complete",
            expanded=False,
        )
        st.session_state.setdefault("ingested", set()).add(file.file_id)


def _skip_rows(file_id) -> None:
    st.session_state["skip_rows_for"] = file_id


def uploader(chat_id, label: str = "Add data files") -> None:
    """Several files at once; each is ingested once per upload."""
    files = st.file_uploader(
        label,
        type=ACCEPTED,
        accept_multiple_files=True,
        key=f"upload-{chat_id}",
        help="CSV or TSV (any delimiter), Excel .xlsx, Parquet or JSON lines.",
    )
    done = st.session_state.setdefault("ingested", set())
    for file in files or []:
        skip = st.session_state.get("skip_rows_for") == file.file_id
        if file.file_id in done and not skip:
            continue
        if skip:
            st.session_state.pop("skip_rows_for")
        _ingest_one(file, chat_id, "skip" if skip else "refuse")
        if st.session_state.get("skip_offer") == file.file_id:
            st.button(
                f"Skip the bad rows of {file.name} and add the rest",
                key=f"skip-{file.file_id}",
                on_click=_skip_rows,
                args=(file.file_id,),
            )
            done.add(file.file_id)
