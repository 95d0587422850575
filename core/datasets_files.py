"""Removing dataset files once the rows that named them are gone."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)


def remove_files(paths: Iterable[str | Path]) -> None:
    """Best effort: a file that cannot be removed now is swept by the start-up cleanup."""
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError as error:
            log.warning("event=dataset.file_remove_failed error=%s", type(error).__name__)
