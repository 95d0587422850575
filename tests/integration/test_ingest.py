"""Uploads into chats on real PostgreSQL and DuckDB: rows, metadata, atomicity, the sweep."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sqlalchemy import func, select

import core.ingest as ingest
from core.chats import create_chat
from core.datasets import list_datasets
from core.errors import IngestError, NotFoundError
from core.ingest import build_lock, cleanup_orphans, ingest_file
from core.models import ColumnMetadata, Dataset

ROOT = Path(__file__).parents[2]
SALES = ROOT / "sample_data" / "sales.csv"


@pytest.fixture
def chat_id(db, user_id):
    chat = create_chat(db, user_id)
    db.commit()
    return chat.id


def _csv(tmp_path, text: str, name: str = "upload.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _files(settings) -> list[str]:
    return sorted(os.listdir(settings.datasets_dir))


def _row_counts(db) -> tuple[int, int]:
    return (
        db.scalar(select(func.count()).select_from(Dataset)),
        db.scalar(select(func.count()).select_from(ColumnMetadata)),
    )


def test_upload_becomes_one_file_one_row_and_metadata_per_column(db, settings, user_id, chat_id):
    summary = ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    assert (summary.table_name, summary.row_count, summary.column_count) == ("sales", 5000, 10)
    assert _files(settings) == [f"{summary.id}.duckdb"]
    row = db.get(Dataset, summary.id)
    assert Path(row.storage_path) == (settings.datasets_dir / f"{summary.id}.duckdb").resolve()
    assert row.size_bytes == Path(row.storage_path).stat().st_size
    with duckdb.connect(row.storage_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM data").fetchone() == (5000,)
    positions = db.scalars(
        select(ColumnMetadata.position)
        .where(ColumnMetadata.dataset_id == summary.id)
        .order_by(ColumnMetadata.position)
    ).all()
    assert positions == list(range(10))


def test_same_file_twice_in_a_chat_gets_a_second_table_name(db, settings, user_id, chat_id):
    first = ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    second = ingest_file(db, settings, user_id, chat_id, SALES, "Sales.csv")
    assert (first.table_name, second.table_name) == ("sales", "sales_2")


def test_table_names_are_unique_per_chat_not_per_user(db, settings, user_id, chat_id):
    other_chat = create_chat(db, user_id).id
    ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    assert ingest_file(db, settings, user_id, other_chat, SALES, "sales.csv").table_name == "sales"


def test_profile_matches_an_independent_pandas_computation(
    db, settings, user_id, chat_id, tmp_path
):
    text = (
        "city,amount,qty,day,note\n"
        "Oslo,10.5,1,2024-01-03,\n"
        "Bergen,,2,2024-02-10,x\n"
        "Oslo,7.25,,2024-01-01,y\n"
        "Tromsø,100,4,,x\n"
        "Oslo,-3,5,2024-03-31,\n"
        ",0,6,2024-02-29,z\n"
    )
    path = _csv(tmp_path, text)
    summary = ingest_file(db, settings, user_id, chat_id, path, "cities.csv")
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    columns = {
        c.column_name: c
        for c in db.scalars(select(ColumnMetadata).where(ColumnMetadata.dataset_id == summary.id))
    }
    for name in frame.columns:
        series = frame[name]
        meta = columns[name]
        assert meta.null_count == int(series.isna().sum()), name
        assert meta.distinct_count == series.nunique(), name
    assert float(columns["amount"].min) == frame["amount"].min()
    assert float(columns["amount"].max) == frame["amount"].max()
    assert math.isclose(columns["amount"].mean, frame["amount"].mean())
    assert math.isclose(columns["qty"].mean, frame["qty"].mean())
    assert (columns["day"].min, columns["day"].max) == ("2024-01-01", "2024-03-31")
    expected_top = frame["city"].value_counts()
    assert columns["city"].top_values[0] == ["Oslo", int(expected_top["Oslo"])]
    assert {v for v, _ in columns["city"].top_values} == set(expected_top.index)
    assert columns["note"].sample_values == ["x", "y", "z"]
    assert columns["city"].original_name == "city" and columns["amount"].data_type == "DOUBLE"


def test_upload_over_the_size_limit_is_refused_before_reading(
    db, settings, user_id, chat_id, tmp_path
):
    small = type(settings)(**{**settings.__dict__, "max_upload_mb": 1})
    path = _csv(tmp_path, "a,b\n" + "1234567,abcdefgh\n" * 80_000)
    with pytest.raises(IngestError, match="over the 1 MB upload limit"):
        ingest_file(db, small, user_id, chat_id, path, "big.csv")
    assert _files(settings) == [] and _row_counts(db) == (0, 0)


def test_upload_into_someone_elses_chat_is_not_found(db, settings, other_user_id, chat_id):
    with pytest.raises(NotFoundError):
        ingest_file(db, settings, other_user_id, chat_id, SALES, "sales.csv")
    assert _files(settings) == [] and _row_counts(db) == (0, 0)


def test_refused_upload_leaves_no_file_and_no_row(db, settings, user_id, chat_id, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    with pytest.raises(IngestError, match="PNG image"):
        ingest_file(db, settings, user_id, chat_id, path, "photo.csv")
    assert _files(settings) == [] and _row_counts(db) == (0, 0)


def test_failure_between_file_and_commit_leaves_no_file_and_no_row(
    db, settings, user_id, chat_id, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("metadata could not be written")

    monkeypatch.setattr(ingest, "_metadata_rows", broken)
    with pytest.raises(RuntimeError):
        ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    assert _files(settings) == [] and _row_counts(db) == (0, 0)


def test_failing_commit_leaves_no_file_and_no_row(db, settings, user_id, chat_id, monkeypatch):
    def refuse_commit():
        raise ConnectionError("the database went away")

    monkeypatch.setattr(db, "commit", refuse_commit)
    with pytest.raises(ConnectionError):
        ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    monkeypatch.undo()
    assert _files(settings) == [] and _row_counts(db) == (0, 0)


def test_ragged_upload_can_be_retried_skipping_bad_rows(db, settings, user_id, chat_id, tmp_path):
    path = _csv(tmp_path, "a,b\n1,2\n3,4,5\n6,7\n")
    with pytest.raises(ingest.RaggedRowsError):
        ingest_file(db, settings, user_id, chat_id, path, "r.csv")
    summary = ingest_file(db, settings, user_id, chat_id, path, "r.csv", bad_rows="skip")
    assert summary.row_count == 2


def test_progress_reaches_done_through_ingest(db, settings, user_id, chat_id):
    seen = []
    ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv", on_progress=seen.append)
    assert seen[-1].stage == "done" and seen[-1].rows == 5000


# --- start-up sweep ---------------------------------------------------------------------------

KILLED_BUILD = textwrap.dedent(
    """
    import os, signal, sys, uuid
    from pathlib import Path
    from core.build import build_dataset_file
    from core.ingest import build_lock

    folder, source, when = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    dataset_id = uuid.UUID(sys.argv[4])
    dest = folder / f"{dataset_id}.duckdb"

    def die(update):
        if update.stage == when:
            os.kill(os.getpid(), signal.SIGKILL)

    with build_lock(folder, dataset_id):
        build_dataset_file(source, dest, original_filename="x.csv", on_progress=die)
    """
)


def _killed_build(settings, tmp_path, when: str) -> uuid.UUID:
    """Runs a build in a child process that is killed with SIGKILL at stage ``when``."""
    dataset_id = uuid.uuid4()
    source = _csv(tmp_path, "a,b\n" + "".join(f"{i},{i}\n" for i in range(20_000)))
    child = subprocess.run(
        [sys.executable, "-c", KILLED_BUILD, str(settings.datasets_dir), str(source), when]
        + [str(dataset_id)],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    return dataset_id


@pytest.mark.parametrize("when", ["writing", "profiling", "done"])
def test_cleanup_removes_what_a_killed_ingest_left(db, settings, user_id, chat_id, tmp_path, when):
    kept = ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    dead = _killed_build(settings, tmp_path, when)
    assert any(name.startswith(str(dead)) for name in _files(settings))
    assert cleanup_orphans(db, settings) >= 1
    assert _files(settings) == [f"{kept.id}.duckdb"]
    assert [d.id for d in list_datasets(db, user_id, chat_id)] == [kept.id]


def test_cleanup_leaves_a_build_that_is_still_running_alone(db, settings):
    running = uuid.uuid4()
    with build_lock(settings.datasets_dir, running):
        tmp = settings.datasets_dir / f"{running}.duckdb.tmp"
        tmp.write_bytes(b"half a table")
        assert cleanup_orphans(db, settings) == 0
        assert tmp.exists()
    assert cleanup_orphans(db, settings) == 1
    assert _files(settings) == []


def test_cleanup_removes_rows_whose_file_is_gone(db, settings, user_id, chat_id):
    lost = ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    kept = ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    (settings.datasets_dir / f"{lost.id}.duckdb").unlink()
    assert cleanup_orphans(db, settings) == 1
    assert [d.id for d in list_datasets(db, user_id, chat_id)] == [kept.id]
    assert _row_counts(db) == (1, 10)


def test_cleanup_keeps_rows_when_every_file_is_missing(db, settings, user_id, chat_id):
    """Storage that is not mounted looks like this; deleting all rows would be the wrong fix."""
    for _ in range(2):
        ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    for name in _files(settings):
        (settings.datasets_dir / name).unlink()
    assert cleanup_orphans(db, settings) == 0
    assert _row_counts(db)[0] == 2


def test_cleanup_ignores_files_that_are_not_datasets(db, settings):
    (settings.datasets_dir / "README.txt").write_text("kept")
    assert cleanup_orphans(db, settings) == 0
    assert _files(settings) == ["README.txt"]


def test_table_name_taken_by_a_concurrent_upload_is_retried_with_the_next_one(
    db, settings, user_id, chat_id, monkeypatch
):
    ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    real, calls = ingest._table_names, []

    def stale_once(session, chat):
        calls.append(chat)
        return set() if len(calls) == 1 else real(session, chat)

    monkeypatch.setattr(ingest, "_table_names", stale_once)
    second = ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    assert second.table_name == "sales_2" and len(calls) == 2
    assert len(_files(settings)) == 2 and _row_counts(db) == (2, 20)


def test_cleanup_rechecks_under_the_lock_before_removing_a_dataset_file(
    db, settings, user_id, chat_id, monkeypatch
):
    """A build that committed after the sweep listed the rows must keep its file."""
    kept = ingest_file(db, settings, user_id, chat_id, SALES, "sales.csv")
    monkeypatch.setattr(ingest, "_dataset_ids", lambda session: set())
    assert cleanup_orphans(db, settings) == 0
    assert _files(settings) == [f"{kept.id}.duckdb"]
