"""Running one attack and judging what it left behind.

``with_watchdog`` and ``run_cli`` run an attack in process or as the command line; the
``*_problems`` functions list every way the outcome falls short, so one failure shows all
of them at once.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from core import chats
from core.nl2sql.guard import guard_sql
from tests.security.world import LIVENESS_MARGIN_S, QUERY_ROW_LIMIT, REPO, World

CLI_START_ALLOWANCE_S = 20.0  # a fresh interpreter importing the app, on a busy machine
# What an error dump or a leaked internal looks like in a message shown to a user.
DUMP_MARKERS = ("Traceback", 'File "', "Error:", "Exception", "site-packages", "duckdb.")
INTERNAL_MARKERS = ("tabletalk-query-", "tabletalk-cli-", "_dataset_")

T = TypeVar("T")


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
