"""Tabletalk: the frame and the sign-in gate.

`streamlit run app.py` imports this module to find ``app`` (an ``st.App`` with the cookie
routes) and then runs this same file as the script for every browser session, where
``__name__ == "__main__"``. Until the user is signed in, only the sign-in page is registered:
the other pages do not exist for an anonymous session.
"""

from __future__ import annotations

import streamlit as st

if __name__ == "__main__":
    from core import log as core_log
    from core.errors import TabletalkError
    from ui import context, sidebar

    st.set_page_config(page_title="Tabletalk", page_icon=":material/forum:", layout="wide")
    settings = context.settings()
    core_log.configure(settings.log_level)

    try:
        user = context.current_user()
    except TabletalkError as error:
        st.error(error.message)
        st.stop()

    if user is None:
        st.session_state.pop("user_id", None)
        pages = [st.Page("views/login.py", title="Sign in", icon=":material/login:")]
    else:
        if st.session_state.get("user_id") != user.id:
            st.session_state.clear()
            st.session_state["user_id"] = user.id
        sidebar.ensure_chat(user.id)
        sidebar.render(user)
        pages = [
            st.Page("views/chat.py", title="Chat", icon=":material/chat:", default=True),
            st.Page("views/data.py", title="Data", icon=":material/table:"),
            st.Page("views/account.py", title="Account", icon=":material/person:"),
        ]
    st.navigation(pages, position="top").run()
else:
    from contextlib import asynccontextmanager

    from core.auth_routes import build_auth_routes
    from core.config import get_settings
    from core.db import get_engine
    from core.startup import start_up

    @asynccontextmanager
    async def _lifespan(_app):
        start_up(get_engine(), get_settings())
        yield

    app = st.App("app.py", routes=build_auth_routes(get_engine, get_settings()), lifespan=_lifespan)
