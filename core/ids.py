"""Ids arrive from session state and URLs as text or UUIDs; a malformed one names nothing."""

from __future__ import annotations

import uuid


def parse_id(value: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
