"""A chat's datasets: list, profile, preview, rename, export, delete, and the tables to ask.

Every function takes the acting user and checks ownership; another user's dataset is
reported exactly like a missing one. Dataset files are only ever opened read-only here.
Deleting commits before the file goes, so no committed row ever names a missing file.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.catalog import ColumnInfo, TableInfo
from core.chats import owned_chat
from core.config import Settings
from core.errors import NotFoundError, ValidationError
from core.ids import parse_id
from core.log import event
from core.models import ColumnMetadata, Dataset
from core.naming import validate_table_name
from core.profile import from_text

log = logging.getLogger(__name__)

ExportFormat = Literal["csv", "parquet"]
PREVIEW_MAX_ROWS = 1000
PREVIEW_TEXT_LIMIT = 1000  # characters of one cell shown in a preview


@dataclass(frozen=True)
class DatasetSummary:
    id: uuid.UUID
    chat_id: uuid.UUID
    table_name: str
    original_filename: str
    row_count: int
    size_bytes: int
    created_at: datetime
    column_count: int


@dataclass(frozen=True)
class Preview:
    columns: list[str]
    rows: list[tuple]


def dataset_path(settings: Settings, dataset_id: uuid.UUID) -> Path:
    return settings.datasets_dir / f"{dataset_id}.duckdb"


def owned_dataset(session: Session, user_id: uuid.UUID, dataset_id: uuid.UUID | str) -> Dataset:
    """The ORM row of one of the user's datasets, for other core modules."""
    did = parse_id(dataset_id)
    dataset = session.get(Dataset, did) if did else None
    if dataset is None or dataset.user_id != user_id:
        raise NotFoundError("That table does not exist or is not yours.")
    return dataset


def _column_counts(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(ColumnMetadata.dataset_id, func.count())
        .where(ColumnMetadata.dataset_id.in_(ids))
        .group_by(ColumnMetadata.dataset_id)
    )
    return {dataset_id: count for dataset_id, count in rows}


def _summary(dataset: Dataset, column_count: int) -> DatasetSummary:
    return DatasetSummary(
        dataset.id,
        dataset.chat_id,
        dataset.table_name,
        dataset.original_filename,
        dataset.row_count,
        dataset.size_bytes,
        dataset.created_at,
        column_count,
    )


def _chat_datasets(session: Session, chat_id: uuid.UUID) -> list[Dataset]:
    query = select(Dataset).where(Dataset.chat_id == chat_id)
    return list(session.scalars(query.order_by(Dataset.created_at, Dataset.table_name)))


def list_datasets(
    session: Session, user_id: uuid.UUID, chat_id: uuid.UUID | str
) -> list[DatasetSummary]:
    """Oldest first, the order they were added in."""
    chat = owned_chat(session, user_id, chat_id)
    found = _chat_datasets(session, chat.id)
    counts = _column_counts(session, [d.id for d in found])
    return [_summary(d, counts.get(d.id, 0)) for d in found]


def get_dataset(
    session: Session, user_id: uuid.UUID, dataset_id: uuid.UUID | str
) -> DatasetSummary:
    dataset = owned_dataset(session, user_id, dataset_id)
    return _summary(dataset, _column_counts(session, [dataset.id]).get(dataset.id, 0))


def _column_info(row: ColumnMetadata) -> ColumnInfo:
    return ColumnInfo(
        name=row.column_name,
        original_name=row.original_name,
        data_type=row.data_type,
        null_count=row.null_count,
        distinct_count=row.distinct_count,
        min=from_text(row.min, row.data_type),
        max=from_text(row.max, row.data_type),
        mean=row.mean,
        sample_values=tuple(row.sample_values or ()),
        top_values=tuple((value, int(count)) for value, count in row.top_values or ()),
    )


def _profiles(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ColumnInfo]]:
    found: dict[uuid.UUID, list[ColumnInfo]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.scalars(
        select(ColumnMetadata)
        .where(ColumnMetadata.dataset_id.in_(ids))
        .order_by(ColumnMetadata.dataset_id, ColumnMetadata.position)
    )
    for row in rows:
        found[row.dataset_id].append(_column_info(row))
    return found


def dataset_profile(
    session: Session, user_id: uuid.UUID, dataset_id: uuid.UUID | str
) -> list[ColumnInfo]:
    dataset = owned_dataset(session, user_id, dataset_id)
    return _profiles(session, [dataset.id])[dataset.id]


def chat_tables(session: Session, user_id: uuid.UUID, chat_id: uuid.UUID | str) -> list[TableInfo]:
    """What the ask pipeline needs: each table's SQL name, file and column profile."""
    chat = owned_chat(session, user_id, chat_id)
    found = _chat_datasets(session, chat.id)
    profiles = _profiles(session, [d.id for d in found])
    return [
        TableInfo(
            name=d.table_name,
            row_count=d.row_count,
            columns=tuple(profiles[d.id]),
            original_filename=d.original_filename,
            path=Path(d.storage_path),
        )
        for d in found
    ]


def _read_only(path: Path, settings: Settings) -> duckdb.DuckDBPyConnection:
    if not path.is_file():
        raise NotFoundError("The file of this table is missing; delete the table and upload again.")
    return duckdb.connect(
        str(path),
        read_only=True,
        config={"memory_limit": settings.query_memory_limit, "autoinstall_known_extensions": False},
    )


def _shown(value: Any) -> Any:
    """Long text is cut for display; other values stay as they are."""
    if isinstance(value, str) and len(value) > PREVIEW_TEXT_LIMIT:
        return value[:PREVIEW_TEXT_LIMIT] + "…"
    return value


def preview_dataset(
    session: Session,
    settings: Settings,
    user_id: uuid.UUID,
    dataset_id: uuid.UUID | str,
    limit: int = 100,
) -> Preview:
    """The first rows, in file order; cells longer than 1,000 characters are cut."""
    dataset = owned_dataset(session, user_id, dataset_id)
    limit = max(0, min(int(limit), PREVIEW_MAX_ROWS))
    with _read_only(Path(dataset.storage_path), settings) as con:
        result = con.execute(f"SELECT * FROM data LIMIT {limit}")
        columns = [d[0] for d in result.description]
        rows = [tuple(_shown(v) for v in row) for row in result.fetchall()]
    return Preview(columns, rows)


def rename_dataset(
    session: Session, user_id: uuid.UUID, dataset_id: uuid.UUID | str, new_table_name: str
) -> DatasetSummary:
    """Only the row changes: questions see the table under its new name at once."""
    dataset = owned_dataset(session, user_id, dataset_id)
    name = validate_table_name(new_table_name)
    if name == dataset.table_name:
        return get_dataset(session, user_id, dataset.id)
    clash = session.scalar(
        select(Dataset.id).where(Dataset.chat_id == dataset.chat_id, Dataset.table_name == name)
    )
    if clash is not None:
        raise ValidationError(f"This chat already has a table called '{name}'. Pick another name.")
    dataset.table_name = name
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ValidationError(
            f"This chat already has a table called '{name}'. Pick another name."
        ) from None
    event(log, "dataset.renamed", user=user_id, dataset=dataset.id)
    return get_dataset(session, user_id, dataset.id)


def _unlink(path: Path) -> None:
    """Best effort: a file that cannot go now is swept by the start-up cleanup."""
    for leftover in (path, Path(str(path) + ".wal")):
        try:
            leftover.unlink(missing_ok=True)
        except OSError as error:
            log.warning("event=dataset.file_remove_failed error=%s", type(error).__name__)


def delete_dataset(
    session: Session, settings: Settings, user_id: uuid.UUID, dataset_id: uuid.UUID | str
) -> None:
    """Commits the removal of the row (metadata goes with it), then removes the file."""
    dataset = owned_dataset(session, user_id, dataset_id)
    path = Path(dataset.storage_path)
    session.execute(delete(Dataset).where(Dataset.id == dataset.id))
    session.expunge(dataset)
    session.commit()
    _unlink(path)
    event(log, "dataset.deleted", user=user_id, dataset=dataset.id)


def delete_chat_files(
    session: Session, settings: Settings, user_id: uuid.UUID, chat_id: uuid.UUID | str
) -> None:
    """Before a chat is deleted: commits the removal of its dataset rows, then the files."""
    chat = owned_chat(session, user_id, chat_id)
    paths = [Path(d.storage_path) for d in _chat_datasets(session, chat.id)]
    session.execute(delete(Dataset).where(Dataset.chat_id == chat.id))
    session.commit()
    for path in paths:
        _unlink(path)
    event(log, "dataset.chat_files_deleted", user=user_id, chat=chat.id, files=len(paths))


def export_dataset(
    session: Session,
    settings: Settings,
    user_id: uuid.UUID,
    dataset_id: uuid.UUID | str,
    fmt: ExportFormat,
    dest_dir: Path,
) -> Path:
    """``<table_name>.csv`` or ``.parquet`` in ``dest_dir``, written by DuckDB's COPY."""
    if fmt not in ("csv", "parquet"):
        raise ValidationError("Export as 'csv' or 'parquet'.")
    dataset = owned_dataset(session, user_id, dataset_id)
    dest = Path(dest_dir) / f"{dataset.table_name}.{fmt}"
    partial = dest.with_name(dest.name + ".tmp")
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
    path_literal = "'" + str(partial).replace("'", "''") + "'"
    try:
        with _read_only(Path(dataset.storage_path), settings) as con:
            con.execute(f"COPY data TO {path_literal} ({options})")
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    event(log, "dataset.exported", user=user_id, dataset=dataset.id, format=fmt)
    return dest
