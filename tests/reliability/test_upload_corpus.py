"""Awkward uploads: each becomes a correct dataset or a refusal a user can act on.

The files come from ``tests/reliability/corpus.py``; each states its expected table (names,
values, row count) independently of the ingest. Every upload goes through the same path as
the Data page (``core.uploads.ingest_upload``: spool, then ingest), a dataset is read back
through the question sandbox (``core.warehouse.run_query`` over ``chat_tables``), and after
every case nothing half-made may remain in DATA_DIR or the database.
"""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.chats import create_chat
from core.config import Settings
from core.datasets import DatasetSummary, chat_tables
from core.errors import IngestError
from core.models import Dataset
from core.uploads import can_skip_bad_rows, ingest_upload
from core.warehouse import QueryLimits, QueryResult, TableSource, run_query
from tests.reliability.corpus import (
    RAGGED_KEPT,
    Accepted,
    Case,
    corpus,
    half_made,
    message_problems,
    mismatches,
    ragged_csv,
)

CASES = corpus()
LIMITS = QueryLimits(timeout_s=60, memory_limit="1GB", threads=2, row_limit=100_000)


@pytest.fixture
def chat_id(db: Session, user_id: uuid.UUID) -> uuid.UUID:
    return create_chat(db, user_id).id


def upload(
    db: Session,
    settings: Settings,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    case: Case,
    folder: Path,
    **options,
) -> DatasetSummary:
    """Writes the case's file outside DATA_DIR and uploads it as the Data page does."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{case.id}.bin"
    case.write(source)
    with source.open("rb") as handle:
        return ingest_upload(db, settings, user_id, chat_id, handle, case.filename, **options)


def query(table: TableSource, sql: str) -> QueryResult:
    return run_query([table], sql.format(t=f'"{table.name}"'), LIMITS)


def check_dataset(
    db: Session, user_id: uuid.UUID, chat_id: uuid.UUID, summary: DatasetSummary, want: Accepted
) -> None:
    assert summary.row_count == want.expected_rows
    assert summary.column_count == len(want.columns)
    if want.table is not None:
        assert summary.table_name == want.table
    [info] = chat_tables(db, user_id, chat_id)
    assert info.name == summary.table_name
    assert tuple(c.name for c in info.columns) == want.columns
    if want.original_names is not None:
        assert tuple(c.original_name for c in info.columns) == want.original_names
    for name, nulls in want.null_counts.items():
        assert info.column(name).null_count == nulls, name
    table = TableSource(info.name, info.path)
    result = query(table, "SELECT * FROM {t}")
    assert tuple(result.columns) == want.columns
    assert result.total_count == want.expected_rows
    if want.rows is not None:
        assert mismatches(result.rows, want.rows) == []
    for sql, rows in want.checks:
        assert mismatches(query(table, sql).rows, rows) == [], sql


def check_refusal(db: Session, settings: Settings, tmp_path: Path, case: Case, error) -> None:
    refused = case.refused()
    assert refused is not None, f"refused, but this file should load: {error.message}"
    assert message_problems(error.message, settings.data_dir, tmp_path) == []
    for pattern in refused.mentions:
        assert re.search(pattern, error.message, re.IGNORECASE), (pattern, error.message)
    assert db.scalar(select(func.count()).select_from(Dataset)) == 0


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_awkward_upload_becomes_a_correct_dataset_or_a_clear_refusal(
    db: Session,
    settings: Settings,
    user_id: uuid.UUID,
    chat_id: uuid.UUID,
    tmp_path: Path,
    case: Case,
) -> None:
    try:
        summary = upload(db, settings, user_id, chat_id, case, tmp_path / "in")
    except IngestError as error:
        check_refusal(db, settings, tmp_path, case, error)
    else:
        want = case.accepted()
        assert want is not None, f"loaded {summary.row_count} rows, but should be refused"
        check_dataset(db, user_id, chat_id, summary, want)
    assert half_made(db, settings) == []


def test_corpus_has_at_least_forty_distinct_files() -> None:
    assert len({case.id for case in CASES}) == len(CASES) >= 40


RAGGED = next(case for case in CASES if case.id == "ragged_rows")


def test_ragged_rows_are_refused_with_an_offer_to_skip_them(
    db: Session, settings: Settings, user_id: uuid.UUID, chat_id: uuid.UUID, tmp_path: Path
) -> None:
    with pytest.raises(IngestError) as caught:
        upload(db, settings, user_id, chat_id, RAGGED, tmp_path / "in")
    assert can_skip_bad_rows(caught.value)
    assert "skip" in caught.value.message.lower()
    assert half_made(db, settings) == []


def test_ragged_rows_skipped_on_request_leave_the_good_rows(
    db: Session, settings: Settings, user_id: uuid.UUID, chat_id: uuid.UUID, tmp_path: Path
) -> None:
    summary = upload(db, settings, user_id, chat_id, RAGGED, tmp_path / "in", bad_rows="skip")
    want = Accepted(("id", "name", "score"), RAGGED_KEPT)
    check_dataset(db, user_id, chat_id, summary, want)
    assert half_made(db, settings) == []


def test_two_uploads_of_one_name_get_distinct_tables_and_both_answer(
    db: Session, settings: Settings, user_id: uuid.UUID, chat_id: uuid.UUID, tmp_path: Path
) -> None:
    first = upload(db, settings, user_id, chat_id, RAGGED, tmp_path / "a", bad_rows="skip")
    second = upload(db, settings, user_id, chat_id, RAGGED, tmp_path / "b", bad_rows="skip")
    assert (first.table_name, second.table_name) == ("ragged", "ragged_2")
    tables = [TableSource(t.name, t.path) for t in chat_tables(db, user_id, chat_id)]
    result = run_query(
        tables, "SELECT (SELECT count(*) FROM ragged) + (SELECT count(*) FROM ragged_2)", LIMITS
    )
    assert result.rows == [(2 * len(RAGGED_KEPT),)]
    assert half_made(db, settings) == []


def test_upload_over_the_size_limit_is_refused_before_anything_is_built(
    db: Session, settings: Settings, user_id: uuid.UUID, chat_id: uuid.UUID
) -> None:
    from dataclasses import replace

    small = replace(settings, max_upload_mb=1)
    body = ragged_csv() * ((1 << 20) // len(ragged_csv()) + 2)
    with pytest.raises(IngestError) as caught:
        ingest_upload(db, small, user_id, chat_id, io.BytesIO(body), "big.csv")
    assert "MAX_UPLOAD_MB" in caught.value.message
    assert message_problems(caught.value.message, settings.data_dir) == []
    assert half_made(db, settings) == []
