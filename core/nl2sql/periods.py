"""Dates and years in a question become filters on a date column, or on a year column.

'in 2024', 'in March 2024', 'before 2024-06-01', 'after May 2023', 'since 2020',
'between 2005 and 2007', 'in July' (any year). Without a date column, a year can still
filter a numeric 'Year'/'Season' column.
"""

from __future__ import annotations

from core.nl2sql.linking import DateSpan, year_span
from core.nl2sql.plan import Filter, Op
from core.nl2sql.reading import Reader, date_columns, is_year_column, year_value


def read_dates(r: Reader) -> None:
    for i, m in enumerate(r.ms):
        if i in r.used:
            continue
        span = m.span if m.kind == "date" else None
        year = year_value(m) if span is None else None
        if year is not None and not _date_context(r, i):
            continue
        if year is not None:
            span = year_span(year)
        if span is None:
            continue
        _date_filter(r, i, span)


def _date_context(r: Reader, i: int) -> bool:
    prev = r.at(i - 1)
    if r.is_kw(i - 1, "in", "before", "after", "between", "year") or r.is_kw(i - 1, "and"):
        return True
    return bool(prev and prev.kind == "column" and any(is_year_column(c) for c in prev.columns))


def _date_filter(r: Reader, i: int, span: DateSpan) -> None:
    key = r.ms[i - 1].key if r.is_kw(i - 1, "before", "after", "in") else "in"
    span_to, end_index = _range_end(r, i)
    lead = i - 1 if r.is_kw(i - 1, "before", "after", "in", "between") else i
    between = r.is_kw(i - 1, "between") or (r.is_kw(i - 1, "in") and span_to is not None)
    column, named = _date_column(r, lead - 1, span)
    if column is None:
        return
    used = [i, lead, *named] + (list(range(i + 1, end_index + 1)) if span_to else [])
    if r.is_kw(i - 1, "year"):
        used.append(i - 1)
    keyword = r.ms[i - 1].text if key != "in" else ""
    if column.kind == "date":
        flt = _on_date_column(column, key, span, span_to if between else None, keyword)
    else:
        flt = _on_year_column(column, key, span, span_to if between else None, keyword)
    if flt is None:
        return
    r.take(*used)
    r.take_preposition(min(used) - 1)
    r.filters.append(flt)


def _range_end(r: Reader, i: int) -> tuple[DateSpan | None, int]:
    """'between 2020 and 2022', 'from March 2024 to May 2024'."""
    for j in (i + 2, i + 1):
        m = r.at(j)
        if m is None or j in r.used:
            continue
        if j == i + 2 and not r.is_kw(i + 1, "and", "before"):
            continue
        if m.kind == "date" and m.span and m.span.grain != "month_of_year":
            return m.span, j
        if (year := year_value(m)) is not None and (j == i + 2 or m.start == r.ms[i].end + 1):
            return year_span(year), j
    return None, i


def _date_column(r: Reader, i: int, span: DateSpan):
    named = r.column_at(i, ("date",)) or r.column_at(i, ("number",))
    if named and (named.kind == "date" or is_year_column(named)):
        return named, [i]
    dates = date_columns(r.table)
    if dates:
        return dates[0], []
    if span.grain == "year":
        years = [c for c in r.table.columns if is_year_column(c)]
        if len(years) == 1:
            return years[0], []
    return None, []


def _on_date_column(column, key, span: DateSpan, span_to, keyword: str) -> Filter | None:
    if span.grain == "month_of_year":
        if key != "in" or span_to:
            return None
        return Filter((column,), "month_of_year", (span.start.month,), f"is in {span.label}")
    if span_to is not None:
        end = span_to.end
        wording = f"is from {span.label} to {span_to.label}"
        return Filter((column,), "within", (span.start, end), wording)
    if key == "before":
        return Filter((column,), "<", (span.start,), f"is before {span.label}")
    if key == "after":
        since = keyword.lower() == "since"
        bound = span.start if since else span.end
        return Filter((column,), ">=", (bound,), f"is {keyword or 'after'} {span.label}")
    return Filter((column,), "within", (span.start, span.end), f"is in {span.label}")


def _on_year_column(column, key, span: DateSpan, span_to, keyword: str) -> Filter | None:
    if span.grain != "year":
        return None
    year = span.start.year
    if span_to is not None:
        wording = f"is from {year} to {span_to.start.year}"
        return Filter((column,), "between", (year, span_to.start.year), wording)
    op: Op = {"before": "<", "after": ">=" if keyword.lower() == "since" else ">"}.get(key, "=")
    wording = f"is {keyword.lower()} {year}" if op != "=" else ""
    return Filter((column,), op, (year,), wording)
