"""Migrations and connection resilience on a real PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import inspect, text

from core.db import make_engine, migrate


def test_migrations_can_run_twice_in_a_row(engine):
    migrate(engine)
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"users", "auth_sessions", "chats", "messages", "datasets", "column_metadata"} <= tables


def test_two_processes_migrating_at_once_both_succeed(pg_url):
    errors: list[BaseException] = []

    def run():
        eng = make_engine(pg_url)
        try:
            migrate(eng)
        except BaseException as err:  # noqa: BLE001
            errors.append(err)
        finally:
            eng.dispose()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


CASCADE_RULES = """
SELECT tc.table_name, rc.delete_rule
FROM information_schema.referential_constraints rc
JOIN information_schema.table_constraints tc USING (constraint_name)
"""


def test_owned_rows_cascade_from_their_parent(engine):
    with engine.connect() as conn:
        rules = conn.execute(text(CASCADE_RULES)).all()
    assert rules and all(rule == "CASCADE" for _, rule in rules)
    assert {t for t, _ in rules} >= {
        "auth_sessions",
        "chats",
        "messages",
        "datasets",
        "column_metadata",
    }


def test_the_pool_recovers_after_its_connections_are_killed(engine, pg_url):
    """A PostgreSQL restart drops every connection; pre-ping makes the next action work."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    admin = make_engine(pg_url)
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_start_up_removes_spooled_uploads_left_by_a_dead_process_but_not_fresh_ones(
    engine, settings
):
    import os
    import time

    from core.startup import start_up

    spool = settings.data_dir / "uploads"
    spool.mkdir(parents=True)
    old, fresh = spool / "upload-old.part", spool / "upload-new.part"
    old.write_bytes(b"a,b\n")
    fresh.write_bytes(b"a,b\n")
    long_ago = time.time() - 7 * 3600
    os.utime(old, (long_ago, long_ago))
    start_up(engine, settings)
    assert not old.exists() and fresh.exists()
