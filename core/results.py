"""Turning a query result into what a message payload keeps: JSON-safe, bounded rows."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import uuid
from typing import Any

PAYLOAD_ROWS = 500  # rows kept with an answer to redraw it; the full result is re-runnable


def json_safe(value: Any) -> Any:
    """A value PostgreSQL's JSONB and the browser can hold without losing its meaning."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(value)[:256]).decode("ascii")
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)


def json_rows(rows: list[tuple] | list[list], limit: int = PAYLOAD_ROWS) -> list[list[Any]]:
    return [[json_safe(v) for v in row] for row in rows[:limit]]
