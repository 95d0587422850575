"""One value built by one function call: its size must be a small literal.

DuckDB's memory limit covers its buffers, not the allocation of a single function such as
``repeat('x', 2000000000)``, and the interrupt is not checked while such a value grows. So the
guard accepts these functions only with a size written as a number below a cap.
"""

from __future__ import annotations

from sqlglot import exp

from core.errors import UnsafeQueryError

MAX_VALUE_SIZE = 1_000_000
_SIZED_ARGS: dict[str, tuple[str, ...]] = {"repeat": ("times",), "pad": ("expression",)}
_SIZED_ANONYMOUS = {"list_resize": 1, "array_resize": 1, "array_fill": 1, "list_fill": 1}


def _literal_number(node: exp.Expr | None) -> float | None:
    if isinstance(node, exp.Neg):
        inner = _literal_number(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this)
        except ValueError:
            return None
    return None


def _sizes(node: exp.Func, name: str) -> list[exp.Expr | None] | None:
    """The arguments that set the size of the value ``node`` builds, or None if none do."""
    if isinstance(node, exp.GenerateSeries):
        return None  # handled by _series_length
    keys = _SIZED_ARGS.get(node.key)
    if keys:
        return [node.args.get(k) for k in keys]
    if name in _SIZED_ANONYMOUS and isinstance(node, exp.Anonymous):
        index = _SIZED_ANONYMOUS[name]
        return [node.expressions[index] if len(node.expressions) > index else None]
    return None


_SECONDS = {
    "SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400, "WEEK": 7 * 86400,
    "MONTH": 28 * 86400, "QUARTER": 90 * 86400, "YEAR": 365 * 86400,
}  # fmt: skip


def _literal_time(node: exp.Expr | None) -> float | None:
    """Seconds since the epoch of a DATE/TIMESTAMP literal such as ``DATE '2024-01-01'``."""
    from datetime import datetime

    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        try:
            return datetime.fromisoformat(node.this.this.strip()).timestamp()
        except ValueError:
            return None
    return None


def _interval_seconds(node: exp.Expr | None) -> float | None:
    if not isinstance(node, exp.Interval):
        return None
    parts = str(node.this.this if isinstance(node.this, exp.Literal) else "").split()
    unit = (node.text("unit") or (parts[1] if len(parts) > 1 else "")).upper().rstrip("S")
    try:
        count = float(parts[0]) if parts else None
    except ValueError:
        return None
    if count is None or unit not in _SECONDS:
        return None
    return count * _SECONDS[unit]


def _series_length(node: exp.GenerateSeries) -> float | None:
    start_node, end_node, step_node = (node.args.get(k) for k in ("start", "end", "step"))
    start_time, end_time = _literal_time(start_node), _literal_time(end_node)
    if start_time is not None and end_time is not None:
        step = _interval_seconds(step_node) if step_node is not None else 86400.0
        return None if not step else abs(end_time - start_time) / step
    start = _literal_number(start_node)
    end = _literal_number(end_node)
    step = _literal_number(step_node) if step_node is not None else 1.0
    if end is None or step in (None, 0):
        return None
    if start is None and start_node is not None:
        return None
    return abs((end - (start or 0)) / step)


def check_value_size(node: exp.Func, name: str) -> None:
    """A list from range() in a select list, or a string from repeat(), is one value."""
    if isinstance(node, exp.Pad):
        name = "lpad" if node.args.get("is_left") else "rpad"
    if isinstance(node, exp.GenerateSeries):
        name = "range"
        length = _series_length(node)
        if length is None or length > MAX_VALUE_SIZE:
            raise _too_big(name)
        return
    sizes = _sizes(node, name)
    if sizes is None:
        return
    for size in sizes:
        number = _literal_number(size)
        if number is None or abs(number) > MAX_VALUE_SIZE:
            raise _too_big(name)


def _too_big(name: str) -> UnsafeQueryError:
    return UnsafeQueryError(
        f"This query was stopped before it ran: {name}() builds one value, and a size that "
        f"is not a number up to {MAX_VALUE_SIZE:,} could pass the memory limit. Write a "
        "fixed size of at most that."
    )
