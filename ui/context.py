"""Where the pages get the settings, a database session and the signed-in user.

``session_token`` is the one place that reads the browser cookie; AppTest cannot set
cookies, so tests replace this function.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core import auth
from core.auth_routes import COOKIE_NAME
from core.config import Settings, get_settings
from core.db import get_engine, session_scope


def settings() -> Settings:
    return get_settings()


@contextmanager
def db() -> Iterator:
    with session_scope(get_engine()) as session:
        yield session


def session_token() -> str | None:
    return st.context.cookies.get(COOKIE_NAME)


def current_user() -> auth.UserInfo | None:
    token = session_token()
    if not token:
        return None
    with db() as session:
        return auth.user_for_token(session, token)


def user_id():
    """The signed-in user's id; the frame guarantees one on every page but sign-in."""
    return st.session_state["user_id"]


def chat_id_or_stop(title: str):
    """The open chat's id; with none open, the page says how to start one and stops."""
    chat_id = st.session_state.get("chat_id")
    if chat_id is None:
        st.title(title)
        st.info("Start a chat with **New chat** in the sidebar, then upload a CSV to start.")
        st.stop()
    return chat_id
