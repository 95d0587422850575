"""The sign-in gate and the chat list, through Streamlit's AppTest on a real database."""

from __future__ import annotations

import pytest

from core import auth, chats
from core.db import session_scope
from tests.apptest_support import run_app

PASSWORD = "correct horse battery"


@pytest.fixture
def signed_in(engine, app_env):
    with session_scope(engine) as session:
        signed = auth.register_and_sign_in(session, app_env, "alice@example.com", PASSWORD)
    return signed


def _page_titles(at):
    return [t.value for t in at.title]


def test_anonymous_visitors_get_only_the_sign_in_page(app_env, monkeypatch):
    at = run_app(monkeypatch, token=None)
    assert not at.exception
    assert _page_titles(at) == ["Tabletalk"]
    assert [t.label for t in at.tabs] == ["Sign in", "Create account"]
    with pytest.raises(Exception):  # noqa: B017 - the page is not registered at all
        at.switch_page("views/chat.py").run()


def test_a_forged_or_revoked_cookie_is_anonymous(app_env, monkeypatch, signed_in, engine):
    assert _page_titles(run_app(monkeypatch, token="forged")) == ["Tabletalk"]
    with session_scope(engine) as session:
        auth.sign_out(session, signed_in.token)
    assert _page_titles(run_app(monkeypatch, token=signed_in.token)) == ["Tabletalk"]


def test_an_auth_error_code_shows_its_message(app_env, monkeypatch):
    import ui.context

    monkeypatch.setattr(ui.context, "session_token", lambda: None)
    from streamlit.testing.v1 import AppTest

    from tests.apptest_support import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"))
    at.query_params["auth_error"] = "throttled"
    at.run()
    assert "Too many failed sign-ins" in at.error[0].value


def test_a_signed_in_user_with_no_chat_sees_how_to_start(app_env, monkeypatch, signed_in):
    at = run_app(monkeypatch, token=signed_in.token)
    assert not at.exception
    assert "Welcome to Tabletalk" in _page_titles(at)
    assert any("New chat" in md.value for md in at.sidebar.caption)


def test_new_chat_creates_one_and_lists_it_in_the_sidebar(app_env, monkeypatch, signed_in, engine):
    at = run_app(monkeypatch, token=signed_in.token)
    at.sidebar.button[0].click().run()
    assert not at.exception
    with session_scope(engine) as session:
        listed = chats.list_chats(session, signed_in.user.id)
    assert [c.title for c in listed] == ["New chat"]
    assert "New chat" in _page_titles(at)
    assert any("Upload a CSV to start" in i.value for i in at.info)


def test_sidebar_lists_only_my_chats_newest_first(app_env, monkeypatch, signed_in, engine):
    with session_scope(engine) as session:
        chats.create_chat(session, signed_in.user.id, "Older")
    with session_scope(engine) as session:
        chats.create_chat(session, signed_in.user.id, "Newer")
        other = auth.register(session, "bob@example.com", PASSWORD)
        chats.create_chat(session, other.id, "Bob's secret chat")
    at = run_app(monkeypatch, token=signed_in.token)
    labels = [b.label for b in at.sidebar.button]
    assert labels[1:] == ["Newer", "Older"]
    assert "Bob's secret chat" not in labels
    assert "Newer" in _page_titles(at)


def test_clicking_a_chat_in_the_sidebar_opens_it(app_env, monkeypatch, signed_in, engine):
    with session_scope(engine) as session:
        chats.create_chat(session, signed_in.user.id, "Older")
    with session_scope(engine) as session:
        chats.create_chat(session, signed_in.user.id, "Newer")
    at = run_app(monkeypatch, token=signed_in.token)
    next(b for b in at.sidebar.button if b.label == "Older").click().run()
    assert "Older" in _page_titles(at)
