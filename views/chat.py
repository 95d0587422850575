"""The chat: its data, the conversation, suggested questions and the question box."""

from __future__ import annotations

import streamlit as st

from core import chats, datasets, suggestions
from ui import answer, asking, chat_header, context, errors, upload

uid = context.user_id()
chat_id = context.chat_id_or_stop("Welcome to Tabletalk")

with errors.shown(), context.db() as session:
    chat = chats.get_chat(session, uid, chat_id)
    history = chats.list_messages(session, uid, chat_id)
    tables = datasets.list_datasets(session, uid, chat_id)

chat_header.render(chat)

if not tables:
    st.info("Upload a CSV to start: drop one or more files here, then ask a question.")
    upload.uploader(chat_id, "Upload data files")
else:
    names = ", ".join(f"`{t.table_name}` ({t.row_count:,} rows)" for t in tables)
    fresh = bool(st.session_state.get("ingest_notes"))
    with st.expander(f"Data in this chat: {names}", icon=":material/table:", expanded=fresh):
        upload.uploader(chat_id)
        st.page_link(
            "views/data.py", label="Preview and profile on the Data page", icon=":material/table:"
        )

for message in history:
    with st.chat_message(message.role):
        if message.role == "user":
            st.markdown(message.content)
        else:
            answer.render(message)


def _pick(text: str) -> None:
    st.session_state["pending_question"] = text


if tables and len(history) < 2:
    with errors.shown(), context.db() as session:
        ideas = suggestions.for_chat(session, uid, chat_id)
    if ideas:
        st.caption("Try one of these:")
        cols = st.columns(len(ideas))
        for col, idea in zip(cols, ideas, strict=True):
            col.button(idea, on_click=_pick, args=(idea,), key=f"idea-{idea}", width="stretch")

typed = st.chat_input("Ask a question about your data", disabled=not tables)
question = typed or st.session_state.pop("pending_question", None)
if question:
    asking.ask_streamed(chat_id, question)
