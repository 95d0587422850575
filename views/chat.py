"""The chat: its title, its datasets, the conversation and the question box."""

from __future__ import annotations

import streamlit as st

from core import chats
from ui import chat_header, context, errors

uid = context.user_id()
chat_id = st.session_state.get("chat_id")

if chat_id is None:
    st.title("Welcome to Tabletalk")
    st.info("Start a chat with **New chat** in the sidebar, then upload a CSV to start.")
    st.stop()

with errors.shown(), context.db() as session:
    chat = chats.get_chat(session, uid, chat_id)
    history = chats.list_messages(session, uid, chat_id)

chat_header.render(chat)

if not history:
    st.info("Upload a CSV to start: drop a file on the **Data** page, then ask a question here.")
for message in history:
    with st.chat_message(message.role):
        st.markdown(message.content)
