"""Chat title with rename and delete (delete asks for confirmation)."""

from __future__ import annotations

import streamlit as st

from core import chats, datasets
from ui import context, errors


def _ask_delete() -> None:
    st.session_state["confirm_delete_chat"] = True


def _cancel_delete() -> None:
    st.session_state["confirm_delete_chat"] = False


def render(chat) -> None:
    uid = context.user_id()
    left, right = st.columns([0.8, 0.2], vertical_alignment="center")
    left.title(chat.title)
    with right.popover("Chat options", icon=":material/more_horiz:"):
        with st.form("rename_chat", border=False):
            title = st.text_input("Chat name", value=chat.title, max_chars=chats.TITLE_MAX)
            if st.form_submit_button("Rename"):
                with errors.shown():
                    with context.db() as session:
                        chats.rename_chat(session, uid, chat.id, title)
                    st.rerun()
        st.button("Delete chat", icon=":material/delete:", on_click=_ask_delete)
    if st.session_state.get("confirm_delete_chat"):
        st.warning(f"Delete **{chat.title}** with its messages and data? This cannot be undone.")
        yes, no = st.columns(2)
        if yes.button("Yes, delete it", type="primary"):
            with errors.shown():
                with context.db() as session:
                    datasets.delete_chat_files(session, context.settings(), uid, chat.id)
                    chats.delete_chat(session, uid, chat.id)
                st.session_state["confirm_delete_chat"] = False
                st.session_state.pop("chat_id", None)
                st.rerun()
        no.button("Cancel", on_click=_cancel_delete)
