"""Work done once when the server starts: migrations, then removing half-made datasets."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from sqlalchemy import Engine

from core import log as core_log
from core.config import Settings
from core.db import session_scope
from core.ingest import cleanup_orphans

log = logging.getLogger(__name__)


SPOOL_MAX_AGE_S = 6 * 3600


def remove_stale_spools(folder: Path, max_age_s: float = SPOOL_MAX_AGE_S) -> int:
    """Uploads spooled by a process that died. Only old ones: another process sharing
    DATA_DIR may be spooling right now."""
    if not folder.is_dir():
        return 0
    cutoff = time.time() - max_age_s
    stale = [p for p in folder.glob("upload-*.part") if p.stat().st_mtime < cutoff]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def start_up(engine: Engine, settings: Settings) -> None:
    """``engine`` is already migrated (core.db.get_engine); sweep what a crash left behind."""
    core_log.configure(settings.log_level)
    settings.datasets_dir.mkdir(parents=True, exist_ok=True)
    with session_scope(engine) as session:
        removed = cleanup_orphans(session, settings)
    removed += remove_stale_spools(settings.data_dir / "uploads")
    core_log.event(log, "startup.cleanup", removed=removed)
