"""The DuckDB sandbox on real dataset files: views, joins, the row cap, time and memory limits,
clean error messages, and every analyst query of the guard's list running end to end."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from core import warehouse
from core.config import Settings
from core.errors import QueryError, QueryLimitError
from core.nl2sql.guard import guard_sql
from core.warehouse import QueryLimits, TableSource, limits_from_settings, run_query
from tests.unit.test_guard import ANALYST_QUERIES

LIMITS = QueryLimits(timeout_s=10, memory_limit="512MB", threads=2, row_limit=100)

SALES = """
SELECT range::INTEGER AS order_id,
       DATE '2024-01-01' + (range % 90)::INTEGER AS order_date,
       TIMESTAMP '2024-01-01 08:00:00' + to_hours(range) AS ordered_at,
       ['North', 'South', 'East'][range % 3 + 1] AS region,
       ['Gadget', 'Widget pro', 'Gizmo'][range % 3 + 1] AS product,
       (range % 7)::INTEGER AS customer_id,
       (range % 5 + 1)::INTEGER AS quantity,
       (range * 1.25)::DECIMAL(10, 2) AS unit_price,
       (range * 12.5)::DECIMAL(12, 2) AS revenue,
       range % 4 = 0 AS returned
FROM range(250)
"""
CUSTOMERS = """
SELECT range::INTEGER AS customer_id, 'Name ' || range AS name,
       ['France', 'Germany', 'Spain'][range % 3 + 1] AS country,
       ['Enterprise', 'SMB'][range % 2 + 1] AS segment,
       DATE '2023-06-01' + range::INTEGER AS signup_date
FROM range(10)
"""


def make_dataset(folder: Path, select_sql: str) -> Path:
    """A dataset file as ingest writes it: one table named `data` in schema main."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{abs(hash(select_sql))}.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.execute(f"CREATE TABLE data AS {select_sql}")
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def chat_tables(tmp_path_factory: pytest.TempPathFactory) -> list[TableSource]:
    folder = tmp_path_factory.mktemp("datasets")
    return [
        TableSource("sales", make_dataset(folder, SALES)),
        TableSource("customers", make_dataset(folder, CUSTOMERS)),
    ]


def test_each_dataset_is_read_through_a_view_named_after_its_chat_table(chat_tables):
    result = run_query(chat_tables, "SELECT count(*) AS n FROM sales", LIMITS)
    assert result.columns == ["n"]
    assert result.rows == [(250,)]
    assert (result.total_count, result.truncated) == (1, False)


def test_a_query_joins_tables_from_two_dataset_files(chat_tables):
    sql = (
        "SELECT c.country, count(*) AS orders FROM sales s JOIN customers c "
        "USING (customer_id) GROUP BY c.country ORDER BY c.country"
    )
    result = run_query(chat_tables, sql, LIMITS)
    assert [country for country, _ in result.rows] == ["France", "Germany", "Spain"]
    assert sum(orders for _, orders in result.rows) == 250


def test_rows_are_capped_at_the_row_limit_with_the_true_total(chat_tables):
    result = run_query(chat_tables, "SELECT * FROM sales ORDER BY order_id", LIMITS)
    assert len(result.rows) == LIMITS.row_limit
    assert result.rows[0][0] == 0 and result.rows[-1][0] == LIMITS.row_limit - 1
    assert result.truncated is True
    assert result.total_count == 250


def test_a_result_exactly_at_the_row_limit_is_not_truncated(chat_tables):
    result = run_query(chat_tables, "SELECT * FROM sales LIMIT 100", LIMITS)
    assert (len(result.rows), result.total_count, result.truncated) == (100, 100, False)


def test_guarded_sql_counts_its_total_on_the_sql_without_the_cap(chat_tables):
    guarded = guard_sql("SELECT order_id FROM sales", ["sales"], LIMITS.row_limit)
    result = run_query(chat_tables, guarded.sql, LIMITS, count_sql=guarded.unlimited_sql)
    assert (len(result.rows), result.total_count, result.truncated) == (100, 250, True)


def test_a_users_own_limit_above_the_cap_bounds_the_total(chat_tables):
    guarded = guard_sql("SELECT order_id FROM sales LIMIT 180", ["sales"], LIMITS.row_limit)
    result = run_query(chat_tables, guarded.sql, LIMITS, count_sql=guarded.unlimited_sql)
    assert (len(result.rows), result.total_count) == (100, 180)


def test_a_result_within_the_limit_runs_the_query_once(chat_tables, monkeypatch):
    counted: list[str] = []
    real_count = warehouse._count

    def counting(con, sql):
        counted.append(sql)
        return real_count(con, sql)

    monkeypatch.setattr(warehouse, "_count", counting)
    in_process = warehouse.run_query_in_process
    in_process(chat_tables, "SELECT region, sum(revenue) FROM sales GROUP BY region", LIMITS)
    assert counted == []
    in_process(chat_tables, "SELECT * FROM sales", LIMITS)
    assert counted == ["SELECT * FROM sales"]


def test_dates_timestamps_and_decimals_come_back_as_python_values(chat_tables):
    sql = "SELECT order_date, ordered_at, revenue FROM sales WHERE order_id = 2"
    result = run_query(chat_tables, sql, LIMITS)
    assert result.types == ["DATE", "TIMESTAMP", "DECIMAL(12,2)"]
    assert result.rows == [(dt.date(2024, 1, 3), dt.datetime(2024, 1, 1, 10, 0), Decimal("25.00"))]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT max(hash(a.range * b.range)) FROM range(1000000000) a, range(1000) b",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
    ],
    ids=["cross-join", "endless-recursive-cte"],
)
def test_an_endless_query_is_stopped_at_the_time_limit_and_its_connection_closed(
    chat_tables, monkeypatch, sql
):
    opened: list[duckdb.DuckDBPyConnection] = []
    real_connect = warehouse._connect

    def recording(limits):
        opened.append(real_connect(limits))
        return opened[-1]

    monkeypatch.setattr(warehouse, "_connect", recording)
    limits = QueryLimits(timeout_s=1, memory_limit="512MB", threads=2, row_limit=100)
    with pytest.raises(QueryLimitError) as stopped:
        warehouse.run_query_in_process(chat_tables, sql, limits)
    assert stopped.value.message == (
        "The query took longer than 1 s and was stopped. Try a narrower question or fewer rows."
    )
    with pytest.raises(duckdb.ConnectionException):
        opened[0].execute("SELECT 1")
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]


def test_a_memory_bomb_is_stopped_at_the_memory_limit(chat_tables):
    limits = QueryLimits(timeout_s=20, memory_limit="64MB", threads=1, row_limit=100)
    sql = "SELECT string_agg(range::VARCHAR || repeat('x', 100), ',') FROM range(100000000)"
    with pytest.raises(QueryLimitError) as stopped:
        run_query(chat_tables, sql, limits)
    assert "more than the 64MB of memory" in stopped.value.message


def test_a_query_past_the_memory_limit_stops_instead_of_spilling_to_disk(
    chat_tables, tmp_path, monkeypatch
):
    """An in-memory DuckDB spills to ./.tmp by default: the sandbox writes nowhere at all."""
    monkeypatch.chdir(tmp_path)
    limits = QueryLimits(timeout_s=60, memory_limit="64MB", threads=1, row_limit=100)
    sql = (
        "SELECT count(*) FROM (SELECT range, md5(range::VARCHAR) AS h "
        "FROM range(3000000) ORDER BY h)"
    )
    with pytest.raises(QueryLimitError, match="more than the 64MB of memory"):
        warehouse.run_query_in_process(chat_tables, sql, limits)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT revnue FROM sales", 'Referenced column "revnue" not found'),
        ("SELECT revnue FROM sales", 'Candidate bindings: "revenue"'),
        ("SELECT * FROM orders", "Table with name orders does not exist"),
        ("SELECT sum(region) FROM sales", "No function matches the given name"),
        (
            "SELECT order_id FROM sales GROUP BY region",
            'column "order_id" must appear in the GROUP BY',
        ),
        ("SELECT 'abc'::INTEGER", "Could not convert string 'abc' to INT32"),
        ("SELECT * FROM sales WHERE", 'syntax error at or near "WHERE"'),
        (
            "SELECT * FROM read_csv('/tmp/tabletalk-never.csv')",
            "questions can only read this chat's tables",
        ),
    ],
)
def test_error_messages_are_one_clean_line_that_says_what_went_wrong(chat_tables, sql, expected):
    with pytest.raises(QueryError) as failed:
        run_query(chat_tables, sql, LIMITS)
    message = failed.value.message
    assert message.startswith("The query failed: ")
    assert expected in message
    assert "\n" not in message and "LINE 1" not in message and "Error:" not in message
    assert "pg_" not in message and "_dataset_" not in message


@pytest.mark.parametrize(
    "sql_template",
    [
        "SELECT * FROM read_csv('{path}')",
        "SELECT * FROM read_duckdb('{path}')",
        "SELECT * FROM '{path}'",
        "SELECT * FROM '{folder}/other.csv'",
        "SELECT * FROM read_text('{folder}/tmp_x.duckdb.wal')",
        "SELECT * FROM _dataset_0.main.missing",
        "SELECT * FROM sales WHERE region = 1 + '{path}'",
    ],
)
def test_error_messages_never_show_where_the_dataset_files_are(chat_tables, sql_template):
    path = chat_tables[0].path
    sql = sql_template.format(path=path, folder=path.parent)
    with pytest.raises(QueryError) as failed:
        run_query(chat_tables, sql, LIMITS)
    assert str(path.parent) not in failed.value.message
    assert path.name not in failed.value.message


def test_a_missing_dataset_file_names_the_table_not_the_path(tmp_path):
    missing = tmp_path / "gone.duckdb"
    with pytest.raises(QueryError) as failed:
        run_query([TableSource("sales", missing)], "SELECT 1", LIMITS)
    assert failed.value.message.startswith("The data of table `sales` could not be opened")
    assert str(tmp_path) not in failed.value.message


def test_table_names_needing_quotes_become_views_that_plain_sql_can_quote(tmp_path):
    path = make_dataset(tmp_path, "SELECT 7 AS a")
    tables = [TableSource('odd "name" here', path)]
    result = run_query(tables, 'SELECT a FROM "odd ""name"" here"', LIMITS)
    assert result.rows == [(7,)]


def test_two_tables_with_the_same_name_are_a_programming_error(chat_tables):
    tables = [chat_tables[0], TableSource("SALES", chat_tables[1].path)]
    with pytest.raises(ValueError):
        run_query(tables, "SELECT 1", LIMITS)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("ATTACH ':memory:' AS scratch", "DuckDB reads this SQL as ATTACH."),
        ("CHECKPOINT", "DuckDB reads this SQL as CALL."),
        ("EXPLAIN SELECT 1", "DuckDB reads this SQL as EXPLAIN."),
        ("SELECT 1; SELECT 2", "DuckDB reads 2 statements here."),
        ("-- nothing", "DuckDB reads 0 statements here."),
    ],
)
def test_the_sandbox_runs_exactly_one_select_as_duckdb_reads_it(chat_tables, sql, expected):
    with pytest.raises(QueryError) as refused:
        run_query(chat_tables, sql, LIMITS)
    assert expected in refused.value.message


def test_limits_come_from_the_settings():
    settings = Settings(
        query_timeout_s=3.5, query_memory_limit="2GB", query_threads=3, query_row_limit=42
    )
    assert limits_from_settings(settings) == QueryLimits(
        timeout_s=3.5, memory_limit="2GB", threads=3, row_limit=42
    )


@pytest.mark.parametrize("sql", ANALYST_QUERIES)
def test_every_analyst_query_runs_in_the_sandbox_after_the_guard(chat_tables, sql):
    guarded = guard_sql(sql, ["sales", "customers"], LIMITS.row_limit)
    result = run_query(chat_tables, guarded.sql, LIMITS, count_sql=guarded.unlimited_sql)
    assert result.columns
    assert len(result.rows) <= LIMITS.row_limit
    assert result.total_count >= len(result.rows)
