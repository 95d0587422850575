"""Account: change password, delete the account."""

from __future__ import annotations

import streamlit as st

from core import auth, datasets_files
from ui import context, errors
from ui.logout import logout_button

st.title("Account")
uid = context.user_id()

with errors.shown(), context.db() as session:
    me = auth.get_user(session, uid)
st.write(f"Signed in as **{me.email}** since {me.created_at:%d %b %Y}.")

st.subheader("Change password")
with st.form("change_password", clear_on_submit=True):
    current = st.text_input("Current password", type="password")
    new = st.text_input("New password", type="password", help="At least 8 characters.")
    repeat = st.text_input("Repeat new password", type="password")
    submitted = st.form_submit_button("Change password")
if submitted:
    if new != repeat:
        st.error("The two new passwords do not match.")
    else:
        with errors.shown():
            with context.db() as session:
                auth.change_password(session, uid, current, new)
            st.success("Password changed. You are signed out everywhere; sign in again.")
            logout_button("Sign in again")

st.subheader("Delete account")
st.caption(
    "Removes your account, all your chats, messages and uploaded data. This cannot be undone."
)
with st.form("delete_account"):
    password = st.text_input("Password", type="password", key="delete_pw")
    sure = st.checkbox("I understand that everything will be deleted")
    delete = st.form_submit_button("Delete my account", type="primary")
if delete:
    if not sure:
        st.warning("Tick the box to confirm.")
    else:
        with errors.shown():
            with context.db() as session:
                paths = auth.delete_account(session, uid, password)
            datasets_files.remove_files(paths)
            st.success("Your account was deleted.")
            logout_button("Leave")
