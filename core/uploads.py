"""From an uploaded file object to a dataset: spool to disk first, then ingest.

Streamlit holds an upload in memory; copying it to a temporary file in chunks lets the
ingest stream from disk and the page drop the bytes.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from core.build import disk_full_error, is_disk_full
from core.config import Settings
from core.errors import IngestError, TabletalkError

CHUNK = 1 << 20


def spool(fileobj: BinaryIO, directory: Path, max_bytes: int) -> Path:
    """Copy the upload to a temporary file; refuse it as soon as it passes ``max_bytes``."""
    directory.mkdir(parents=True, exist_ok=True)
    fileobj.seek(0)
    fd, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
    path = Path(name)
    try:
        with open(fd, "wb") as handle:
            copied = 0
            while chunk := fileobj.read(CHUNK):
                copied += len(chunk)
                if copied > max_bytes:
                    raise IngestError(
                        f"The file is larger than the {max_bytes // (1 << 20):,} MB upload limit. "
                        "Split it, or ask your admin to raise MAX_UPLOAD_MB."
                    )
                handle.write(chunk)
    except BaseException as error:
        path.unlink(missing_ok=True)
        if is_disk_full(error):
            raise disk_full_error() from None
        raise
    return path


def ingest_upload(
    session: Session,
    settings: Settings,
    user_id: uuid.UUID,
    chat_id,
    fileobj: BinaryIO,
    original_filename: str,
    **options,
):
    from core.chats import owned_chat
    from core.ingest import ingest_file

    owned_chat(session, user_id, chat_id)
    path = spool(fileobj, settings.data_dir / "uploads", settings.max_upload_mb << 20)
    try:
        return ingest_file(session, settings, user_id, chat_id, path, original_filename, **options)
    finally:
        path.unlink(missing_ok=True)


def can_skip_bad_rows(error: TabletalkError) -> bool:
    """Ragged rows can be skipped on request; other refusals cannot."""
    from core.loaders import RaggedRowsError

    return isinstance(error, RaggedRowsError)
