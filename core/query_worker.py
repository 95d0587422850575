"""A query worker: ``python -m core.query_worker ADDRESS_LIMIT_BYTES``.

It runs queries sent by core.query_pool one at a time, over its stdin and stdout, under an
address-space limit set by the operating system before DuckDB is even imported. A query that
grows one value past every DuckDB limit then fails here, or kills only this process.
"""

from __future__ import annotations

import os
import pickle
import resource
import sys
from multiprocessing.connection import Connection


def _limit_memory(limit: int) -> None:
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def serve(requests: Connection, replies: Connection) -> None:
    from core.errors import QueryLimitError, TabletalkError
    from core.warehouse import run_query_in_process

    while True:
        try:
            tables, sql, limits, count_sql = requests.recv()
        except EOFError:
            return  # the app went away
        try:
            result = run_query_in_process(tables, sql, limits, count_sql=count_sql)
        except TabletalkError as error:
            _reply(replies, ("error", type(error).__name__, error.message))
            if isinstance(error, QueryLimitError):
                return  # a fresh worker serves the next query
            continue
        except MemoryError:
            _reply(replies, ("error", "QueryLimitError", "memory"))
            return
        except Exception as error:  # noqa: BLE001 - a programming error, reported as such
            _reply(replies, ("bug", type(error).__name__, str(error)))
            continue
        _reply(replies, ("ok", _fixed_offsets(result)))


def _fixed_offsets(result):
    """Time-zone-aware values with a plain UTC offset: a ZoneInfo needs more to unpickle
    than the app's restricted unpickler allows."""
    import dataclasses
    import datetime as dt

    zoned = [i for i, t in enumerate(result.types) if "TIME ZONE" in t.upper()]
    if not zoned:
        return result

    def fixed(value):
        if isinstance(value, dt.datetime | dt.time) and value.tzinfo is not None:
            offset = value.utcoffset()
            return value.replace(tzinfo=dt.timezone(offset) if offset is not None else None)
        return value

    rows = [tuple(fixed(v) if i in zoned else v for i, v in enumerate(row)) for row in result.rows]
    return dataclasses.replace(result, rows=rows)


def _reply(replies: Connection, message: tuple) -> None:
    """Raw bytes: the app reads them with a restricted unpickler (core.query_pool)."""
    replies.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def main() -> None:
    _limit_memory(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    requests = Connection(os.dup(0), writable=False)
    replies = Connection(os.dup(1), readable=False)
    sys.stdout = sys.stderr  # nothing but replies may reach the pipe
    serve(requests, replies)


if __name__ == "__main__":
    main()
