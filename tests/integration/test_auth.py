"""Accounts and sessions on a real PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from core import auth, chats
from core.errors import AuthError, ThrottledError, ValidationError
from core.models import AuthSession, Chat, Message, User

PASSWORD = "correct horse battery"


def test_register_normalises_the_email(db):
    user = auth.register(db, "  Alice@Example.COM ", PASSWORD)
    assert user.email == "alice@example.com"


@pytest.mark.parametrize("email", ["alice@example.com", "ALICE@example.com", " Alice@Example.com"])
def test_an_email_is_registered_once_whatever_its_case(db, email):
    auth.register(db, "alice@example.com", PASSWORD)
    with pytest.raises(ValidationError) as err:
        auth.register(db, email, PASSWORD)
    assert "already" not in err.value.message.split(".")[0]  # does not confirm the account


@pytest.mark.parametrize(
    ("email", "password", "says"),
    [
        ("not-an-email", PASSWORD, "valid email"),
        ("bob@example.com", "short", "at least 8"),
        ("bob@example.com", "bob@example.com", "cannot be your email"),
        ("bob@example.com", "BOB@example.com", "cannot be your email"),
    ],
)
def test_registration_refuses_bad_input_with_a_reason(db, email, password, says):
    with pytest.raises(ValidationError, match=says):
        auth.register(db, email, password)
    assert db.scalars(select(User)).all() == []


def test_password_is_stored_only_as_a_bcrypt_hash(db):
    auth.register(db, "alice@example.com", PASSWORD)
    stored = db.scalar(select(User.password_hash))
    assert stored.startswith("$2b$") and PASSWORD not in stored


def test_long_passwords_differ_beyond_72_bytes(db):
    base = "x" * 80
    auth.register(db, "alice@example.com", base + "1")
    with pytest.raises(AuthError):
        auth.sign_in(db, _settings(), "alice@example.com", base + "2")


def _settings(**overrides):
    from core.config import Settings

    return Settings(**overrides)


def test_sign_in_returns_a_token_whose_hash_only_is_stored(db):
    auth.register(db, "alice@example.com", PASSWORD)
    signed = auth.sign_in(db, _settings(), "ALICE@example.com", PASSWORD)
    stored = db.scalar(select(AuthSession.token_hash))
    assert stored == auth.token_hash(signed.token) and signed.token not in stored
    assert auth.user_for_token(db, signed.token).email == "alice@example.com"


@pytest.mark.parametrize(
    ("email", "password"),
    [("alice@example.com", "wrong password"), ("nobody@example.com", PASSWORD)],
)
def test_wrong_password_and_unknown_email_get_the_same_message(db, email, password):
    auth.register(db, "alice@example.com", PASSWORD)
    with pytest.raises(AuthError) as err:
        auth.sign_in(db, _settings(), email, password)
    assert err.value.message == "Wrong email or password."


def test_an_unknown_email_still_costs_a_bcrypt_check(db, monkeypatch):
    checked = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda p, h: checked.append(h) or real(p, h))
    with pytest.raises(AuthError):
        auth.sign_in(db, _settings(), "nobody@example.com", PASSWORD)
    assert len(checked) == 1 and checked[0].startswith("$2b$")


def test_sign_out_revokes_the_session(db):
    auth.register(db, "alice@example.com", PASSWORD)
    signed = auth.sign_in(db, _settings(), "alice@example.com", PASSWORD)
    auth.sign_out(db, signed.token)
    assert auth.user_for_token(db, signed.token) is None


def test_an_expired_session_is_not_accepted(db):
    auth.register(db, "alice@example.com", PASSWORD)
    signed = auth.sign_in(db, _settings(session_ttl_hours=1), "alice@example.com", PASSWORD)
    db.execute(update(AuthSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert auth.user_for_token(db, signed.token) is None


@pytest.mark.parametrize("token", [None, "", "garbage", "x" * 500])
def test_missing_or_forged_tokens_are_anonymous(db, token):
    assert auth.user_for_token(db, token) is None


def test_five_failures_throttle_even_the_right_password(db):
    auth.register(db, "alice@example.com", PASSWORD)
    for _ in range(5):
        with pytest.raises(AuthError) as err:
            auth.sign_in(db, _settings(), "alice@example.com", "nope nope")
        assert not isinstance(err.value, ThrottledError)
    with pytest.raises(ThrottledError, match="Wait 15 minutes"):
        auth.sign_in(db, _settings(), "alice@example.com", PASSWORD)


def test_throttling_is_per_email_and_ends_after_the_window(db):
    from core.models import LoginAttempt

    auth.register(db, "alice@example.com", PASSWORD)
    auth.register(db, "bob@example.com", PASSWORD)
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.sign_in(db, _settings(), "alice@example.com", "nope nope")
    assert auth.sign_in(db, _settings(), "bob@example.com", PASSWORD).token
    db.execute(update(LoginAttempt).values(created_at=datetime.now(UTC) - timedelta(minutes=16)))
    assert auth.sign_in(db, _settings(), "alice@example.com", PASSWORD).token


def test_throttling_applies_to_unknown_emails_too(db):
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.sign_in(db, _settings(), "ghost@example.com", "nope nope")
    with pytest.raises(ThrottledError):
        auth.sign_in(db, _settings(), "ghost@example.com", "nope nope")


def test_change_password_revokes_every_session_and_the_new_one_works(db):
    user = auth.register(db, "alice@example.com", PASSWORD)
    first = auth.sign_in(db, _settings(), "alice@example.com", PASSWORD)
    second = auth.sign_in(db, _settings(), "alice@example.com", PASSWORD)
    auth.change_password(db, user.id, PASSWORD, "a brand new secret")
    assert auth.user_for_token(db, first.token) is None
    assert auth.user_for_token(db, second.token) is None
    with pytest.raises(AuthError):
        auth.sign_in(db, _settings(), "alice@example.com", PASSWORD)
    assert auth.sign_in(db, _settings(), "alice@example.com", "a brand new secret").token


def test_change_password_needs_the_current_one(db):
    user = auth.register(db, "alice@example.com", PASSWORD)
    with pytest.raises(AuthError, match="current password"):
        auth.change_password(db, user.id, "not it at all", "a brand new secret")
    with pytest.raises(ValidationError):
        auth.change_password(db, user.id, PASSWORD, "short")


def test_delete_account_removes_chats_messages_and_sessions(db):
    user = auth.register(db, "alice@example.com", PASSWORD)
    other = auth.register(db, "bob@example.com", PASSWORD)
    auth.sign_in(db, _settings(), "alice@example.com", PASSWORD)
    chat = chats.create_chat(db, user.id)
    chats.add_question(db, user.id, chat.id, "hello")
    kept = chats.create_chat(db, other.id)
    db.commit()
    with pytest.raises(AuthError):
        auth.delete_account(db, user.id, "wrong password")
    auth.delete_account(db, user.id, PASSWORD)
    db.commit()
    assert [u.email for u in auth.list_users(db)] == ["bob@example.com"]
    assert [c.id for c in db.scalars(select(Chat))] == [kept.id]
    assert db.scalars(select(Message)).all() == []
    assert db.scalars(select(AuthSession)).all() == []


def test_no_password_or_token_ever_reaches_the_logs(db, caplog):
    caplog.set_level(logging.DEBUG)
    auth.register(db, "alice@example.com", PASSWORD)
    signed = auth.sign_in(db, _settings(), "alice@example.com", PASSWORD)
    with pytest.raises(AuthError):
        auth.sign_in(db, _settings(), "alice@example.com", "another secret value")
    auth.sign_out(db, signed.token)
    user = auth.sign_in(db, _settings(), "alice@example.com", PASSWORD).user
    auth.change_password(db, user.id, PASSWORD, "my new password!")
    text = caplog.text
    assert "event=auth.signin_ok" in text and "event=auth.signin_failed" in text
    for secret in (PASSWORD, "another secret value", "my new password!", signed.token):
        assert secret not in text
    assert auth.token_hash(signed.token) not in text
