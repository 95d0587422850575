"""A chat's datasets on real PostgreSQL and DuckDB: list, profile, preview, rename, export,
delete, the ask pipeline's tables, and ownership of every function that takes an id."""

from __future__ import annotations

import inspect
import os
import uuid
from pathlib import Path

import duckdb
import pytest

import core.datasets as datasets
import core.ingest as ingest
from core.chats import create_chat
from core.errors import NotFoundError, ValidationError
from core.ingest import ingest_file

SALES = Path(__file__).parents[2] / "sample_data" / "sales.csv"
CUSTOMERS = Path(__file__).parents[2] / "sample_data" / "customers.csv"


@pytest.fixture
def chat_id(db, user_id):
    chat = create_chat(db, user_id, "Alice's")
    db.commit()
    return chat.id


@pytest.fixture
def sales(db, settings, user_id, chat_id):
    return ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")


def test_list_shows_the_chats_tables_in_upload_order(db, settings, user_id, chat_id, sales):
    customers = ingest_file(db, settings, user_id, chat_id, CUSTOMERS, "customers.csv")
    listed = datasets.list_datasets(db, user_id, chat_id)
    assert [(d.id, d.table_name, d.column_count) for d in listed] == [
        (sales.id, "sales", 10),
        (customers.id, "customers", 5),
    ]
    assert listed[0] == datasets.get_dataset(db, user_id, sales.id)


def test_profile_is_the_stored_metadata_in_column_order(db, user_id, sales):
    profile = datasets.dataset_profile(db, user_id, sales.id)
    assert [c.name for c in profile][:3] == ["order_id", "order_date", "region"]
    region = profile[2]
    assert region.distinct_count == 4 and sum(n for _, n in region.top_values) == 5000
    assert {v for v, _ in region.top_values} == {"North", "South", "East", "West"}
    order_id = profile[0]
    assert (order_id.min, order_id.max) == (100001, 105000)
    assert isinstance(profile[8].min, float) and profile[1].min.startswith("2023-01")


def test_chat_tables_carry_file_path_and_profile_for_the_ask_pipeline(db, user_id, chat_id, sales):
    [table] = datasets.chat_tables(db, user_id, chat_id)
    assert (table.name, table.row_count, table.original_filename) == ("sales", 5000, "sales.csv")
    assert table.path.is_file() and table.path.name == f"{sales.id}.duckdb"
    assert table.column("revenue").kind == "number"
    assert tuple(table.columns) == tuple(datasets.dataset_profile(db, user_id, sales.id))


def test_preview_shows_the_first_rows_in_file_order(db, settings, user_id, sales):
    preview = datasets.preview_dataset(db, settings, user_id, sales.id, limit=3)
    assert preview.columns[:2] == ["order_id", "order_date"]
    assert [row[0] for row in preview.rows] == [100001, 100002, 100003]


def test_preview_cuts_huge_cells_and_caps_the_row_count(db, settings, user_id, chat_id, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("id,blob\n" + "".join(f'{i},"{"y" * 5000}"\n' for i in range(1500)))
    summary = ingest_file(db, settings, user_id, chat_id, path, "big.csv")
    preview = datasets.preview_dataset(db, settings, user_id, summary.id, limit=10**6)
    assert len(preview.rows) == datasets.PREVIEW_MAX_ROWS
    assert len(preview.rows[0][1]) == datasets.PREVIEW_TEXT_LIMIT + 1


def test_rename_changes_only_the_name_questions_use(db, settings, user_id, chat_id, sales):
    renamed = datasets.rename_dataset(db, user_id, sales.id, "  Orders_2024 ")
    db.commit()
    assert renamed.table_name == "orders_2024"
    [table] = datasets.chat_tables(db, user_id, chat_id)
    assert table.name == "orders_2024" and table.path.name == f"{sales.id}.duckdb"


def test_rename_to_a_name_taken_in_the_chat_is_refused(db, settings, user_id, chat_id, sales):
    other = ingest_file(db, settings, user_id, chat_id, CUSTOMERS, "customers.csv")
    with pytest.raises(ValidationError, match="already has a table called 'sales'"):
        datasets.rename_dataset(db, user_id, other.id, "Sales")
    assert datasets.get_dataset(db, user_id, other.id).table_name == "customers"


def test_rename_to_the_same_name_in_another_chat_is_fine(db, settings, user_id, sales):
    elsewhere = create_chat(db, user_id).id
    other = ingest_file(db, settings, user_id, elsewhere, CUSTOMERS, "customers.csv")
    assert datasets.rename_dataset(db, user_id, other.id, "sales").table_name == "sales"


@pytest.mark.parametrize("bad", ["", "two words", "select", "1st", "x" * 64])
def test_rename_to_an_invalid_name_is_refused(db, user_id, sales, bad):
    with pytest.raises(ValidationError):
        datasets.rename_dataset(db, user_id, sales.id, bad)


def test_delete_removes_the_row_metadata_and_file(db, settings, user_id, chat_id, sales):
    path = settings.datasets_dir / f"{sales.id}.duckdb"
    datasets.delete_dataset(db, settings, user_id, sales.id)
    assert not path.exists()
    assert datasets.list_datasets(db, user_id, chat_id) == []
    with pytest.raises(NotFoundError):
        datasets.dataset_profile(db, user_id, sales.id)


def test_delete_chat_files_removes_every_dataset_of_that_chat_only(
    db, settings, user_id, chat_id, sales
):
    elsewhere = create_chat(db, user_id).id
    kept = ingest_file(db, settings, user_id, elsewhere, CUSTOMERS, "customers.csv")
    ingest_file(db, settings, user_id, chat_id, CUSTOMERS, "customers.csv")
    datasets.delete_chat_files(db, settings, user_id, chat_id)
    assert os.listdir(settings.datasets_dir) == [f"{kept.id}.duckdb"]
    assert datasets.list_datasets(db, user_id, chat_id) == []
    assert [d.id for d in datasets.list_datasets(db, user_id, elsewhere)] == [kept.id]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_round_trips_every_row_and_value(db, settings, user_id, sales, tmp_path, fmt):
    folder = tmp_path / "export"
    folder.mkdir()
    path = datasets.export_dataset(db, settings, user_id, sales.id, fmt, folder)
    assert path == folder / f"sales.{fmt}"
    assert os.listdir(folder) == [f"sales.{fmt}"]
    reader = "read_csv" if fmt == "csv" else "read_parquet"
    con = duckdb.connect()
    con.execute(f"ATTACH '{settings.datasets_dir / f'{sales.id}.duckdb'}' AS ds (READ_ONLY)")
    differences = con.execute(
        f"SELECT count(*) FROM (SELECT * FROM ds.data EXCEPT ALL SELECT * FROM {reader}('{path}')"
        f" UNION ALL SELECT * FROM {reader}('{path}') EXCEPT ALL SELECT * FROM ds.data)"
    ).fetchone()
    assert differences == (0,)
    assert con.execute(f"SELECT count(*) FROM {reader}('{path}')").fetchone() == (5000,)


def test_export_in_an_unknown_format_is_refused(db, settings, user_id, sales, tmp_path):
    with pytest.raises(ValidationError):
        datasets.export_dataset(db, settings, user_id, sales.id, "xlsx", tmp_path)


def test_missing_file_is_reported_clearly(db, settings, user_id, sales):
    (settings.datasets_dir / f"{sales.id}.duckdb").unlink()
    with pytest.raises(NotFoundError, match="file of this table is missing"):
        datasets.preview_dataset(db, settings, user_id, sales.id)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", str(uuid.uuid4())])
def test_unknown_or_malformed_dataset_ids_are_not_found(db, user_id, bad_id):
    with pytest.raises(NotFoundError):
        datasets.get_dataset(db, user_id, bad_id)


def _calls(chat_id, dataset_id, settings, tmp_path):
    """One call per public function that takes an id, made as the given user."""
    return {
        "list_datasets": lambda db, uid: datasets.list_datasets(db, uid, chat_id),
        "get_dataset": lambda db, uid: datasets.get_dataset(db, uid, dataset_id),
        "owned_dataset": lambda db, uid: datasets.owned_dataset(db, uid, dataset_id),
        "dataset_profile": lambda db, uid: datasets.dataset_profile(db, uid, dataset_id),
        "chat_tables": lambda db, uid: datasets.chat_tables(db, uid, chat_id),
        "preview_dataset": lambda db, uid: datasets.preview_dataset(db, settings, uid, dataset_id),
        "rename_dataset": lambda db, uid: datasets.rename_dataset(db, uid, dataset_id, "mine"),
        "delete_dataset": lambda db, uid: datasets.delete_dataset(db, settings, uid, dataset_id),
        "delete_chat_files": lambda db, uid: datasets.delete_chat_files(db, settings, uid, chat_id),
        "export_dataset": lambda db, uid: datasets.export_dataset(
            db, settings, uid, dataset_id, "csv", tmp_path
        ),
        "ingest_file": lambda db, uid: ingest.ingest_file(
            db, settings, uid, chat_id, SALES, "sales.csv"
        ),
    }


def _public_functions_taking_an_id() -> set[str]:
    found = set()
    for module in (datasets, ingest):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            params = set(inspect.signature(fn).parameters)
            if (
                fn.__module__ == module.__name__
                and not name.startswith("_")
                and "session" in params
                and {"chat_id", "dataset_id"} & params
            ):
                found.add(name)
    return found


def test_every_function_taking_an_id_refuses_another_users_objects(
    db, settings, user_id, other_user_id, chat_id, sales, tmp_path
):
    folder = tmp_path / "export"
    folder.mkdir()
    calls = _calls(chat_id, sales.id, settings, folder)
    assert _public_functions_taking_an_id() == set(calls), "a new function takes an id: add it"
    for name, call in calls.items():
        with pytest.raises(NotFoundError, match="not yours"):
            call(db, other_user_id)
        db.rollback()
        assert name
    assert os.listdir(folder) == []
    assert datasets.get_dataset(db, user_id, sales.id).table_name == "sales"
    assert os.listdir(settings.datasets_dir) == [f"{sales.id}.duckdb"]
