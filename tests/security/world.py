"""The world a security test module attacks: users, chats, datasets, secrets and a canary.

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
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core import chats
from core.models import Base, Dataset, Message, User
from tests.fakellm import FakeLLM, RecordedRequest, Reply

REPO = Path(__file__).resolve().parents[2]
LIVENESS_MARGIN_S = 2.0  # a stopped query must have returned within the time limit plus this
QUERY_TIMEOUT_S = 2.0
QUERY_MEMORY_LIMIT = "512MB"
QUERY_ROW_LIMIT = 1000


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
