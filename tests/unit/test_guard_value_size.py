"""One function call building one huge value is refused before it runs."""

from __future__ import annotations

import pytest

from core.errors import UnsafeQueryError
from core.nl2sql.guard import guard_sql

TABLES = ["sales"]

REFUSED = [
    "SELECT repeat('x', 2000000000)",
    "SELECT length(repeat('x', 256000000)) AS n",
    "SELECT repeat(region, quantity) FROM sales",
    "SELECT repeat('x', (SELECT max(quantity) FROM sales))",
    "SELECT lpad('a', 2000000000)",
    "SELECT rpad(region, quantity * 1000000) FROM sales",
    "SELECT len(range(40000000)) AS n",
    "SELECT range(0, 1e12)",
    "SELECT generate_series(1, quantity) FROM sales",
    "SELECT list_resize([1], 999999999)",
    "SELECT generate_series(DATE '1000-01-01', DATE '9000-01-01', INTERVAL 1 SECOND)",
    "SELECT * FROM sales WHERE region = repeat('x', 5000000)",
]

ACCEPTED = [
    "SELECT repeat('-', 20)",
    "SELECT lpad(region, 12, ' ') FROM sales",
    "SELECT len(range(40)) AS n",
    "SELECT * FROM range(100000000) t(n)",
    "SELECT unnest(generate_series(DATE '2024-01-01', DATE '2024-12-31', INTERVAL 1 DAY))",
    "SELECT list_resize([1, 2], 5)",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_a_value_whose_size_is_not_a_small_literal_is_refused(sql):
    with pytest.raises(UnsafeQueryError, match="stopped before it ran"):
        guard_sql(sql, TABLES, 100)


@pytest.mark.parametrize("sql", ACCEPTED)
def test_small_fixed_sizes_and_row_series_in_from_are_accepted(sql):
    assert guard_sql(sql, TABLES, 100).sql
