"""Work done once when the server starts: migrations, then removing half-made datasets."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from core import log as core_log
from core.config import Settings
from core.db import session_scope
from core.ingest import cleanup_orphans

log = logging.getLogger(__name__)


def start_up(engine: Engine, settings: Settings) -> None:
    """``engine`` is already migrated (core.db.get_engine); sweep what a crash left behind."""
    core_log.configure(settings.log_level)
    settings.datasets_dir.mkdir(parents=True, exist_ok=True)
    with session_scope(engine) as session:
        removed = cleanup_orphans(session, settings)
    core_log.event(log, "startup.cleanup", removed=removed)
