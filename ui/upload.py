"""Uploading files into the chat, with the ingest stages shown as they happen.

Each uploaded file is ingested once. The outcome of each file is kept as a short note in
session state and shown after the rerun that redraws the page with the new tables.
"""

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


def _note(kind: str, text: str) -> None:
    st.session_state.setdefault("ingest_notes", []).append((kind, text))


def _ingest_one(file, chat_id, bad_rows: str) -> None:
    settings, uid = context.settings(), context.user_id()
    with st.status(f"Adding {file.name}…", expanded=True) as status:
        bar = st.progress(0.0, text="Reading")

        shown = [0.0]

        def progress(update) -> None:
            label = STAGE_LABELS.get(update.stage, update.stage)
            text = f"{label}: {update.message}" if update.message else label
            if update.fraction is not None:  # None: how far is unknown, keep the bar still
                shown[0] = min(max(update.fraction, 0.0), 1.0)
            bar.progress(shown[0], text=text)

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
        except Exception as error:  # noqa: BLE001 - every failure becomes a note
            status.update(label=f"{file.name} was not added", state="error")
            if isinstance(error, TabletalkError):
                _note("error", f"{file.name} was not added. {error.message}")
                if uploads.can_skip_bad_rows(error):
                    st.session_state["skip_offer"] = (file.file_id, file.name)
            else:
                errors.show(error)
                _note("error", f"{file.name} was not added. {errors.GENERIC}")
            return
        note = f"{file.name} → table `{summary.table_name}` ({summary.row_count:,} rows)."
        _note("ok", note)
        status.update(label=note, state="complete", expanded=False)


def _skip_rows(file_id) -> None:
    st.session_state["skip_rows_for"] = file_id
    st.session_state.pop("skip_offer", None)


def _show_notes(files) -> None:
    for kind, text in st.session_state.pop("ingest_notes", []):
        if kind == "ok":
            st.success(text, icon=":material/check_circle:")
        else:
            st.error(text, icon=":material/error:")
    offer = st.session_state.get("skip_offer")
    if offer and any(f.file_id == offer[0] for f in files):
        st.button(
            f"Skip the bad rows of {offer[1]} and add the rest",
            on_click=_skip_rows,
            args=(offer[0],),
            icon=":material/playlist_remove:",
        )


def uploader(chat_id, label: str = "Add data files") -> None:
    """Several files at once; new ones are ingested, then the page redraws."""
    files = (
        st.file_uploader(
            label,
            type=ACCEPTED,
            accept_multiple_files=True,
            key=f"upload-{chat_id}",
            help="CSV or TSV (any delimiter), Excel .xlsx, Parquet or JSON lines.",
        )
        or []
    )
    done = st.session_state.setdefault("ingested", set())
    skip_for = st.session_state.pop("skip_rows_for", None)
    todo = [f for f in files if f.file_id not in done or f.file_id == skip_for]
    if not todo:
        _show_notes(files)
        return
    for file in todo:
        done.add(file.file_id)
        _ingest_one(file, chat_id, "skip" if file.file_id == skip_for else "refuse")
    st.rerun()
