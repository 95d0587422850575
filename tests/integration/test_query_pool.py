"""Queries run in worker processes held to a memory ceiling and killed past the time limit."""

from __future__ import annotations

import duckdb
import pytest

from core import query_pool
from core.errors import QueryError, QueryLimitError
from core.warehouse import QueryLimits, TableSource, run_query

SMALL = QueryLimits(timeout_s=3, memory_limit="64MB", threads=1, row_limit=100)


@pytest.fixture
def sales(tmp_path) -> list[TableSource]:
    path = tmp_path / "sales.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE data AS SELECT range AS n, range % 4 AS k FROM range(1000)")
    return [TableSource("sales", path)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT length(repeat(repeat('x', 1000), 1000000)) AS n",
        "SELECT length(replace(repeat('x', 1000), 'x', repeat('y', 1000000))) AS n",
        "SELECT len([repeat('x', 1000000) FOR x IN range(1000)]) AS n",
    ],
    ids=["nested-repeat", "replace-growth", "comprehension"],
)
def test_a_value_grown_past_every_duckdb_limit_is_stopped_and_the_next_query_works(sales, sql):
    with pytest.raises(QueryLimitError, match="stopped"):
        run_query(sales, sql, SMALL)
    after = run_query(sales, "SELECT count(*) FROM sales", SMALL)
    assert after.rows == [(1000,)]


def test_errors_come_back_with_their_type_and_message(sales):
    with pytest.raises(QueryError, match='Referenced column "nn" not found') as raised:
        run_query(sales, "SELECT nn FROM sales", SMALL)
    assert not isinstance(raised.value, QueryLimitError)
    assert run_query(sales, "SELECT max(n) FROM sales", SMALL).rows == [(999,)]


def test_a_worker_that_overruns_is_killed_not_left_running(sales, monkeypatch):
    """The app stops waiting before DuckDB's own interrupt would fire: the kill must do it."""
    monkeypatch.setattr(query_pool, "GRACE_S", -0.7)
    started: list[query_pool.Worker] = []
    real = query_pool.Worker

    def recording(limit):
        started.append(real(limit))
        return started[-1]

    monkeypatch.setattr(query_pool, "Worker", recording)
    endless = (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"
    )
    limits = QueryLimits(timeout_s=1, memory_limit="256MB", threads=1, row_limit=10)
    with pytest.raises(QueryLimitError, match="took longer than 1 s"):
        run_query(sales, endless, limits)
    assert started and all(w.process.poll() is not None for w in started)


@pytest.mark.parametrize(
    ("text", "duckdb_bytes"),
    [("1GB", 10**9), ("512MB", 512 * 10**6), ("2GiB", 2 * 2**30), ("64 MB", 64 * 10**6)],
)
def test_the_address_limit_is_duckdbs_limit_and_a_half_plus_headroom(text, duckdb_bytes):
    assert query_pool.address_limit(text) == int(1.5 * duckdb_bytes) + query_pool.HEADROOM_BYTES


def test_values_of_every_common_type_cross_the_process_boundary(sales):
    sql = (
        "SELECT DATE '2024-01-02' AS d, TIMESTAMP '2024-01-02 03:04:05' AS ts, "
        "TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tz, 1.25::DECIMAL(10,2) AS dec, "
        "INTERVAL 3 DAY AS iv, uuid() AS u, [1, 2] AS l, {'a': 1} AS s, 'x'::BLOB AS b, "
        "TIME '10:11:12' AS t, NULL AS nothing"
    )
    (row,) = run_query(sales, sql, SMALL).rows
    assert [type(v).__name__ for v in row] == [
        "date", "datetime", "datetime", "Decimal", "timedelta", "UUID", "list", "dict",
        "bytes", "time", "NoneType",
    ]  # fmt: skip


def test_a_reply_that_would_run_code_when_loaded_is_refused():
    import os
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with pytest.raises(QueryError, match="cannot be shown"):
        query_pool.safe_loads(pickle.dumps(("ok", Evil())))
