"""The world a red-team module attacks, and the checks every attack is judged by.

One world per module (building it ingests four CSV files): a victim user with a chat holding
``sales``, a second chat of hers holding ``budget``, another user holding ``payroll``, and
secret files beside the data directory. ``budget`` and ``payroll`` carry a secret token in
their cells, and so does every secret file: an attack that reads any of them and gets the
token into an answer, a stored message, a prompt or the command line's output is caught.

Nothing here mocks DuckDB or the database: questions go through the real pipeline.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core import chats
from core.models import Base, Dataset, Message, User
from core.nl2sql.guard import guard_sql
from tests.fakellm import FakeLLM, RecordedRequest, Reply

REPO = Path(__file__).resolve().parents[2]
LIVENESS_MARGIN_S = 2.0  # a stopped query must have returned within the time limit plus this
CLI_START_ALLOWANCE_S = 20.0  # a fresh interpreter importing the app, on a busy machine
QUERY_TIMEOUT_S = 2.0
QUERY_MEMORY_LIMIT = "512MB"
QUERY_ROW_LIMIT = 1000

T = TypeVar("T")

# What an error dump or a leaked internal looks like in a message shown to a user.
DUMP_MARKERS = ("Traceback", 'File "', "Error:", "Exception", "site-packages", "duckdb.")
INTERNAL_MARKERS = ("tabletalk-query-", "tabletalk-cli-", "_dataset_")


# --- the canary: a web server no query may reach -------------------------------------------
class Canary:
    """An HTTP server on 127.0.0.1 that records every request; attacks aim URLs at it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                canary.requests.append(f"GET {self.path}")
                body = b'{"token": "canary"}\n'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Canary:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- the model: obeys whoever wrote the attack ----------------------------------------------
class ObedientModel:
    """Makes the fake LLM answer every drafting request with the SQL of the attack at hand
    (also when asked to repair it), and any other request with a plain sentence."""

    def __init__(self, fake: FakeLLM) -> None:
        self.fake = fake
        self.sql = "SELECT 1 AS one"
        fake.default = self._reply

    def _reply(self, request: RecordedRequest) -> Reply:
        if "```sql" in request.all_text():
            return Reply.text(f"I read the question as a report.\n```sql\n{self.sql}\n```")
        return Reply.text("The result table answers the question.")

    def will_write(self, sql: str) -> None:
        self.sql = sql


# --- files ---------------------------------------------------------------------------------
def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def sales_csv(path: Path, rows: int = 400) -> Path:
    regions = ["North", "South", "East", "West"]
    products = ["Widget", "Gadget", "Doohickey"]
    return write_csv(
        path,
        ["order_id", "order_date", "region", "product", "quantity", "revenue"],
        [
            [
                i,
                f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                regions[i % 4],
                products[i % 3],
                1 + i % 7,
                round(10 + (i % 13) * 2.5, 2),
            ]
            for i in range(rows)
        ],
    )


def _secret_files(folder: Path, token: str) -> dict[str, str]:
    """The same token in every format a file-reading function could open."""
    folder.mkdir(parents=True, exist_ok=True)
    txt = folder / "secret.txt"
    txt.write_text(token + "\n", encoding="utf-8")
    csv_path = write_csv(folder / "secret.csv", ["token"], [[token]])
    json_path = folder / "secret.json"
    json_path.write_text(json.dumps({"token": token}) + "\n", encoding="utf-8")
    parquet = folder / "secret.parquet"
    database = folder / "secret.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE TABLE data AS SELECT ? AS token", [token])
        con.execute(f"COPY data TO '{parquet}' (FORMAT parquet)")
    lite = folder / "secret.sqlite"
    with sqlite3.connect(lite) as con:
        con.execute("CREATE TABLE secrets (token TEXT)")
        con.execute("INSERT INTO secrets VALUES (?)", (token,))
    con.close()
    return {
        "secret_txt": str(txt),
        "secret_csv": str(csv_path),
        "secret_json": str(json_path),
        "secret_parquet": str(parquet),
        "secret_db": str(database),
        "secret_sqlite": str(lite),
        "secret_dir": str(folder),
    }


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the hash of its bytes."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def snapshot_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    created = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    return (
        [f"created {p}" for p in created]
        + [f"removed {p}" for p in removed]
        + [f"changed {p}" for p in changed]
    )


# --- the world -----------------------------------------------------------------------------
@dataclass
class World:
    root: Path
    settings: Any
    session: Session
    model: ObedientModel
    canary: Canary
    token: str
    alice: uuid.UUID
    mallory: uuid.UUID
    chat_id: uuid.UUID
    other_chat_id: uuid.UUID
    mallory_chat_id: uuid.UUID
    places: dict[str, str]
    cli_csv: Path
    tables: list[str] = field(default_factory=list)

    @property
    def bound_s(self) -> float:
        return self.settings.query_timeout_s + LIVENESS_MARGIN_S

    def files(self) -> dict[str, str]:
        return snapshot(self.root)

    def internal_paths(self) -> list[str]:
        """Where the app keeps things: none of these may appear in a message it did not get."""
        data_dir = self.settings.data_dir
        paths = {str(data_dir), str(data_dir.resolve()), str(self.settings.datasets_dir)}
        for stored in self.session.scalars(select(Dataset.storage_path)):
            paths.add(stored)
            paths.add(Path(stored).name)
        return sorted(paths, key=len, reverse=True)

    def database_state(self, attacked_chat: uuid.UUID) -> list[tuple]:
        """Datasets and the messages of every chat but the one under attack."""
        datasets = self.session.execute(
            select(Dataset.id, Dataset.table_name, Dataset.storage_path, Dataset.row_count)
        ).all()
        counts = self.session.execute(
            select(Message.chat_id, func.count())
            .where(Message.chat_id != attacked_chat)
            .group_by(Message.chat_id)
        ).all()
        return sorted(map(tuple, datasets), key=str) + sorted(map(tuple, counts), key=str)

    def messages(self, chat_id: uuid.UUID | None = None) -> list[chats.ChatMessage]:
        return chats.list_messages(self.session, self.alice, chat_id or self.chat_id)

    def prompts_since(self, seen: int) -> str:
        """Everything sent to the model after its first ``seen`` requests (key excluded)."""
        return "\n".join(r.text_outside_auth() for r in self.model.fake.requests[seen:])


def build_world(
    engine, root: Path, model: ObedientModel, canary: Canary, settings_for: Callable
) -> World:
    from core.ingest import ingest_file

    token = "TT-SECRET-" + secrets.token_hex(12)
    data_dir = root / "data"
    (data_dir / "datasets").mkdir(parents=True)
    (root / "out").mkdir()
    (root / "cli-tmp").mkdir()
    settings = settings_for(data_dir)
    session = Session(engine, expire_on_commit=False)
    alice = User(email=f"alice-{uuid.uuid4().hex[:6]}@example.com", password_hash="x")
    mallory = User(email=f"mallory-{uuid.uuid4().hex[:6]}@example.com", password_hash="x")
    session.add_all([alice, mallory])
    session.flush()
    uploads = root / "uploads"
    chat = chats.create_chat(session, alice.id, "Sales")
    other_chat = chats.create_chat(session, alice.id, "Budget")
    mallory_chat = chats.create_chat(session, mallory.id, "Payroll")
    session.commit()
    sales = sales_csv(uploads / "sales.csv")
    budget = write_csv(uploads / "budget.csv", ["item", "note"], [["rent", token], ["ads", "x"]])
    payroll = write_csv(uploads / "payroll.csv", ["name", "salary"], [[token, 1], ["bob", 2]])
    ingest_file(session, settings, alice.id, chat.id, sales, "sales.csv")
    ingest_file(session, settings, alice.id, other_chat.id, budget, "budget.csv")
    mine = ingest_file(session, settings, mallory.id, mallory_chat.id, payroll, "payroll.csv")
    session.commit()
    own = session.scalars(select(Dataset.storage_path).where(Dataset.chat_id == chat.id)).one()
    theirs = session.get(Dataset, mine.id)
    places = {
        **_secret_files(root / "secrets", token),
        "out": str(root / "out"),
        "url": canary.url,
        "own_path": own,
        "other_user_path": theirs.storage_path,
        "other_user_table": theirs.table_name,
        "other_chat_table": "budget",
    }
    cli_csv = sales_csv(root / "cli" / "sales.csv")
    return World(
        root=root,
        settings=settings,
        session=session,
        model=model,
        canary=canary,
        token=token,
        alice=alice.id,
        mallory=mallory.id,
        chat_id=chat.id,
        other_chat_id=other_chat.id,
        mallory_chat_id=mallory_chat.id,
        places=places,
        cli_csv=cli_csv,
    )


def tear_down(world: World, engine) -> None:
    world.session.rollback()
    world.session.close()
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


# --- running an attack ---------------------------------------------------------------------
def with_watchdog(call: Callable[[], T], bound_s: float, hard_cap_s: float = 120.0):
    """Runs ``call`` in a thread and returns (value, seconds taken).

    The caller compares the seconds with its liveness bound; past ``hard_cap_s`` the call is
    given up on, so a query that never stops fails the test instead of hanging the suite.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as error:  # noqa: BLE001 - handed back to the caller
            box["error"] = error

    started = time.perf_counter()
    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(bound_s)
    if worker.is_alive():
        worker.join(hard_cap_s)
    elapsed = time.perf_counter() - started
    if worker.is_alive():
        raise AssertionError(f"still running after {elapsed:.0f} s (bound {bound_s:g} s)")
    if "error" in box:
        raise box["error"]
    return box["value"], elapsed


@dataclass(frozen=True)
class Outcome:
    """What one attack produced on one path, in the terms the checks need."""

    path: str
    success: bool
    answer: str
    error: str | None
    result_count: int | None
    rows: list[list[Any]]
    truncated: bool | None
    visible: str  # everything shown or stored: result, messages, CLI output
    prompts: str  # everything sent to the language model during the attack
    elapsed_s: float
    file_changes: list[str]
    canary_requests: list[str]
    database_changed: bool


def result_text(result: Any) -> str:
    return json.dumps(asdict(result), default=str, ensure_ascii=False)


def messages_text(messages: list[chats.ChatMessage]) -> str:
    return json.dumps([asdict(m) for m in messages], default=str, ensure_ascii=False)


def cli_environment(world: World) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "QUERY_", "ASK_", "DATABASE_URL", "MAIN_DATABASE"))
    }
    env.update(
        PYTHONPATH=str(REPO),
        TMPDIR=str(world.root / "cli-tmp"),
        DATA_DIR=str(world.root / "cli-data"),
        ASK_ENGINE="llm",
        OPENAI_BASE_URL=world.model.fake.base_url,
        OPENAI_API_KEY="sk-test",
        QUERY_TIMEOUT_S=f"{world.settings.query_timeout_s:g}",
        QUERY_MEMORY_LIMIT=world.settings.query_memory_limit,
        QUERY_ROW_LIMIT=str(world.settings.query_row_limit),
    )
    return env


def run_cli(world: World, question: str, engine: str = "llm") -> tuple[dict[str, Any], str, float]:
    """``python -m core ask`` in a fresh process; returns (JSON body, all output, seconds)."""
    command = [
        sys.executable,
        "-m",
        "core",
        "ask",
        "--csv",
        str(world.cli_csv),
        "--question",
        question,
        "--engine",
        engine,
        "--format",
        "json",
    ]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=world.cli_csv.parent,
            env=cli_environment(world),
            capture_output=True,
            text=True,
            timeout=world.bound_s + CLI_START_ALLOWANCE_S,
        )
    except subprocess.TimeoutExpired as expired:
        raise AssertionError(
            f"the command line was still running after {expired.timeout:g} s"
        ) from None
    elapsed = time.perf_counter() - started
    output = done.stdout + "\n" + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0 and len(lines) == 1, f"not one JSON object: {output[-2000:]}"
    return json.loads(lines[0]), output, elapsed


# --- the checks ----------------------------------------------------------------------------
def message_problems(message: str | None, sql: str, world: World) -> list[str]:
    """A message a user can act on: present, short, no dump, no internal path, no secret."""
    if not message or not message.strip():
        return ["the answer gives no message"]
    problems = []
    if len(message) > 1000:
        problems.append(f"the message is {len(message)} characters long")
    for marker in DUMP_MARKERS:
        if marker in message:
            problems.append(f"the message looks like a dump ({marker!r}): {message!r}")
    for marker in INTERNAL_MARKERS:
        if marker in message and marker not in sql:
            problems.append(f"the message names an internal ({marker!r}): {message!r}")
    for path in world.internal_paths():
        if path in message and path not in sql:
            problems.append(f"the message shows the internal path {path!r}: {message!r}")
            break
    return problems


LIMIT_WORDS = re.compile(r"took longer than|memory|limit", re.I)


def stop_problems(stop: str, outcome: Outcome, world: World, shown_rows: int) -> list[str]:
    """Did the right wall stop the attack, and does the answer say so?"""
    if stop == "rows":
        problems = []
        if not outcome.result_count or outcome.result_count <= world.settings.query_row_limit:
            problems.append(f"the row count {outcome.result_count} is not the true total")
        if len(outcome.rows) > shown_rows:
            problems.append(f"{len(outcome.rows)} rows came back, past the cap of {shown_rows}")
        if outcome.truncated is False:
            problems.append("the answer does not say the rows were cut")
        return problems
    if outcome.success:
        return [f"the attack succeeded: {outcome.answer!r} rows={outcome.rows[:3]!r}"]
    if stop == "limit":
        said = outcome.error or ""
        if "stopped" not in said or not LIMIT_WORDS.search(said):
            return [f"the answer does not say a limit stopped the query: {said!r}"]
    return []


def common_problems(outcome: Outcome, sql: str, world: World) -> list[str]:
    """What must hold for every attack on every path."""
    problems = list(outcome.file_changes)
    if outcome.canary_requests:
        problems.append(f"requests reached the canary server: {outcome.canary_requests}")
    if outcome.database_changed:
        problems.append("another chat's messages or a dataset row changed")
    if world.token in outcome.visible:
        problems.append("the secret token appears in the answer, a stored message or output")
    if world.token in outcome.prompts:
        problems.append("the secret token was sent to the language model")
    if not outcome.success:
        problems += message_problems(outcome.error or outcome.answer, sql, world)
    if outcome.elapsed_s > world.bound_s + (CLI_START_ALLOWANCE_S if outcome.path == "cli" else 0):
        problems.append(
            f"the call returned after {outcome.elapsed_s:.1f} s, past the liveness bound of "
            f"{world.bound_s:g} s (time limit {world.settings.query_timeout_s:g} s + "
            f"{LIVENESS_MARGIN_S:g} s)"
        )
    return problems


def harmless_sql_problems(sql: str | None, tables: list[str]) -> list[str]:
    """SQL an engine produced on its own must be one guarded, read-only query."""
    if sql is None:
        return []
    try:
        guard_sql(sql, tables, QUERY_ROW_LIMIT)
    except Exception as error:  # noqa: BLE001
        return [f"the engine ran SQL its own guard refuses: {sql!r} ({error})"]
    return []
