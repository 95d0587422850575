"""A chart chosen from a result's shape, described as data and drawn by Plotly.

The spec is a small frozen value kept in the answer's payload: an old answer redraws the
same way without re-running its query, and nothing a model writes is executed to draw it.

Column roles come from the DuckDB type, the name and the values: a ``measure`` is a number
(not an id, zip code or integer year/month/... column); ``temporal`` is a DATE/TIMESTAMP or
text that is all ISO dates (payloads keep dates as text); ``ordinal`` is an integer
year/month/quarter/hour..., month or weekday names, a TIME: an order sorting by the measure
would hide; ``nominal`` is other text or a boolean; ``other`` (lists, intervals) is never drawn.

The first rule that fits: no rows -> table; one row, one number -> metric card; two
measures -> scatter; a date + a measure -> line by date (scatter if dates repeat); a category
+ a share (named share/percent/pct and fitting in a whole, or adding up to 1 or 100) -> pie
with 2-6 parts; an ordinal + a measure -> bar in natural order (past 50 bars, a line); a
category + a measure -> bar, highest first: 31-50 categories keep the top 30 and the title
says so, past 50 the table shows (the top-30 bar stays available). Anything else (over three
columns, two categories, text only, repeated categories) -> table. A category with two
measures is drawn on the first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal, get_args

import plotly.graph_objects as go

from core.catalog import column_kind

ChartKind = Literal["bar", "line", "scatter", "pie", "metric", "table"]
Role = Literal["measure", "temporal", "ordinal", "nominal", "other"]

KINDS: tuple[ChartKind, ...] = get_args(ChartKind)
TOP_N = 30
MAX_CATEGORIES = 50
MAX_PIE_PARTS = 6
MAX_CHART_COLUMNS = 3
MISSING_LABEL = "(missing)"

_XY_KINDS = ("bar", "line", "scatter", "pie")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august")
_MONTHS += ("september", "october", "november", "december")
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_CALENDAR = {
    **{m: i for i, m in enumerate(_MONTHS)},
    **{m[:3]: i for i, m in enumerate(_MONTHS)},
    "sept": 8,
    **{d: 20 + i for i, d in enumerate(_WEEKDAYS)},
    **{d[:3]: 20 + i for i, d in enumerate(_WEEKDAYS)},
}
_ORDINAL_WORDS = {"year", "yr", "month", "quarter", "qtr", "week", "weekday", "dow", "day"}
_ORDINAL_WORDS |= {"hour", "hr", "minute", "decade", "period", "fy"}
_AGGREGATE_WORDS = {"count", "total", "sum", "n", "num", "avg", "mean", "amount"}
_ID_WORDS = {"id", "zip", "zipcode", "postcode", "postal", "phone"}
_SHARE_WORDS = {"share", "percent", "percentage", "pct", "proportion", "fraction"}
_NON_ADDITIVE_WORDS = {"avg", "average", "mean", "median", "min", "max", "minimum", "maximum"}
_NON_ADDITIVE_WORDS |= {"std", "stddev", "variance", "var", "rate"}
_AXIS_TYPES = {"temporal": "date", "measure": "linear"}
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T].*)?$")

# Transparent backgrounds and grey grid lines read on both light and dark pages; in the app
# st.plotly_chart(theme="streamlit") also recolours fonts for the active theme.
_GREY_AXIS = {"gridcolor": "rgba(128,128,128,0.2)", "zerolinecolor": "rgba(128,128,128,0.4)"}
TEMPLATE = go.layout.Template(
    layout=go.Layout(
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": "#808080"},
        xaxis=_GREY_AXIS,
        yaxis=_GREY_AXIS,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
)


@dataclass(frozen=True)
class ChartSpec:
    """Which chart, over which result columns. ``x`` is the category/date, ``y`` the measure."""

    kind: ChartKind
    x: str | None = None
    y: str | None = None
    title: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown chart kind {self.kind!r}; expected one of {KINDS}.")
        if self.kind in _XY_KINDS and not (self.x and self.y):
            raise ValueError(f"A {self.kind} chart needs both an x and a y column.")
        if self.kind == "metric" and not self.y:
            raise ValueError("A metric card needs the column (y) it shows.")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "x": self.x, "y": self.y, "title": self.title}

    @classmethod
    def from_dict(cls, d: Mapping, columns: Sequence[str] | None = None) -> ChartSpec:
        """Read a stored spec back; raises ValueError when it is malformed or, with
        ``columns``, names a column the result does not have."""
        if not isinstance(d, Mapping):
            raise ValueError("A chart spec must be a mapping.")
        x, y, title = d.get("x"), d.get("y"), d.get("title", "")
        if not all(v is None or isinstance(v, str) for v in (x, y, title)):
            raise ValueError("A chart spec's x, y and title must be text.")
        if columns is not None and {x, y} - {None, *columns}:
            raise ValueError("The chart refers to columns that are not in the result.")
        return cls(kind=d.get("kind"), x=x, y=y, title=title or "")


@dataclass(frozen=True)
class _Shape:
    """The result read once: each column's role, used by every rule below."""

    columns: tuple[str, ...]
    types: tuple[str, ...]
    roles: tuple[Role, ...]
    rows: tuple[tuple, ...]

    def of(self, *roles: Role) -> list[int]:
        return [i for i, r in enumerate(self.roles) if r in roles]

    def values(self, index: int) -> list[Any]:
        return [row[index] for row in self.rows]


def humanize(name: str) -> str:
    """``total_sales`` -> ``Total sales``: axis titles read as words."""
    text = re.sub(r"\s+", " ", name.replace("_", " ")).strip()
    return text[:1].upper() + text[1:]


def _words(name: str) -> set[str]:
    return set(re.findall(r"[a-z]+", name.lower().replace("_", " ")))


def _kind(data_type: str) -> str:
    upper = data_type.upper()
    if "[]" in upper or upper.startswith(("INTERVAL", "STRUCT", "MAP", "LIST", "UNION")):
        return "other"
    return column_kind(data_type)


def to_number(value: Any) -> int | float | None:
    """Numbers as Plotly takes them; DECIMALs arrive as Decimal, or as text from a payload."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def to_date(value: Any) -> date | None:
    if isinstance(value, date):  # datetime and pandas Timestamp are dates too
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if match := _YEAR_MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        return date(year, month, 1) if 1 <= month <= 12 else None
    if not _ISO_DATE.match(text):
        return None
    try:
        return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
    except ValueError:
        return None


def _calendar_index(value: Any) -> int | None:
    return _CALENDAR.get(value.strip().lower().rstrip(".")) if isinstance(value, str) else None


def _role(name: str, data_type: str, values: list[Any]) -> Role:
    kind, words = _kind(data_type), _words(name)
    present = [v for v in values if v is not None]
    if kind == "number":
        if words & _ID_WORDS:
            return "nominal"
        integral = all(float(n).is_integer() for n in map(to_number, present) if n is not None)
        if words & _ORDINAL_WORDS and not words & _AGGREGATE_WORDS and integral:
            return "ordinal"
        return "measure"
    if kind == "date":
        return "ordinal" if data_type.upper().split("(")[0].strip() == "TIME" else "temporal"
    if kind == "boolean":
        return "nominal"
    if kind != "text":
        return "other"
    if present and all(to_date(v) is not None for v in present):
        return "temporal"
    if present and all(_calendar_index(v) is not None for v in present):
        return "ordinal"
    return "ordinal" if words & _ORDINAL_WORDS else "nominal"


def _read(columns: Sequence[str], types: Sequence[str], rows: Sequence[Sequence]) -> _Shape:
    if len(columns) != len(types):
        raise ValueError("columns and types must have the same length.")
    table = tuple(tuple(row) for row in rows)
    if any(len(row) != len(columns) for row in table):
        raise ValueError("Every row must have one value per column.")
    roles = tuple(
        _role(name, data_type, [row[i] for row in table])
        for i, (name, data_type) in enumerate(zip(columns, types, strict=True))
    )
    return _Shape(tuple(columns), tuple(types), roles, table)


def _label(value: Any) -> str:
    if value is None:
        return MISSING_LABEL
    if isinstance(value, bool):
        return "true" if value else "false"
    number = to_number(value) if isinstance(value, int | float | Decimal) else None
    if number is not None and float(number).is_integer():
        return str(int(number))
    return str(value)


def _ordinal_key(value: Any) -> tuple:
    if value is None:
        return (3, 0, "")
    if (index := _calendar_index(value)) is not None:
        return (0, index, "")
    if (number := to_number(value)) is not None and not isinstance(value, time):
        return (1, number, "")
    parts = re.split(r"(\d+)", str(value))
    return (2, 0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts))


def _dimension(shape: _Shape) -> int | None:
    """The one category/date column of a chartable result, if it has exactly one."""
    dims, measures = shape.of("nominal", "ordinal", "temporal"), shape.of("measure")
    if shape.of("other") or len(shape.columns) > MAX_CHART_COLUMNS or len(dims) != 1:
        return None
    return dims[0] if 1 <= len(measures) <= 2 else None


def _is_share(name: str, values: list[Any]) -> bool:
    """Parts of a whole: named as a share and fitting in one, or adding up to 1 or 100."""
    numbers = [n for n in map(to_number, values) if n is not None]
    if not numbers or min(numbers) < 0:
        return False
    total = sum(numbers)
    if _words(name) & _SHARE_WORDS or "%" in name:
        return total <= 100.5
    return abs(total - 1) <= 0.005 or abs(total - 100) <= 0.5


def _pie_fits(name: str, values: list[Any], role: Role) -> bool:
    """2-6 non-negative parts of something that adds up; ordered categories (years,
    months) only when the measure is itself a share."""
    numbers = [n for n in map(to_number, values) if n is not None]
    if not 2 <= len(values) <= MAX_PIE_PARTS or min(numbers, default=-1) < 0:
        return False
    if role == "nominal" and not _words(name) & _NON_ADDITIVE_WORDS:
        return True
    return role != "temporal" and _is_share(name, values)


def _kinds(shape: _Shape) -> list[ChartKind]:
    measures, n_rows = shape.of("measure"), len(shape.rows)
    kinds: set[ChartKind] = {"table"}
    if not n_rows:
        return ["table"]
    if len(shape.columns) == 1 and n_rows == 1 and _kind(shape.types[0]) == "number":
        kinds.add("metric")
    if len(shape.columns) == 2 and len(measures) == 2 and n_rows > 1:
        kinds.add("scatter")
    d = _dimension(shape)
    if d is not None:
        labels, role, m = [_label(v) for v in shape.values(d)], shape.roles[d], measures[0]
        if role in ("temporal", "ordinal"):
            kinds.add("scatter")
        if len(set(labels)) == len(labels):
            kinds.add("bar")
            if role != "nominal":
                kinds.add("line")
            if _pie_fits(shape.columns[m], shape.values(m), role):
                kinds.add("pie")
    return [k for k in KINDS if k in kinds]


def _choose(shape: _Shape) -> ChartKind:
    kinds, measures, d = _kinds(shape), shape.of("measure"), _dimension(shape)
    if "metric" in kinds or ("scatter" in kinds and d is None):
        return "metric" if "metric" in kinds else "scatter"
    if d is None:
        return "table"
    role, n, m = shape.roles[d], len(shape.rows), measures[0]
    if role == "temporal":
        return "line" if "line" in kinds else "scatter"
    if "pie" in kinds and _is_share(shape.columns[m], shape.values(m)):
        return "pie"
    if "bar" not in kinds:
        return "table"
    if n > MAX_CATEGORIES:
        return "line" if role == "ordinal" else "table"
    return "bar"


def _spec(shape: _Shape, kind: ChartKind, y: str | None = None) -> ChartSpec:
    if kind == "table":
        return ChartSpec("table")
    if kind == "metric":
        return ChartSpec("metric", y=shape.columns[0], title=humanize(shape.columns[0]))
    measures = [shape.columns[i] for i in shape.of("measure")]
    if y not in measures:
        y = measures[0]
    d = _dimension(shape)
    x = shape.columns[d] if d is not None else measures[0]
    if d is None:
        y = measures[1]
    if kind == "scatter":
        return ChartSpec(kind, x, y, f"{humanize(y)} vs {humanize(x).lower()}")
    if kind == "pie" and not _pie_fits(y, shape.values(shape.columns.index(y)), shape.roles[d]):
        y = measures[0]  # pie was offered for the first measure; an average makes no slices
    title = f"{humanize(y)} by {humanize(x).lower()}"
    if kind == "bar" and shape.roles[d] == "nominal" and len(shape.rows) > TOP_N:
        title = f"Top {TOP_N} {humanize(x).lower()} by {humanize(y).lower()}"
    return ChartSpec(kind, x, y, title)


def choose_chart(columns: list[str], types: list[str], rows: list[tuple | list]) -> ChartSpec:
    """The chart a careful analyst would draw first for this result (see module notes)."""
    shape = _read(columns, types, rows)
    return _spec(shape, _choose(shape))


def available_kinds(columns, types, rows) -> list[ChartKind]:
    """Kinds the user may switch to; always includes ``table``."""
    return _kinds(_read(columns, types, rows))


def with_kind(spec: ChartSpec, kind: ChartKind, columns, types, rows) -> ChartSpec:
    """The same result drawn as ``kind``, keeping the measure the spec showed."""
    shape = _read(columns, types, rows)
    if kind not in _kinds(shape):
        raise ValueError(f"A {kind} chart does not fit this result.")
    return _spec(shape, kind, spec.y)


def metric_value(spec: ChartSpec, columns, rows) -> tuple[str, Any]:
    """Label and value for the metric card; the value is None for an empty result."""
    name = spec.y or (columns[0] if columns else None)
    if name not in columns:
        raise ValueError(f"The metric column {name!r} is not in the result.")
    label = spec.title or humanize(name)
    if not rows:
        return label, None
    value = list(rows[0])[list(columns).index(name)]
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    return label, value


def number_format(values: list[Any]) -> str:
    """d3 format with thousands separators: 2 decimals for large values, 4 significant
    digits for small ones, trailing zeros trimmed."""
    numbers = [abs(n) for n in map(to_number, values) if n is not None]
    return ",.2~f" if numbers and max(numbers) >= 100 else ",.4~g"


def build_figure(spec: ChartSpec, columns, types, rows) -> go.Figure | None:
    """The Plotly figure for ``spec``; None for table and metric (the page draws those), and
    None when a stored spec no longer fits the result."""
    if spec.kind in ("table", "metric") or spec.x not in columns or spec.y not in columns:
        return None
    shape = _read(columns, types, rows)
    if spec.kind not in _kinds(shape):
        return None
    x_index, y_index = shape.columns.index(spec.x), shape.columns.index(spec.y)
    points = [(row[x_index], to_number(row[y_index])) for row in shape.rows]
    draw = _pie if spec.kind == "pie" else _xy
    figure = draw(points, shape.roles[x_index], spec)
    figure.update_layout(template=TEMPLATE, title={"text": spec.title}, showlegend=False)
    return figure


def _sorted_points(points: list[tuple], role: Role) -> list[tuple]:
    """Dates in time order, ordinals in their natural order, other categories by the
    measure (highest first, missing last) cut to the top 30; x values as drawn."""
    if role == "measure":
        pairs = ((to_number(x), y) for x, y in points)
        return [(x, y) for x, y in pairs if x is not None and y is not None]
    if role == "temporal":
        dated = ((to_date(x), y) for x, y in points)
        return sorted(((x, y) for x, y in dated if x is not None), key=_date_key)
    if role == "ordinal":
        ordered = sorted(points, key=lambda p: _ordinal_key(p[0]))
    else:
        ordered = sorted(points, key=lambda p: (p[1] is None, -(p[1] or 0)))[:TOP_N]
    return [(_label(x), y) for x, y in ordered]


def _date_key(point: tuple) -> datetime:
    value = point[0]
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def _xy(points: list[tuple], role: Role, spec: ChartSpec) -> go.Figure:
    """Bar, line and scatter share their axes: titled from the column names, numbers with
    thousands separators, dates on a date axis and categories kept in the order given."""
    ordered = _sorted_points(points, role)
    xs, ys = [x for x, _ in ordered], [y for _, y in ordered]
    if spec.kind == "bar":
        trace = go.Bar(x=xs, y=ys)
    else:
        line_mode = "lines+markers" if len(xs) <= 60 else "lines"
        trace = go.Scatter(x=xs, y=ys, mode="markers" if spec.kind == "scatter" else line_mode)
    y_format, x_hover = number_format(ys), "%{x}"
    x_axis = {"title": {"text": humanize(spec.x)}, "type": _AXIS_TYPES.get(role, "category")}
    if role == "measure":
        x_axis["tickformat"] = x_format = number_format(xs)
        x_hover = f"{humanize(spec.x)}: %{{x:{x_format}}}"
    figure = go.Figure(trace)
    y_axis = {"title": {"text": humanize(spec.y)}, "tickformat": y_format}
    figure.update_layout(xaxis=x_axis, yaxis=y_axis)
    hover = f"{x_hover}<br>{humanize(spec.y)}: %{{y:{y_format}}}<extra></extra>"
    return figure.update_traces(hovertemplate=hover)


def _pie(points: list[tuple], role: Role, spec: ChartSpec) -> go.Figure:
    """Largest slice first; missing and zero parts have no area to draw."""
    parts = sorted(((_label(x), y) for x, y in points if y), key=lambda p: -p[1])
    value_format = number_format([y for _, y in parts])
    hover = f"%{{label}}<br>{humanize(spec.y)}: %{{value:{value_format}}}<extra></extra>"
    pie = go.Pie(
        labels=[label for label, _ in parts],
        values=[y for _, y in parts],
        sort=False,
        textinfo="label+percent",
        hovertemplate=hover,
    )
    return go.Figure(pie)
