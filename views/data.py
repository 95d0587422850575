"""The chat's datasets: upload, preview, profile, rename, download, delete."""

from __future__ import annotations

import streamlit as st

from core import chats, datasets
from ui import context, dataset_panel, errors, upload

uid = context.user_id()
chat_id = context.chat_id_or_stop("Data")

with errors.shown(), context.db() as session:
    chat = chats.get_chat(session, uid, chat_id)
    items = datasets.list_datasets(session, uid, chat_id)

st.title("Data")
st.caption(f"Tables in **{chat.title}**. Several tables in one chat can be joined in a question.")
upload.uploader(chat_id, "Upload data files")

if not items:
    st.info("Upload a CSV to start. Excel (.xlsx), Parquet and JSON lines work too.")
for item in items:
    dataset_panel.render(item)
