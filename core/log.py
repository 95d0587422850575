"""One structured line per event: ``event=chat.created user=... chat=...``.

Values are quoted when they contain spaces. Secrets are never passed here: callers log ids,
never passwords, tokens or hashes.
"""

from __future__ import annotations

import logging
from typing import Any

_configured = False


def configure(level: str) -> None:
    global _configured
    if _configured:
        logging.getLogger().setLevel(level)
        return
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", force=False
    )
    logging.getLogger().setLevel(level)
    # sqlglot warns when it falls back to a generic command for a statement the guard refuses.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    _configured = True


def _fmt(value: Any) -> str:
    text = str(value)
    if not text or any(ch.isspace() or ch in '"=' for ch in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``event=<name> key=value ...``."""
    parts = [f"event={name}"] + [f"{k}={_fmt(v)}" for k, v in fields.items() if v is not None]
    logger.log(level, " ".join(parts))
