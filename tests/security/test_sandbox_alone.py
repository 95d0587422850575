"""The sandbox holds alone: hostile SQL that never went through the guard.

Two layers are checked on their own. ``run_query`` (DuckDB's parser must see exactly one
SELECT, then the locked engine runs it), and the locked engine itself (``open_sandbox``),
with every statement executed directly. Either way: nothing outside the chat's tables is
read, no file is created or changed, and the dataset file keeps its exact bytes.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.errors import QueryError
from core.warehouse import QueryLimits, TableSource, open_sandbox, run_query

LIMITS = QueryLimits(timeout_s=10, memory_limit="256MB", threads=1, row_limit=100)
SECRET = f"TOPSECRET-{uuid.uuid4().hex}"

# A DataFrame in scope: DuckDB's Python replacement scans would read it by name.
secret_frame = pd.DataFrame({"secret": [SECRET]})

HOSTILE = [
    # files out
    "COPY (SELECT 1) TO '{outside}/x.csv'",
    "COPY (SELECT * FROM sales) TO '{outside}/sales.parquet' (FORMAT parquet)",
    "COPY sales TO '{outside}/sales.csv'",
    "COPY (SELECT 1) TO '{dataset}'",
    "COPY (SELECT 1) TO '{dataset}' (FORMAT csv, USE_TMP_FILE false)",
    "COPY (SELECT 1) TO '{dataset}.wal' (FORMAT csv, USE_TMP_FILE false)",
    "DETACH _dataset_0; COPY (SELECT 1) TO '{dataset}' (FORMAT csv, USE_TMP_FILE false)",
    "DETACH _dataset_0; COPY (SELECT 1) TO '{dataset}.wal' (FORMAT csv, USE_TMP_FILE false)",
    "EXPORT DATABASE '{outside}/export'",
    # other databases in
    "ATTACH '{other}' AS other",
    "ATTACH '{other}' AS other (READ_ONLY)",
    "ATTACH '{outside}/new.duckdb' AS fresh",
    "ATTACH '{dataset}' AS writable",
    "SELECT * FROM read_duckdb('{other}', table_name = 't')",
    # files in
    "SELECT * FROM read_csv('{secret_csv}')",
    "SELECT * FROM read_csv_auto('{secret_csv}', header = false)",
    "SELECT * FROM '{secret_csv}'",
    "SELECT * FROM read_text('{secret_txt}')",
    "SELECT * FROM read_blob('{secret_txt}')",
    "SELECT * FROM read_json_auto('{secret_csv}')",
    "SELECT * FROM glob('{outside}/*')",
    "SELECT * FROM read_blob('{dataset}')",
    "SELECT * FROM secret_frame",
    # extensions
    "INSTALL httpfs",
    "FORCE INSTALL json",
    "LOAD httpfs",
    "LOAD '{outside}/evil.duckdb_extension'",
    # settings
    "SET enable_external_access = true",
    "SET GLOBAL enable_external_access = true",
    "RESET enable_external_access",
    "SET lock_configuration = false",
    "SET disabled_filesystems = ''",
    "SET memory_limit = '20GB'",
    "SET temp_directory = '{outside}/spill'",
    "SET allowed_directories = ['{outside}']",
    "SET profiling_output = '{outside}/profile.json'",
    "PRAGMA enable_profiling",
    "CALL enable_logging(storage = 'file', storage_path = '{outside}/logs')",
    "CREATE PERSISTENT SECRET leak (TYPE s3, KEY_ID 'k', SECRET 's')",
    # writes to the attached dataset
    "DROP TABLE _dataset_0.main.data",
    "INSERT INTO _dataset_0.main.data SELECT * FROM _dataset_0.main.data",
    "UPDATE _dataset_0.main.data SET amount = 0",
    "DELETE FROM _dataset_0.main.data",
    "ALTER TABLE _dataset_0.main.data ADD COLUMN extra INTEGER",
    "CREATE TABLE _dataset_0.main.extra AS SELECT 1",
    "CREATE VIEW _dataset_0.main.extra AS SELECT 1",
    "INSERT INTO sales VALUES (1, 1.0)",
]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A dataset, another chat's database and secret files, with a quiet working folder."""
    datasets, outside, cwd = tmp_path / "datasets", tmp_path / "outside", tmp_path / "cwd"
    for folder in (datasets, outside, cwd):
        folder.mkdir()
    monkeypatch.chdir(cwd)  # an in-memory DuckDB would spill to ./.tmp
    paths = {
        "dataset": datasets / "sales.duckdb",
        "other": outside / "other.duckdb",
        "secret_txt": outside / "secret.txt",
        "secret_csv": outside / "secret.csv",
        "outside": outside,
        "root": tmp_path,
    }
    _database(paths["dataset"], "SELECT range AS id, range * 1.5 AS amount FROM range(500)")
    _database(paths["other"], f"SELECT '{SECRET}' AS t")
    paths["secret_txt"].write_text(SECRET)
    paths["secret_csv"].write_text(f"secret\n{SECRET}\n")
    return paths


def _database(path: Path, select_sql: str) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(f"CREATE TABLE data AS {select_sql}")
    finally:
        con.close()


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _sql(template: str, world: dict[str, Path]) -> str:
    return template.format(**{name: str(path) for name, path in world.items()})


@pytest.mark.parametrize("template", HOSTILE)
def test_run_query_refuses_hostile_sql_and_touches_nothing(world, template):
    before = _snapshot(world["root"])
    tables = [TableSource("sales", world["dataset"])]
    with pytest.raises(QueryError) as refused:
        run_query(tables, _sql(template, world), LIMITS)
    assert SECRET not in refused.value.message
    assert str(world["dataset"]) not in refused.value.message
    assert _snapshot(world["root"]) == before


@pytest.mark.parametrize("template", HOSTILE)
def test_the_locked_engine_alone_refuses_each_hostile_statement(world, template):
    """No statement check here: each statement goes straight to the locked connection.
    Preparatory statements (a DETACH) may succeed; the attack itself must fail."""
    before = _snapshot(world["root"])
    con = open_sandbox([TableSource("sales", world["dataset"])], LIMITS)
    try:
        *preparation, attack = con.extract_statements(_sql(template, world))
        for statement in preparation:
            con.execute(statement)
        with pytest.raises(duckdb.Error) as refused:
            con.execute(attack).fetchall()
        assert SECRET not in str(refused.value)
    finally:
        con.close()
    assert _snapshot(world["root"]) == before


def test_the_dataset_is_still_readable_after_every_attempt(world):
    tables = [TableSource("sales", world["dataset"])]
    for template in HOSTILE:
        with pytest.raises(QueryError):
            run_query(tables, _sql(template, world), LIMITS)
    result = run_query(tables, "SELECT count(*), sum(amount) FROM sales", LIMITS)
    assert [(n, float(total)) for n, total in result.rows] == [(500, 187_125.0)]


@pytest.mark.parametrize(
    "create",
    [
        "CREATE MACRO leak(a) AS a + 1",
        "CREATE TABLE leak AS SELECT 1 AS a",
        "CREATE VIEW leak AS SELECT 1 AS a",
    ],
)
def test_nothing_created_in_one_sandbox_persists_into_the_next(world, create):
    tables = [TableSource("sales", world["dataset"])]
    con = open_sandbox(tables, LIMITS)
    try:
        con.execute(create)  # harmless inside its own in-memory database
    finally:
        con.close()
    with pytest.raises(QueryError, match="leak"):
        run_query(
            tables, "SELECT * FROM leak" if "MACRO" not in create else "SELECT leak(1)", LIMITS
        )


def test_run_query_refuses_to_create_anything_at_all(world):
    tables = [TableSource("sales", world["dataset"])]
    with pytest.raises(QueryError, match="DuckDB reads this SQL as CREATE"):
        run_query(tables, "CREATE MACRO leak(a) AS a + 1", LIMITS)


def test_a_hostile_count_sql_is_held_to_one_select_too(world):
    tables = [TableSource("sales", world["dataset"])]
    hostile_count = f"SELECT 1) AS x; COPY (SELECT 1) TO '{world['outside']}/c.csv'; SELECT (1"
    before = _snapshot(world["root"])
    with pytest.raises(QueryError, match="one query"):
        run_query(tables, "SELECT * FROM sales", LIMITS, count_sql=hostile_count)
    assert _snapshot(world["root"]) == before
