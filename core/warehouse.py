"""The second wall: the DuckDB sandbox a question runs in.

Each call opens a fresh in-memory DuckDB, ATTACHes the chat's dataset files READ_ONLY with a
view per table, then turns external access off, disables the local file system and locks the
configuration, so the engine itself refuses writes, other files, other databases and
extensions, even for SQL that never went through the guard. On top of that, DuckDB's own
parser must read the SQL as exactly one SELECT. A watchdog interrupts the query at the time
limit and the connection is closed before returning, so nothing keeps running after an
answer or an error.

Why the local file system is disabled, not only external access: on DuckDB 2.0.1, turning
external access off adds the attached files (and their .wal names) to ``allowed_paths``, and
they stay there after a DETACH, so ``DETACH ...; COPY ... TO '<dataset>' (USE_TMP_FILE
false)`` would overwrite a dataset. With LocalFileSystem disabled every new file open fails,
while the attached files keep reading through the handles already open. The price is that a
query cannot spill to disk: past the memory limit it stops with a clear message.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from core.config import Settings
from core.errors import QueryError, QueryLimitError

_MAX_MESSAGE_CHARS = 400
_SYSTEM_NAMES = re.compile(r"pg_|duckdb_|information_schema|sqlite_|_dataset_\d")
_ERROR_KIND = re.compile(r"^[A-Za-z ]*Error: ")


@dataclass(frozen=True)
class TableSource:
    name: str  # view name the SQL uses
    path: Path  # the DuckDB dataset file (table `data` inside)


@dataclass(frozen=True)
class QueryLimits:
    timeout_s: float
    memory_limit: str  # e.g. "1GB"
    threads: int
    row_limit: int


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]  # DuckDB type names
    rows: list[tuple[Any, ...]]  # at most row_limit rows
    total_count: int  # the true number of rows the query produces
    truncated: bool
    elapsed_ms: float  # the whole call: opening the sandbox, running, counting


def limits_from_settings(settings: Settings) -> QueryLimits:
    return QueryLimits(
        timeout_s=settings.query_timeout_s,
        memory_limit=settings.query_memory_limit,
        threads=settings.query_threads,
        row_limit=settings.query_row_limit,
    )


def run_query(
    tables: Sequence[TableSource],
    sql: str,
    limits: QueryLimits,
    *,
    count_sql: str | None = None,
) -> QueryResult:
    """``run_query_in_process`` in a worker process the operating system holds to a memory
    ceiling, killed if it runs past the time limit (see core.query_pool for why)."""
    from core.query_pool import run_isolated

    return run_isolated(list(tables), sql, limits, count_sql)


def run_query_in_process(
    tables: Sequence[TableSource],
    sql: str,
    limits: QueryLimits,
    *,
    count_sql: str | None = None,
) -> QueryResult:
    """Run ``sql`` over ``tables`` in a locked sandbox, fetching at most ``row_limit`` rows.

    When more rows exist, the true total is counted in one extra pass over ``count_sql``
    (default ``sql``): pass the guard's ``unlimited_sql`` there, since ``sql`` carries the
    guard's cap. A result within the limit is never run twice. Raises QueryLimitError past
    the time or memory limit and QueryError for any other failure, with messages free of
    file paths.
    """
    started = time.perf_counter()
    scrub = _Scrubber(tables)
    con = open_sandbox(tables, limits)
    watchdog = _Watchdog(con, limits.timeout_s)
    try:
        columns, types, rows = _fetch(con, sql, limits.row_limit + 1)
        watchdog.check()
        truncated = len(rows) > limits.row_limit
        total = _count(con, count_sql or sql) if truncated else len(rows)
        watchdog.check()
    except duckdb.InterruptException:
        raise _timeout(limits) from None
    except duckdb.OutOfMemoryException:
        raise _out_of_memory(limits) from None
    except duckdb.PermissionException:
        raise QueryError(
            "The query failed: files, URLs and other databases cannot be read or written here; "
            "questions can only read this chat's tables."
        ) from None
    except duckdb.Error as error:
        if watchdog.fired:
            raise _timeout(limits) from None
        raise QueryError(f"The query failed: {scrub.message(error)}") from None
    finally:
        watchdog.cancel()
        con.close()
    return QueryResult(
        columns=columns,
        types=types,
        rows=rows[: limits.row_limit],
        total_count=total,
        truncated=truncated,
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


def open_sandbox(tables: Sequence[TableSource], limits: QueryLimits) -> duckdb.DuckDBPyConnection:
    """The locked connection run_query runs in, without its watchdog or statement check.

    The caller closes it. Exposed so the engine's own refusals can be checked alone.
    """
    con = _connect(limits)
    try:
        _open_tables(con, tables, _Scrubber(tables))
        _lock(con)
    except BaseException:
        con.close()
        raise
    return con


def _connect(limits: QueryLimits) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "allow_unsigned_extensions": False,
            "allow_persistent_secrets": False,
            "python_enable_replacements": False,
            "memory_limit": limits.memory_limit,
            "threads": limits.threads,
            "temp_directory": "",  # never spill: nothing is written anywhere
        },
    )


def _open_tables(
    con: duckdb.DuckDBPyConnection, tables: Sequence[TableSource], scrub: _Scrubber
) -> None:
    names = [table.name.casefold() for table in tables]
    if len(set(names)) != len(names):
        raise ValueError(f"table names must be unique: {sorted(names)}")
    for number, table in enumerate(tables):
        alias = f"_dataset_{number}"
        try:
            con.execute(f"ATTACH {_string(str(table.path))} AS {alias} (READ_ONLY)")
            con.execute(f"CREATE VIEW {_identifier(table.name)} AS SELECT * FROM {alias}.main.data")
        except duckdb.Error as error:
            raise QueryError(
                f"The data of table `{table.name}` could not be opened: {scrub.message(error)}"
            ) from None


def _lock(con: duckdb.DuckDBPyConnection) -> None:
    """After this no file can be opened (the attached datasets read through their open
    handles) and no setting, these included, can change again. The order matters: turning
    external access off needs the file system."""
    con.execute("SET enable_external_access = false")
    con.execute("SET disabled_filesystems = 'LocalFileSystem'")
    con.execute("SET lock_configuration = true")


def _single_select(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Statement:
    """Exactly one SELECT, as DuckDB's own parser reads it: the guard's parser could differ."""
    statements = con.extract_statements(sql)
    if len(statements) != 1:
        raise QueryError(
            f"Only one query can run at a time; DuckDB reads {len(statements)} statements here."
        )
    if statements[0].type != duckdb.StatementType.SELECT:
        raise QueryError(
            "Only one read-only query (SELECT) can run; DuckDB reads this SQL as "
            f"{statements[0].type.name.replace('_', ' ')}."
        )
    return statements[0]


def _fetch(
    con: duckdb.DuckDBPyConnection, sql: str, max_rows: int
) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
    con.execute(_single_select(con, sql))
    columns = [str(column[0]) for column in con.description]
    types = [str(column[1]) for column in con.description]
    return columns, types, con.fetchmany(max_rows)


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    inner = sql.strip().rstrip(";")
    row = con.execute(_single_select(con, f"SELECT count(*) FROM ({inner}) AS counted")).fetchone()
    return int(row[0]) if row else 0


def _timeout(limits: QueryLimits) -> QueryLimitError:
    return QueryLimitError(
        f"The query took longer than {limits.timeout_s:g} s and was stopped. "
        "Try a narrower question or fewer rows."
    )


def _out_of_memory(limits: QueryLimits) -> QueryLimitError:
    return QueryLimitError(
        f"The query needed more than the {limits.memory_limit} of memory it may use and was "
        "stopped. Try a narrower question, fewer columns or an aggregate."
    )


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Watchdog:
    """Interrupts the connection once ``timeout_s`` has passed, unless cancelled first.

    The lock makes cancel() and the interrupt exclusive, so no interrupt can reach the
    connection once cancel() has returned (and the connection is closed).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, timeout_s: float) -> None:
        self._con = con
        self._lock = threading.Lock()
        self._cancelled = False
        self.fired = False
        self._timer = threading.Timer(timeout_s, self._interrupt)
        self._timer.daemon = True
        self._timer.start()

    def _interrupt(self) -> None:
        with self._lock:
            if not self._cancelled:
                self.fired = True
                self._con.interrupt()

    def check(self) -> None:
        """An interrupt that landed between two statements still ends the call."""
        if self.fired:
            raise duckdb.InterruptException("Interrupted!")

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
        self._timer.cancel()


class _Scrubber:
    """Turns a DuckDB error into one short line a user (or the repair loop) can act on.

    Keeps the useful part (``Referenced column "revnue" not found... Candidate bindings:
    "revenue"``), drops the SQL excerpt and engine internals, and never shows where the
    dataset files live.
    """

    def __init__(self, tables: Sequence[TableSource]) -> None:
        replacements = {
            form: f"<data of table {table.name}>"
            for table in tables
            for form in (str(table.path), str(table.path.absolute()), str(table.path.resolve()))
        }
        # Longest first, so no shorter form cuts a longer one in half.
        self._replacements = sorted(replacements.items(), key=lambda item: -len(item[0]))
        # Other files beside the datasets (DuckDB's tmp_ and .wal files) reveal the folder.
        folders = {
            str(form.parent) for t in tables for form in (t.path.absolute(), t.path.resolve())
        }
        self._beside = [
            re.compile(re.escape(folder.rstrip("/")) + r"/[^\s\"']+") for folder in folders
        ]

    def message(self, error: Exception) -> str:
        text = str(error)
        for secret, shown in self._replacements:
            text = text.replace(secret, shown)
        for beside in self._beside:
            text = beside.sub("<dataset folder>", text)
        paragraph = re.split(r"\n\s*\n|\nLINE \d+:", text, maxsplit=1)[0]
        # Tab-indented lines list candidates (every overload of a function): too long to show.
        lines = [line.strip() for line in paragraph.splitlines() if not line.startswith("\t")]
        lines = [
            _ERROR_KIND.sub("", line, count=1)
            for line in lines
            if line and not (line.startswith("Did you mean") and _SYSTEM_NAMES.search(line))
        ]
        if len(lines) > 1 and lines[-1].endswith(":"):
            lines.pop()
        summary = " ".join(lines) or "DuckDB reported an error."
        if len(summary) > _MAX_MESSAGE_CHARS:
            summary = summary[: _MAX_MESSAGE_CHARS - 3] + "..."
        return summary
