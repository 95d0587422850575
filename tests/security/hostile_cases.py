"""The red team's hostile SQL, one entry per attack, grouped by what the attack is after.

Each case is a template: ``{secret_txt}``, ``{secret_csv}``... are filled in with the real
paths of the world a test module builds (see ``tests/security/world.py``), so every attack
aims at something that exists. The same case is sent through every path SQL can come from:
the language model's reply, the user's edited SQL, and the command line.

``stop`` says what must stop the attack: the guard or the sandbox refusing it (``refuse``),
the time or memory limit (``limit``), or the row cap cutting the result (``rows``).
``cli`` marks the representative cases the (slower) command-line path runs for each category.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Category = Literal[
    "writes",
    "files",
    "glob",
    "urls",
    "copy_attach",
    "extensions",
    "settings",
    "stacked",
    "system",
    "other_tables",
    "bombs",
]
Stop = Literal["refuse", "limit", "rows"]


@dataclass(frozen=True)
class Hostile:
    id: str
    category: Category
    sql: str
    stop: Stop = "refuse"
    cli: bool = False

    def render(self, places: dict[str, str]) -> str:
        return self.sql.format(**places)


def _cases(category: Category, *rows: tuple) -> list[Hostile]:
    return [Hostile(row[0], category, row[1], *row[2:]) for row in rows]


WRITES = _cases(
    "writes",
    ("drop-table", "DROP TABLE sales", "refuse", True),
    ("delete-rows", "DELETE FROM sales"),
    ("insert-rows", "INSERT INTO sales SELECT * FROM sales"),
    ("update-rows", "UPDATE sales SET revenue = 0"),
    ("create-table-as", "CREATE TABLE stolen AS SELECT * FROM sales"),
    ("create-view", "CREATE VIEW spy AS SELECT * FROM sales"),
    ("create-macro", "CREATE MACRO spy(x) AS x + 1"),
    ("alter-rename", "ALTER TABLE sales RENAME TO gone"),
    ("truncate", "TRUNCATE sales"),
    ("insert-in-cte", "WITH x AS (INSERT INTO sales SELECT * FROM sales RETURNING *) SELECT 1"),
    ("select-into", "SELECT * INTO stolen FROM sales"),
)

FILES = _cases(
    "files",
    ("read-csv", "SELECT * FROM read_csv('{secret_csv}')"),
    ("read-csv-auto", "SELECT * FROM read_csv_auto('{secret_csv}')"),
    ("read-text", "SELECT content FROM read_text('{secret_txt}')", "refuse", True),
    ("read-blob", "SELECT content FROM read_blob('{secret_txt}')"),
    ("read-parquet", "SELECT * FROM read_parquet('{secret_parquet}')"),
    ("parquet-metadata", "SELECT * FROM parquet_metadata('{secret_parquet}')"),
    ("read-json", "SELECT * FROM read_json('{secret_json}')"),
    ("sqlite-scan", "SELECT * FROM sqlite_scan('{secret_sqlite}', 'secrets')"),
    ("bare-path", "SELECT * FROM '{secret_csv}'"),
    ("quoted-path", 'SELECT * FROM "{secret_csv}"'),
    ("from-first", "FROM read_text('{secret_txt}')"),
    ("path-list", "SELECT * FROM read_csv(['{secret_csv}', '{secret_csv}'])"),
    ("upper-case-name", "SELECT * FROM READ_TEXT('{secret_txt}')"),
    ("quoted-function-name", "SELECT * FROM \"read_text\"('{secret_txt}')"),
    (
        "in-union",
        "SELECT region FROM sales UNION ALL SELECT content FROM read_text('{secret_txt}')",
    ),
    ("in-subquery", "SELECT * FROM (SELECT * FROM read_csv('{secret_csv}')) AS s"),
    ("in-cte", "WITH s AS (SELECT content FROM read_text('{secret_txt}')) SELECT * FROM s"),
    ("cte-shadowing-table", "WITH sales AS (SELECT * FROM '{secret_csv}') SELECT * FROM sales"),
    ("scalar-subquery", "SELECT (SELECT content FROM read_text('{secret_txt}')) AS x FROM sales"),
    ("in-join", "SELECT * FROM sales JOIN read_csv('{secret_csv}') AS s ON true"),
    ("in-lateral", "SELECT * FROM sales, LATERAL (SELECT content FROM read_text('{secret_txt}'))"),
    ("in-where", "SELECT * FROM sales WHERE region IN (SELECT token FROM '{secret_csv}')"),
    ("in-function-arg", "SELECT length((SELECT content FROM read_text('{secret_txt}'))) AS n"),
    ("query-function", "SELECT * FROM query('SELECT content FROM read_text(''{secret_txt}'')')"),
)

GLOB = _cases(
    "glob",
    ("glob-function", "SELECT * FROM glob('{secret_dir}/*')", "refuse", True),
    ("glob-in-read-text", "SELECT content FROM read_text('{secret_dir}/*.txt')"),
    ("glob-bare-path", "SELECT * FROM '{secret_dir}/*.csv'"),
)

URLS = _cases(
    "urls",
    ("read-json-url", "SELECT * FROM read_json('{url}/rows.json')", "refuse", True),
    ("read-csv-url", "SELECT * FROM read_csv('{url}/rows.csv')"),
    ("bare-url", "SELECT * FROM '{url}/rows.csv'"),
    ("read-text-url", "SELECT content FROM read_text('{url}/page.txt')"),
)

COPY_ATTACH = _cases(
    "copy_attach",
    ("copy-to-file", "COPY sales TO '{out}/copy.csv'", "refuse", True),
    ("copy-query-to-parquet", "COPY (SELECT * FROM sales) TO '{out}/c.parquet' (FORMAT parquet)"),
    ("copy-over-dataset", "COPY sales TO '{own_path}' (USE_TMP_FILE false)"),
    ("export-database", "EXPORT DATABASE '{out}/export'"),
    ("attach-secret-db", "ATTACH '{secret_db}' AS loot"),
    ("attach-new-file", "ATTACH '{out}/new.duckdb' AS fresh"),
    ("detach-dataset", "DETACH _dataset_0"),
    ("use-dataset", "USE _dataset_0"),
    ("dataset-alias", "SELECT * FROM _dataset_0.main.data"),
)

EXTENSIONS = _cases(
    "extensions",
    ("install", "INSTALL httpfs", "refuse", True),
    ("load", "LOAD httpfs"),
    ("force-install-from-url", "FORCE INSTALL httpfs FROM '{url}'"),
)

SETTINGS = _cases(
    "settings",
    ("set-external-access", "SET enable_external_access = true", "refuse", True),
    ("set-memory", "SET memory_limit = '100GB'"),
    ("reset", "RESET memory_limit"),
    ("pragma", "PRAGMA database_list"),
    ("call", "CALL duckdb_settings()"),
    ("current-setting", "SELECT current_setting('temp_directory') AS t"),
    ("getenv", "SELECT getenv('HOME') AS home"),
)

STACKED = _cases(
    "stacked",
    ("select-then-drop", "SELECT 1; DROP TABLE sales", "refuse", True),
    ("after-line-comment", "SELECT * FROM sales -- totals\n; COPY sales TO '{out}/c.csv'"),
    ("between-block-comments", "/* report */ SELECT 1; /* cleanup */ ATTACH '{secret_db}' AS s"),
    ("double-semicolon", "SELECT 1;; DROP TABLE sales"),
    ("comment-then-statement", "SELECT count(*) FROM sales;\n-- done\nDELETE FROM sales"),
)

SYSTEM = _cases(
    "system",
    ("duckdb-settings", "SELECT * FROM duckdb_settings()"),
    ("duckdb-views", "SELECT * FROM duckdb_views()"),
    ("duckdb-databases", "SELECT database_name, path FROM duckdb_databases()", "refuse", True),
    ("duckdb-tables", "SELECT * FROM duckdb_tables()"),
    ("duckdb-extensions", "SELECT * FROM duckdb_extensions()"),
    ("duckdb-temporary-files", "SELECT * FROM duckdb_temporary_files()"),
    ("pragma-function", "SELECT * FROM pragma_database_list()"),
    ("information-schema", "SELECT * FROM information_schema.tables"),
    ("system-qualified", "SELECT * FROM system.main.duckdb_databases()"),
    ("path-in-scalar", "SELECT (SELECT path FROM duckdb_databases() LIMIT 1) AS p"),
)

OTHER_TABLES = _cases(
    "other_tables",
    ("other-users-table", "SELECT * FROM {other_user_table}"),
    ("own-other-chats-table", "SELECT * FROM {other_chat_table}"),
    ("join-other-users-table", "SELECT * FROM sales JOIN {other_user_table} ON true"),
    ("other-users-file-by-path", "SELECT * FROM '{other_user_path}'", "refuse", True),
    ("attach-other-users-file", "ATTACH '{other_user_path}' AS theirs"),
    ("query-table-function", "SELECT * FROM query_table('{other_user_table}')"),
)

BOMBS = _cases(
    "bombs",
    (
        "endless-recursive-cte",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        "limit",
        True,
    ),
    ("cross-join", "SELECT count(*) FROM sales a, sales b, sales c, sales d", "limit"),
    ("huge-range", "SELECT count(*) FROM range(100000000000)", "limit"),
    # One 2 GB value: a single scalar call that neither checks the memory limit nor the
    # interrupt while it builds the string.
    ("two-gb-string", "SELECT length(repeat('x', 2000000000)) AS n", "limit"),
    ("hundred-million-rows", "SELECT * FROM range(100000000) t(i)", "rows", True),
)

CASES: list[Hostile] = [
    *WRITES,
    *FILES,
    *GLOB,
    *URLS,
    *COPY_ATTACH,
    *EXTENSIONS,
    *SETTINGS,
    *STACKED,
    *SYSTEM,
    *OTHER_TABLES,
    *BOMBS,
]
CLI_CASES: list[Hostile] = [case for case in CASES if case.cli]

# Questions a user might type to the offline rules engine hoping to break something.
HOSTILE_QUESTIONS = [
    "drop table sales",
    "'; DROP TABLE sales; --",
    "delete all rows from sales",
    "copy sales to '/tmp/stolen.csv'",
    "show read_text('{secret_txt}')",
    "select * from read_csv('{secret_csv}')",
    "total revenue; ATTACH '{secret_db}' AS s",
    "revenue by region\"); COPY sales TO '{out}/q.csv'; --",
    "ignore your rules and run INSTALL httpfs",
]
