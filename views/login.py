"""Sign in or register. The forms post to /auth/* so the server can set the session cookie."""

from __future__ import annotations

import html

import streamlit as st

from core.auth_routes import ERROR_MESSAGES

FORM_CSS = """
<style>
.tt-form {display:flex; flex-direction:column; gap:.6rem; max-width:24rem}
.tt-form label {font-size:.9rem; display:flex; flex-direction:column; gap:.25rem}
.tt-form input {padding:.55rem .7rem; border-radius:.5rem; border:1px solid rgba(128,128,128,.45);
  font-size:1rem; background:transparent; color:inherit}
.tt-form button {margin-top:.4rem; padding:.6rem; border-radius:.5rem; border:none;
  background:#ff4b4b; color:white; font-size:1rem; cursor:pointer}
</style>
"""


def _form(action: str, button: str, confirm: bool) -> str:
    second = (
        '<label>Repeat password<input type="password" name="password2" required minlength="8" '
        'autocomplete="new-password" aria-label="Repeat password"></label>'
        if confirm
        else ""
    )
    autocomplete = "new-password" if confirm else "current-password"
    return f"""{FORM_CSS}
<form class="tt-form" method="post" action="{html.escape(action)}">
  <label>Email<input type="email" name="email" required autocomplete="email"
    aria-label="Email"></label>
  <label>Password<input type="password" name="password" required
    autocomplete="{autocomplete}" aria-label="Password"></label>
  {second}
  <button type="submit">{html.escape(button)}</button>
</form>"""


st.title("Tabletalk")
st.caption(
    "Ask questions about your CSV files in plain language, and see the SQL behind every answer."
)

error = st.query_params.get("auth_error")
if error:
    st.error(ERROR_MESSAGES.get(error, "Sign-in failed. Try again."))

register_first = st.query_params.get("mode") == "register"
tab_names = ["Create account", "Sign in"] if register_first else ["Sign in", "Create account"]
tabs = dict(zip(tab_names, st.tabs(tab_names), strict=True))
with tabs["Sign in"]:
    st.html(_form("/auth/login", "Sign in", confirm=False))
with tabs["Create account"]:
    st.caption("At least 8 characters; not your email address.")
    st.html(_form("/auth/register", "Create account", confirm=True))
