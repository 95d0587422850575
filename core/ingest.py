"""Uploads into a chat: checks, the dataset file, its row and metadata, and the start-up sweep.

The file is built by ``core.build`` as ``<uuid>.duckdb.tmp`` and renamed into place; the
``datasets`` row and its ``column_metadata`` rows are then committed in ONE transaction, and
any failure removes the file, so a dataset is either whole or absent. A process killed on the
way leaves files that ``cleanup_orphans`` removes at the next start; a lock held for the
whole build keeps that sweep away from a build still running in another process (several
replicas can share ``DATA_DIR``).
"""

from __future__ import annotations

import fcntl
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.build import BuiltDataset, IngestProgress, ProgressSink, build_dataset_file, remove_paths
from core.catalog import ColumnInfo
from core.chats import owned_chat
from core.config import Settings
from core.datasets import DatasetSummary, get_dataset
from core.errors import IngestError
from core.loaders import BadRows, RaggedRowsError
from core.log import event
from core.models import Chat, ColumnMetadata, Dataset
from core.naming import table_name_for
from core.profile import jsonable

__all__ = [
    "BadRows",
    "BuiltDataset",
    "IngestProgress",
    "RaggedRowsError",
    "build_dataset_file",
    "cleanup_orphans",
    "ingest_file",
]

log = logging.getLogger(__name__)

NAME_ATTEMPTS = 5  # two uploads into one chat at once may pick the same table name


@contextmanager
def build_lock(datasets_dir: Path, dataset_id: uuid.UUID) -> Iterator[None]:
    """Held while a dataset is built and committed; the kernel drops it if we are killed."""
    path = datasets_dir / f"{dataset_id}.lock"
    handle = path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        path.unlink(missing_ok=True)
        handle.close()


@contextmanager
def _unless_building(datasets_dir: Path, dataset_id: uuid.UUID) -> Iterator[bool]:
    """True (and the lock held) when no live process is building this dataset."""
    path = datasets_dir / f"{dataset_id}.lock"
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        yield False
        return
    try:
        yield True
    finally:
        path.unlink(missing_ok=True)
        handle.close()


def ingest_file(
    session: Session,
    settings: Settings,
    user_id: uuid.UUID,
    chat_id: uuid.UUID | str,
    source: Path,
    original_filename: str,
    *,
    bad_rows: BadRows = "refuse",
    on_progress: ProgressSink | None = None,
) -> DatasetSummary:
    """Adds an upload to one of the user's chats; commits the dataset and its metadata."""
    chat = owned_chat(session, user_id, chat_id)
    size = source.stat().st_size
    if size > settings.max_upload_mb << 20:
        raise IngestError(
            f"The file is {size / (1 << 20):,.0f} MB, over the {settings.max_upload_mb:,} MB "
            "upload limit. Split it, or ask your admin to raise MAX_UPLOAD_MB."
        )
    datasets_dir = settings.datasets_dir
    datasets_dir.mkdir(parents=True, exist_ok=True)
    dataset_id = uuid.uuid4()
    dest = datasets_dir / f"{dataset_id}.duckdb"
    with build_lock(datasets_dir, dataset_id):
        built = build_dataset_file(
            source,
            dest,
            original_filename=original_filename,
            memory_limit=settings.query_memory_limit,
            bad_rows=bad_rows,
            on_progress=on_progress,
        )
        try:
            _commit_dataset(session, chat, user_id, dataset_id, dest, original_filename, built)
        except BaseException:
            session.rollback()
            remove_paths(dest)
            raise
    event(
        log,
        "dataset.ingested",
        user=user_id,
        chat=chat.id,
        dataset=dataset_id,
        rows=built.row_count,
        columns=len(built.columns),
        skipped=built.skipped_rows,
    )
    return get_dataset(session, user_id, dataset_id)


def _commit_dataset(
    session: Session,
    chat: Chat,
    user_id: uuid.UUID,
    dataset_id: uuid.UUID,
    path: Path,
    original_filename: str,
    built: BuiltDataset,
) -> None:
    """The row and its metadata in one transaction, under a table name free in the chat."""
    for _ in range(NAME_ATTEMPTS):
        name = table_name_for(original_filename, _table_names(session, chat.id))
        session.add(
            Dataset(
                id=dataset_id,
                chat_id=chat.id,
                user_id=user_id,
                original_filename=original_filename[:500],
                table_name=name,
                storage_path=str(path.resolve()),
                row_count=built.row_count,
                size_bytes=built.size_bytes,
            )
        )
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            chat = owned_chat(session, user_id, chat.id)
            continue
        if built.columns:
            session.execute(insert(ColumnMetadata), _metadata_rows(dataset_id, built.columns))
        session.commit()
        return
    raise IngestError("Another upload to this chat took the same table name; try again.")


def cleanup_orphans(session: Session, settings: Settings) -> int:
    """Removes what a crash left: temporary files, files with no row, rows with no file.

    Files of a build still running in another process (its lock is held) are left alone.
    Returns how many files, folders and rows were removed.
    """
    folder = settings.datasets_dir
    if not folder.is_dir():
        return 0
    known = _dataset_ids(session)
    groups: dict[uuid.UUID, list[Path]] = {}
    for path in folder.iterdir():
        try:
            groups.setdefault(uuid.UUID(path.name.split(".", 1)[0]), []).append(path)
        except ValueError:
            continue  # not ours
    removed = 0
    for dataset_id, paths in groups.items():
        final = f"{dataset_id}.duckdb"
        if dataset_id in known and all(p.name == final for p in paths):
            continue
        with _unless_building(folder, dataset_id) as idle:
            if not idle:
                continue
            # Looked up again under the lock: the build may have committed since ``known``.
            committed = session.get(Dataset, dataset_id) is not None
            stale = [p for p in paths if not committed or p.name != final]
            stale = [p for p in stale if p.name != f"{dataset_id}.lock"]
            for path in stale:
                remove_paths(path)
                event(log, "dataset.orphan_removed", file=path.name)
            removed += len(stale) + any(p.name == f"{dataset_id}.lock" for p in paths)
    removed += _remove_rows_without_files(session, folder)
    return removed


def _metadata_rows(dataset_id: uuid.UUID, columns: tuple[ColumnInfo, ...]) -> list[dict]:
    return [
        {
            "id": uuid.uuid4(),
            "dataset_id": dataset_id,
            "position": position,
            "column_name": c.name,
            "original_name": c.original_name,
            "data_type": c.data_type[:100],
            "null_count": c.null_count,
            "distinct_count": c.distinct_count,
            "min": None if c.min is None else str(c.min),
            "max": None if c.max is None else str(c.max),
            "mean": c.mean,
            "sample_values": [jsonable(v) for v in c.sample_values],
            "top_values": [[jsonable(v), n] for v, n in c.top_values],
        }
        for position, c in enumerate(columns)
    ]


def _table_names(session: Session, chat_id: uuid.UUID) -> set[str]:
    return set(session.scalars(select(Dataset.table_name).where(Dataset.chat_id == chat_id)))


def _dataset_ids(session: Session) -> set[uuid.UUID]:
    return set(session.scalars(select(Dataset.id)))


def _remove_rows_without_files(session: Session, folder: Path) -> int:
    """Rows whose file under ``folder`` is gone; none when every file is gone (storage
    not mounted looks the same, and deleting every dataset row would be the wrong fix)."""
    rows = session.execute(select(Dataset.id, Dataset.storage_path)).all()
    ours = [(i, Path(p)) for i, p in rows if Path(p).parent.resolve() == folder.resolve()]
    missing = [i for i, path in ours if not path.is_file()]
    if not missing:
        return 0
    if len(missing) == len(ours) > 1:
        log.warning("event=dataset.all_files_missing rows=%s folder_kept=true", len(ours))
        return 0
    session.execute(delete(Dataset).where(Dataset.id.in_(missing)))
    session.commit()
    for dataset_id in missing:
        event(log, "dataset.row_without_file_removed", dataset=dataset_id)
    return len(missing)
