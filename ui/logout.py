"""A sign-out button: a same-tab form post to /auth/logout, which clears the cookie."""

from __future__ import annotations

import html

import streamlit as st

_STYLE = (
    "width:100%;padding:.45rem .75rem;border-radius:.5rem;cursor:pointer;font-size:.95rem;"
    "border:1px solid rgba(128,128,128,.4);background:transparent;color:inherit"
)


def logout_button(label: str = "Sign out") -> None:
    st.html(
        f'<form method="post" action="/auth/logout" style="margin:0">'
        f'<button type="submit" style="{_STYLE}">{html.escape(label)}</button></form>'
    )
