"""Questions' queries run in worker processes, not in the app process.

DuckDB's memory limit covers its buffers, not one function's own allocation, and its
interrupt is not checked while such a value grows: ``repeat(repeat('x', 1000), 256000)``
builds 256 MB under a 64 MB limit and keeps running past the time limit. A worker is held to
an address-space ceiling by the operating system and is killed when a query overruns its time
limit, so such a query fails alone and the app keeps serving. Workers stay alive between
queries (no start-up cost per question) and are replaced after any limit was hit.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import os
import pickle
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path

from core import errors
from core.log import event
from core.warehouse import QueryLimits, QueryResult, TableSource

log = logging.getLogger(__name__)

GRACE_S = 1.5  # past the time limit, before the worker is killed: DuckDB's own interrupt first
HEADROOM_BYTES = 320 << 20  # Python, DuckDB's code, thread stacks (~200 MB with one arena)
MAX_WORKERS = 4
_UNITS = {"": 1, "K": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4}
_ROOT = Path(__file__).parents[1]


def address_limit(memory_limit: str) -> int:
    """DuckDB's memory limit and half again, plus headroom: DuckDB's own limit stops a query
    first; this ceiling stops what DuckDB does not count (one huge value)."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?)(I?B)?\s*", memory_limit.upper())
    if not match:
        return 0
    number, unit, suffix = float(match[1]), match[2], match[3] or ""
    base = 1024 ** "KMGT".index(unit) * 1024 if suffix == "IB" and unit else _UNITS[unit]
    return int(number * base * 1.5) + HEADROOM_BYTES


class Worker:
    def __init__(self, limit: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "core.query_worker", str(limit)],
            cwd=_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # One malloc arena: glibc reserves 64 MB of address space per thread otherwise.
            env={**os.environ, "MALLOC_ARENA_MAX": "1"},
        )
        self.requests = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.replies = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for connection in (self.requests, self.replies):
            with contextlib.suppress(OSError):
                connection.close()


class Pool:
    """Idle workers by address limit; at most MAX_WORKERS queries run at once."""

    def __init__(self) -> None:
        self._idle: dict[int, list[Worker]] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_WORKERS)

    def _take(self, limit: int) -> Worker:
        with self._lock:
            idle = self._idle.get(limit, [])
            while idle:
                worker = idle.pop()
                if worker.process.poll() is None:
                    return worker
        return Worker(limit)

    def _give(self, limit: int, worker: Worker) -> None:
        with self._lock:
            self._idle.setdefault(limit, []).append(worker)

    def close(self) -> None:
        with self._lock:
            workers = [w for ws in self._idle.values() for w in ws]
            self._idle.clear()
        for worker in workers:
            worker.kill()

    def run(self, tables, sql, limits: QueryLimits, count_sql) -> QueryResult:
        limit = address_limit(limits.memory_limit)
        with self._slots:
            worker = self._take(limit)
            try:
                worker.requests.send((list(tables), sql, limits, count_sql))
                if not worker.replies.poll(limits.timeout_s + GRACE_S):
                    raise _killed("time", limits)
                reply = safe_loads(worker.replies.recv_bytes())
            except (EOFError, OSError, BrokenPipeError):
                worker.kill()
                raise _killed("memory", limits) from None
            except BaseException:
                worker.kill()
                raise
            if reply[0] == "ok":
                self._give(limit, worker)
                return reply[1]
            status, kind, message = reply
            if status == "bug":
                self._give(limit, worker)
                raise _bug(kind, message)
            if kind == "QueryLimitError":
                worker.kill()  # it has exited: a fresh worker serves the next query
                if message == "memory":
                    raise _killed("memory", limits)
            else:
                self._give(limit, worker)
            raise _typed(kind, message)


def _bug(kind: str, message: str) -> Exception:
    """A programming error in the worker comes back as the same builtin exception."""
    import builtins

    cls = getattr(builtins, kind, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls(message)
    return RuntimeError(f"{kind}: {message}")


def _typed(kind: str, message: str) -> errors.TabletalkError:
    """The worker's error as the same class here (only classes of core.errors)."""
    cls = getattr(errors, kind, errors.QueryError)
    if not (isinstance(cls, type) and issubclass(cls, errors.TabletalkError)):
        cls = errors.QueryError
    return cls(message)


def _killed(why: str, limits: QueryLimits) -> errors.QueryLimitError:
    event(log, "query.worker_killed", logging.WARNING, reason=why)
    if why == "time":
        return errors.QueryLimitError(
            f"The query took longer than {limits.timeout_s:g} s and was stopped. "
            "Try a narrower question or fewer rows."
        )
    return errors.QueryLimitError(
        f"The query needed more memory than the {limits.memory_limit} limit and was stopped. "
        "Try a narrower question, fewer columns or an aggregate."
    )


# What a worker's reply may contain: the result type and the values DuckDB returns.
_ALLOWED = {
    ("core.warehouse", "QueryResult"),
    ("copyreg", "_reconstructor"),
    ("copyreg", "__newobj__"),
    ("decimal", "Decimal"),
    ("uuid", "UUID"),
    ("uuid", "SafeUUID"),
    ("zoneinfo", "ZoneInfo"),
    ("zoneinfo", "_unpickle"),
    ("builtins", "object"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "bytearray"),
    ("builtins", "complex"),
    ("builtins", "slice"),
    *(("datetime", name) for name in ("date", "time", "datetime", "timedelta", "timezone")),
}


class _Restricted(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a query reply")
        return super().find_class(module, name)


def safe_loads(data: bytes):
    """Replies come from a process that ran hostile SQL: only known value types load."""
    try:
        return _Restricted(io.BytesIO(data)).load()
    except pickle.UnpicklingError:
        raise errors.QueryError(
            "The result holds a kind of value that cannot be shown. Cast it to text "
            "(CAST(column AS VARCHAR)) and ask again."
        ) from None


_POOL = Pool()
atexit.register(_POOL.close)


def run_isolated(
    tables: Sequence[TableSource], sql: str, limits: QueryLimits, count_sql: str | None
) -> QueryResult:
    return _POOL.run(tables, sql, limits, count_sql)
