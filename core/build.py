"""An upload -> one DuckDB file holding one profiled table ``data``; no database involved.

The file is built as ``<dest>.tmp`` beside its final place and renamed into place only when
complete, so a reader never sees half a table; anything that fails removes what was written.
Memory stays flat whatever the file size: DuckDB works under ``memory_limit`` and spills to a
private folder beside the file; no step holds the data in Python.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from core import loaders, sniff
from core.catalog import ColumnInfo
from core.csv_dialect import LinesTooLong
from core.errors import IngestError
from core.loaders import BadRows, Loaded
from core.profile import profile_table
from core.xlsx import narrow_dates, xlsx_to_csv

log = logging.getLogger(__name__)

Stage = Literal["reading", "writing", "profiling", "done"]
POLL_SECONDS = 0.2
MAX_ATTEMPTS = 5  # widen types, legacy text, long lines, no conversions: each at most once
# Share of the progress bar each stage ends at, when the reading stage has no conversion.
_WRITE_FROM, _WRITE_TO, _PROFILE_AT = 0.05, 0.9, 0.92


@dataclass(frozen=True)
class IngestProgress:
    """``fraction`` is of the whole ingest (0..1); ``rows`` is known once written."""

    stage: Stage
    fraction: float | None
    rows: int | None
    message: str


@dataclass(frozen=True)
class BuiltDataset:
    row_count: int
    columns: tuple[ColumnInfo, ...]
    size_bytes: int
    skipped_rows: int
    notes: tuple[str, ...]


ProgressSink = Callable[[IngestProgress], None]


class _Progress:
    """Calls the sink from the building thread only (Streamlit cannot draw from others)."""

    def __init__(self, sink: ProgressSink | None) -> None:
        self._sink = sink
        self._high = 0.0  # a second attempt must not move the bar back
        self.write_from = _WRITE_FROM

    def __call__(
        self, stage: Stage, message: str, fraction: float | None, rows: int | None = None
    ) -> None:
        if fraction is not None:
            fraction = self._high = max(fraction, self._high)
        if self._sink is not None:
            self._sink(IngestProgress(stage, fraction, rows, message))

    def writing(self, percent: float) -> None:
        share = self.write_from + (_WRITE_TO - self.write_from) * min(max(percent, 0), 100) / 100
        self("writing", f"Writing rows ({percent:.0f}%)", share)


def _temporary_paths(dest: Path) -> tuple[Path, Path]:
    """The table is built in ``<dest>.tmp``; spill files and converted text in ``.work.tmp``."""
    return dest.with_name(dest.name + ".tmp"), dest.with_name(dest.name + ".work.tmp")


def _connect(path: Path, memory_limit: str, spill: Path) -> duckdb.DuckDBPyConnection:
    path.unlink(missing_ok=True)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        str(path),
        config={
            "memory_limit": memory_limit,
            "temp_directory": str(spill),
            "autoinstall_known_extensions": False,
        },
    )
    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    return con


def _runner(progress: _Progress) -> loaders.Runner:
    """Runs a statement in a worker thread while this thread reports DuckDB's progress.

    If the progress sink raises (the user went away), the statement is interrupted.
    """

    def run(con: duckdb.DuckDBPyConnection, sql: str) -> None:
        failure: list[BaseException] = []

        def work() -> None:
            try:
                con.execute(sql)
            except BaseException as error:  # noqa: BLE001 - handed to the caller below
                failure.append(error)

        worker = threading.Thread(target=work, name="ingest-write", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(POLL_SECONDS)
                percent = con.query_progress()
                if worker.is_alive() and percent >= 0:
                    progress.writing(percent)
        except BaseException:
            con.interrupt()
            worker.join()
            raise
        if failure:
            raise failure[0]

    return run


def build_dataset_file(
    source: Path,
    dest: Path,
    *,
    original_filename: str,
    memory_limit: str = "512MB",
    bad_rows: BadRows = "refuse",
    on_progress: ProgressSink | None = None,
) -> BuiltDataset:
    """Builds ``dest`` from an upload; needs no database, so the CLI calls it directly.

    The default memory limit keeps peak memory near half of a 1.2 GB file (docs/benchmarks.md).
    """
    progress = _Progress(on_progress)
    tmp, work = _temporary_paths(dest)
    work.mkdir(parents=True, exist_ok=True)
    try:
        progress("reading", f"Reading {original_filename}", 0.0)
        detected = sniff.detect(source)
        built = _build(source, detected, tmp, work, memory_limit, bad_rows, progress)
        os.replace(tmp, dest)
        built = BuiltDataset(
            built.row_count, built.columns, dest.stat().st_size, built.skipped_rows, built.notes
        )
    except BaseException as error:
        remove_paths(tmp, Path(str(tmp) + ".wal"))
        if is_disk_full(error):
            raise disk_full_error() from error
        if isinstance(error, duckdb.Error):
            raise _engine_error(error) from error
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    progress("done", f"Ready: {built.row_count:,} rows", 1.0, built.row_count)
    return built


@dataclass(frozen=True)
class _Prepared:
    """What DuckDB reads: the upload itself, or UTF-8 text made from it."""

    path: Path
    compression: sniff.Compression
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Options:
    """How the CSV reader is asked to read, after what earlier attempts found."""

    text_columns: frozenset[str]
    long_lines: bool
    refine_types: bool


def _build(
    source: Path,
    detected: sniff.Detected,
    tmp: Path,
    work: Path,
    memory_limit: str,
    bad_rows: BadRows,
    progress: _Progress,
) -> BuiltDataset:
    prepared = _prepare(source, detected, work, progress)
    text_columns: frozenset[str] = frozenset()
    text_notes: tuple[str, ...] = ()
    long_lines, refine_types = False, True
    for _ in range(MAX_ATTEMPTS):
        with _connect(tmp, memory_limit, work / "spill") as con:
            try:
                options = _Options(text_columns, long_lines, refine_types)
                loaded = _load(con, prepared, detected, bad_rows, progress, options)
            except loaders.NotUtf8Later:
                detected = sniff.Detected("csv", detected.compression, "windows-1252", False)
                prepared = _prepare(source, detected, work, progress)
                continue
            except LinesTooLong:
                long_lines = True
                continue
            except loaders.RefineFailed:
                refine_types = False
                continue
            if loaded.text_columns - text_columns:
                text_columns |= loaded.text_columns
                text_notes += (loaded.text_note,) if loaded.text_note else ()
                continue
            progress("profiling", "Profiling the columns", _PROFILE_AT)
            rows, columns = profile_table(con, loaded.original_names)
        notes = prepared.notes + text_notes + loaded.notes
        if rows == 0 and loaded.skipped_rows:
            raise IngestError(
                f"None of the {loaded.skipped_rows:,} rows matched the header, so nothing was "
                "loaded. Check that the header row and the delimiter are right."
            )
        if rows == 0:
            notes += ("The file has a header but no data rows: the table is empty.",)
        return BuiltDataset(rows, columns, 0, loaded.skipped_rows, notes)
    raise IngestError(
        "The column types could not be settled after several tries. Save the file as CSV "
        "with one kind of value per column and upload it again."
    )


def _prepare(source: Path, detected: sniff.Detected, work: Path, progress: _Progress) -> _Prepared:
    if detected.kind == "xlsx":
        out = work / "sheet.csv"
        progress.write_from = 0.3

        def rows_read(count: int, total: int | None) -> None:
            share = 0.3 * min(count / total, 1.0) if total else None
            progress("reading", f"Reading the workbook ({count:,} rows)", share, count)

        return _Prepared(out, "none", xlsx_to_csv(source, out, rows_read))
    if detected.encoding != "utf-8":
        out = work / "utf8.txt"
        total = max(source.stat().st_size, 1)
        progress.write_from = 0.3

        def bytes_read(done: int) -> None:
            progress("reading", "Converting the text to UTF-8", 0.3 * min(done / total, 1.0))

        sniff.convert_to_utf8(source, out, detected, bytes_read)
        named = "Windows-1252" if detected.encoding == "windows-1252" else "UTF-16"
        return _Prepared(out, "none", (f"The text was converted from {named} to UTF-8.",))
    return _Prepared(source, detected.compression)


def _load(
    con: duckdb.DuckDBPyConnection,
    prepared: _Prepared,
    detected: sniff.Detected,
    bad_rows: BadRows,
    progress: _Progress,
    options: _Options,
) -> Loaded:
    run = _runner(progress)
    progress("writing", "Writing rows", progress.write_from)
    if detected.kind == "parquet":
        return loaders.load_parquet(con, prepared.path, run)
    if detected.kind == "json":
        return loaders.load_json(con, prepared.path, prepared.compression, run)
    loaded = loaders.load_csv(
        con,
        prepared.path,
        prepared.compression,
        bad_rows=bad_rows,
        ascii_sample=detected.kind == "csv" and detected.ascii_only,
        run=run,
        header=True if detected.kind == "xlsx" else None,
        text_columns=options.text_columns,
        long_lines=options.long_lines,
        refine_types=options.refine_types,
    )
    if detected.kind == "xlsx":
        narrow_dates(con)
    return loaded


_NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_NO_SPACE_TEXT = ("No space left on device", "Disk quota exceeded", "File too large")


def is_disk_full(error: BaseException) -> bool:
    """The disk (or the quota) is full: Python's OSError, or the text of DuckDB's IO error."""
    if isinstance(error, OSError) and error.errno in _NO_SPACE_ERRNOS:
        return True
    return isinstance(error, duckdb.Error) and any(t in str(error) for t in _NO_SPACE_TEXT)


def disk_full_error() -> IngestError:
    return IngestError(
        "There is not enough disk space on the server to store this file, so nothing was "
        "kept. Delete tables you no longer need, or ask your admin to free space, then "
        "upload again."
    )


def _engine_error(error: duckdb.Error) -> IngestError:
    """A short, actionable message instead of DuckDB's dump (which names server paths)."""
    text = str(error)
    log.warning(
        "event=ingest.engine_error kind=%s detail=%r", type(error).__name__, text.splitlines()[0]
    )
    if "GZIP" in text.upper():
        return sniff.damaged_gzip()
    if isinstance(error, duckdb.OutOfMemoryException):
        return IngestError(
            "The file needed more memory than this server allows for one upload. Split it "
            "into smaller files, or ask your admin to raise the memory limit."
        )
    if "parquet" in text.lower():
        return IngestError("This Parquet file is damaged or not a Parquet file. Export it again.")
    if "json" in text.lower():
        first = text.splitlines()[0].split(":", 1)[-1].strip()[:200]
        return IngestError(f"This JSON could not be read as a table: {first}")
    return IngestError(
        "The file could not be read as a table. Check that it is a CSV with a header row "
        "(or Excel, Parquet, JSON lines) and upload it again."
    )


def remove_paths(*paths: Path) -> None:
    """Files or folders; a failure is logged, and the start-up sweep retries."""
    for path in paths:
        try:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        except OSError as error:
            log.warning("event=ingest.remove_failed error=%s", type(error).__name__)
