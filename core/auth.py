"""Accounts and sign-in sessions.

Only a SHA-256 hash of each session token is stored, so a database leak does not hand out
live sessions. Failed sign-ins are throttled per email. Messages never say whether an email
is registered, and a sign-in for an unknown email costs the same bcrypt work as a known one.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import bcrypt
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.config import Settings
from core.errors import AuthError, NotFoundError, ThrottledError, ValidationError
from core.log import event
from core.models import AuthSession, LoginAttempt, User

log = logging.getLogger(__name__)

BCRYPT_ROUNDS = 12
MIN_PASSWORD = 8
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
BAD_CREDENTIALS = "Wrong email or password."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DUMMY_HASH: bytes | None = None


@dataclass(frozen=True)
class UserInfo:
    id: uuid.UUID
    email: str
    created_at: datetime


@dataclass(frozen=True)
class SignIn:
    """A fresh session: ``token`` goes into the browser cookie and nowhere else."""

    user: UserInfo
    token: str
    expires_at: datetime


def _info(user: User) -> UserInfo:
    return UserInfo(user.id, user.email, user.created_at)


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise ValidationError("Enter a valid email address, like name@example.com.")
    return cleaned


def _prehash(password: str) -> bytes:
    """bcrypt reads only 72 bytes; hashing first keeps every character significant."""
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:
        return False


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(16)).encode("ascii")
    return _DUMMY_HASH.decode("ascii")


def check_new_password(password: str, email: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Choose a password of at least {MIN_PASSWORD} characters.")
    if password.strip().lower() == email.strip().lower():
        raise ValidationError("Your password cannot be your email address.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def register(session: Session, email: str, password: str) -> UserInfo:
    address = normalise_email(email)
    check_new_password(password, address)
    user = User(email=address, password_hash=hash_password(password))
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise ValidationError(
            "We could not create an account with these details. "
            "If you already have an account, sign in instead."
        ) from None
    session.refresh(user)
    event(log, "auth.registered", user=user.id)
    return _info(user)


def _recent_failures(session: Session, email: str) -> int:
    since = _now() - THROTTLE_WINDOW
    return session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.email == email, LoginAttempt.created_at > since)
    )


def _check_throttle(session: Session, email: str) -> None:
    if _recent_failures(session, email) >= THROTTLE_FAILURES:
        event(log, "auth.signin_throttled", logging.WARNING, email_hash=token_hash(email)[:12])
        minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
        raise ThrottledError(
            f"Too many failed sign-ins for this email. Wait {minutes} minutes and try again."
        )


def _start_session(session: Session, user: User, settings: Settings) -> SignIn:
    token = secrets.token_urlsafe(32)
    expires = _now() + timedelta(hours=settings.session_ttl_hours)
    session.add(AuthSession(user_id=user.id, token_hash=token_hash(token), expires_at=expires))
    session.flush()
    return SignIn(_info(user), token, expires)


def sign_in(session: Session, settings: Settings, email: str, password: str) -> SignIn:
    """Raises AuthError with one message for unknown email and wrong password alike."""
    try:
        address = normalise_email(email)
    except ValidationError:
        verify_password(password, _dummy_hash())
        raise AuthError(BAD_CREDENTIALS) from None
    _check_throttle(session, address)
    user = session.scalar(select(User).where(func.lower(User.email) == address))
    valid = verify_password(password, user.password_hash if user else _dummy_hash())
    if user is None or not valid:
        session.add(LoginAttempt(email=address))
        session.commit()
        event(log, "auth.signin_failed", logging.WARNING, email_hash=token_hash(address)[:12])
        raise AuthError(BAD_CREDENTIALS)
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == address))
    signed = _start_session(session, user, settings)
    event(log, "auth.signin_ok", user=user.id)
    return signed


def register_and_sign_in(session: Session, settings: Settings, email: str, password: str) -> SignIn:
    info = register(session, email, password)
    user = session.get(User, info.id)
    assert user is not None
    signed = _start_session(session, user, settings)
    event(log, "auth.signin_ok", user=user.id)
    return signed


def user_for_token(session: Session, token: str | None) -> UserInfo | None:
    """The signed-in user for a cookie value, or None when missing, expired or revoked."""
    if not token:
        return None
    row = session.scalar(
        select(AuthSession).where(
            AuthSession.token_hash == token_hash(token),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > _now(),
        )
    )
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return _info(user) if user else None


def sign_out(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = _now()
        event(log, "auth.signed_out", user=row.user_id)


def _revoke_all(session: Session, user_id: uuid.UUID) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


def _owned_user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("That account no longer exists.")
    return user


def change_password(session: Session, user_id: uuid.UUID, current: str, new: str) -> None:
    """Every session of the user is revoked: they sign in again with the new password."""
    user = _owned_user(session, user_id)
    if not verify_password(current, user.password_hash):
        raise AuthError("Your current password is not correct.")
    check_new_password(new, user.email)
    user.password_hash = hash_password(new)
    _revoke_all(session, user_id)
    event(log, "auth.password_changed", user=user_id)


def delete_account(session: Session, user_id: uuid.UUID, password: str) -> list[str]:
    """Deletes the user with their chats, messages and dataset rows (by cascade).

    Returns the storage paths of the user's dataset files, for the caller to remove after
    the commit (a file removed before a rolled-back commit could not come back).
    """
    from core.models import Dataset

    user = _owned_user(session, user_id)
    if not verify_password(password, user.password_hash):
        raise AuthError("Your password is not correct.")
    paths = list(session.scalars(select(Dataset.storage_path).where(Dataset.user_id == user_id)))
    session.delete(user)
    session.flush()
    event(log, "auth.account_deleted", user=user_id)
    return paths


def get_user(session: Session, user_id: uuid.UUID) -> UserInfo:
    return _info(_owned_user(session, user_id))


def list_users(session: Session) -> list[UserInfo]:
    return [_info(u) for u in session.scalars(select(User).order_by(User.created_at))]
