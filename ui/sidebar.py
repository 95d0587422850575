"""The sidebar: the user's chats, newest first, and "New chat"."""

from __future__ import annotations

import streamlit as st

from core import chats
from ui import context, errors
from ui.logout import logout_button


def _open(chat_id) -> None:
    st.session_state["chat_id"] = chat_id


def _new_chat() -> None:
    st.session_state["new_chat_requested"] = True


def ensure_chat(user_id) -> None:
    """Create the chat asked for by "New chat", or pick the newest when none is open."""
    with context.db() as session:
        if st.session_state.pop("new_chat_requested", False):
            st.session_state["chat_id"] = chats.create_chat(session, user_id).id
            return
        items = chats.list_chats(session, user_id)
        if st.session_state.get("chat_id") not in {c.id for c in items}:
            st.session_state["chat_id"] = items[0].id if items else None


def render(user) -> None:
    with st.sidebar:
        st.button("New chat", icon=":material/add:", on_click=_new_chat, width="stretch")
        with errors.shown(), context.db() as session:
            items = chats.list_chats(session, user.id)
        if not items:
            st.caption("No chats yet. Start one with **New chat**.")
        current = st.session_state.get("chat_id")
        for chat in items:
            st.button(
                chat.title,
                key=f"chat-{chat.id}",
                on_click=_open,
                args=(chat.id,),
                type="primary" if chat.id == current else "tertiary",
                width="stretch",
            )
        st.divider()
        st.caption(f"Signed in as `{user.email}`")
        logout_button()
