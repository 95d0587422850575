"""Charts are chosen from a result's shape and drawn declaratively with Plotly."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal

import plotly.graph_objects as go
import pytest

from core.charts import (
    MISSING_LABEL,
    TOP_N,
    ChartSpec,
    available_kinds,
    build_figure,
    choose_chart,
    humanize,
    metric_value,
    with_kind,
)

REGIONS = ["North", "South", "East", "West"]
MONTHS = ["March", "January", "December", "February"]


def many(n: int, measure=lambda i: i * 10) -> list[tuple]:
    return [(f"product {i:03d}", measure(i)) for i in range(n)]


SHAPES = [
    # (case, columns, types, rows, expected kind, expected x, expected y)
    ("category and measure", ["region", "total_sales"], ["VARCHAR", "DOUBLE"],
     [("North", 10.5), ("South", 30.0), ("East", 20.0)], "bar", "region", "total_sales"),
    ("category and count", ["city", "orders"], ["VARCHAR", "BIGINT"],
     [("Paris", 3), ("Lyon", 5), ("Nice", 4)], "bar", "city", "orders"),
    ("measure listed before category", ["total", "region"], ["DOUBLE", "VARCHAR"],
     [(1.0, "North"), (2.0, "South"), (5.0, "East")], "bar", "region", "total"),
    ("decimal measure", ["region", "revenue"], ["VARCHAR", "DECIMAL(18,2)"],
     [("North", Decimal("10.50")), ("South", Decimal("7.25"))], "bar", "region", "revenue"),
    ("category with two measures", ["region", "orders", "avg_amount"],
     ["VARCHAR", "BIGINT", "DOUBLE"], [("North", 4, 2.5), ("South", 2, 9.0)],
     "bar", "region", "orders"),
    ("one category row", ["region", "revenue"], ["VARCHAR", "DOUBLE"],
     [("North", 12.0)], "bar", "region", "revenue"),
    ("boolean category", ["is_member", "customers"], ["BOOLEAN", "BIGINT"],
     [(True, 40), (False, 60), (None, 3)], "bar", "is_member", "customers"),
    ("numeric id is a category", ["customer_id", "total_spent"], ["BIGINT", "DOUBLE"],
     [(101, 5.0), (102, 9.0), (103, 1.0)], "bar", "customer_id", "total_spent"),
    ("missing category value", ["region", "revenue"], ["VARCHAR", "DOUBLE"],
     [("North", 1.0), (None, 2.0)], "bar", "region", "revenue"),
    ("year column is ordinal", ["year", "revenue"], ["BIGINT", "DOUBLE"],
     [(2023, 5.0), (2021, 7.0), (2022, 1.0)], "bar", "year", "revenue"),
    ("order year column is ordinal", ["order_year", "orders"], ["INTEGER", "BIGINT"],
     [(2023, 5), (2024, 7)], "bar", "order_year", "orders"),
    ("month names are ordinal", ["month", "revenue"], ["VARCHAR", "DOUBLE"],
     [(m, float(i)) for i, m in enumerate(MONTHS)], "bar", "month", "revenue"),
    ("weekday abbreviations are ordinal", ["weekday", "visits"], ["VARCHAR", "BIGINT"],
     [("Tue", 5), ("Mon", 4), ("Sun", 2)], "bar", "weekday", "visits"),
    ("time of day is ordinal", ["slot", "bookings"], ["TIME", "BIGINT"],
     [(time(9), 4), (time(8), 2)], "bar", "slot", "bookings"),
    ("40 categories keep the top 30", ["product", "units"], ["VARCHAR", "BIGINT"],
     many(40), "bar", "product", "units"),
    ("a count named after months is a measure", ["region", "month_count"],
     ["VARCHAR", "BIGINT"], [("North", 3), ("South", 12)], "bar", "region", "month_count"),
    ("date and measure", ["order_date", "revenue"], ["DATE", "DOUBLE"],
     [(date(2024, 1, 2), 5.0), (date(2024, 1, 1), 3.0)], "line", "order_date", "revenue"),
    ("timestamp and measure", ["created_at", "signups"], ["TIMESTAMP", "BIGINT"],
     [(datetime(2024, 1, 1, 10), 1), (datetime(2024, 1, 1, 11), 4)],
     "line", "created_at", "signups"),
    ("timestamp with time zone", ["ts", "n"], ["TIMESTAMP WITH TIME ZONE", "BIGINT"],
     [("2024-01-01T10:00:00Z", 1), ("2024-01-01T11:00:00Z", 2)], "line", "ts", "n"),
    ("date typed column given as strings", ["day", "revenue"], ["DATE", "DOUBLE"],
     [("2024-01-02", 5.0), ("2024-01-01", 3.0)], "line", "day", "revenue"),
    ("text holding ISO dates", ["order_date", "revenue"], ["VARCHAR", "DOUBLE"],
     [("2024-01-02", 5.0), ("2024-01-01", 3.0)], "line", "order_date", "revenue"),
    ("text holding year-months", ["month", "revenue"], ["VARCHAR", "DOUBLE"],
     [("2024-02", 5.0), ("2024-01", 3.0), ("2023-12", 4.0)], "line", "month", "revenue"),
    ("text holding ISO timestamps", ["at", "n"], ["VARCHAR", "BIGINT"],
     [("2024-01-01 10:00:00", 1), ("2024-01-01T11:30:00", 2)], "line", "at", "n"),
    ("repeated dates", ["order_date", "amount"], ["DATE", "DOUBLE"],
     [(date(2024, 1, 1), 5.0), (date(2024, 1, 1), 3.0), (date(2024, 1, 2), 1.0)],
     "scatter", "order_date", "amount"),
    ("60 years draw a line", ["year", "population"], ["BIGINT", "BIGINT"],
     [(1960 + i, 1000 + i) for i in range(60)], "line", "year", "population"),
    ("two measures", ["price", "quantity"], ["DOUBLE", "BIGINT"],
     [(1.0, 5), (2.5, 3), (4.0, 1)], "scatter", "price", "quantity"),
    ("share of a total by name", ["region", "share"], ["VARCHAR", "DOUBLE"],
     [("North", 0.5), ("South", 0.3), ("East", 0.2)], "pie", "region", "share"),
    ("percent by name", ["channel", "pct_of_orders"], ["VARCHAR", "DOUBLE"],
     [("web", 60.0), ("store", 25.0), ("phone", 15.0)], "pie", "channel", "pct_of_orders"),
    ("percent sign in the name", ["channel", "% of orders"], ["VARCHAR", "DOUBLE"],
     [("web", 70.0), ("store", 30.0)], "pie", "channel", "% of orders"),
    ("named share of part of a whole", ["region", "percentage"], ["VARCHAR", "DOUBLE"],
     [("North", 40.0), ("South", 35.0)], "pie", "region", "percentage"),
    ("values adding up to 1", ["segment", "value"], ["VARCHAR", "DOUBLE"],
     [("a", 0.25), ("b", 0.25), ("c", 0.5)], "pie", "segment", "value"),
    ("values adding up to 100", ["segment", "portion"], ["VARCHAR", "DECIMAL(5,2)"],
     [("a", Decimal("33.33")), ("b", Decimal("33.33")), ("c", Decimal("33.34"))],
     "pie", "segment", "portion"),
    ("quarters as shares", ["quarter", "share"], ["VARCHAR", "DOUBLE"],
     [("Q1", 0.2), ("Q2", 0.3), ("Q3", 0.25), ("Q4", 0.25)], "pie", "quarter", "share"),
    ("share with seven parts", ["region", "share"], ["VARCHAR", "DOUBLE"],
     [(f"r{i}", 1 / 7) for i in range(7)], "bar", "region", "share"),
    ("share name but values past a whole", ["channel", "conversion_pct"], ["VARCHAR", "DOUBLE"],
     [("web", 90.0), ("store", 80.0), ("phone", 70.0)], "bar", "channel", "conversion_pct"),
    ("share name with a negative value", ["region", "share_change"], ["VARCHAR", "DOUBLE"],
     [("North", 0.5), ("South", -0.2)], "bar", "region", "share_change"),
    ("counts that are not a share", ["region", "orders"], ["VARCHAR", "BIGINT"],
     [("North", 10), ("South", 20)], "bar", "region", "orders"),
    ("one row one number", ["total_revenue"], ["DOUBLE"], [(1234.5,)],
     "metric", None, "total_revenue"),
    ("one row one count", ["count_star()"], ["BIGINT"], [(42,)], "metric", None, "count_star()"),
    ("one row one decimal", ["avg_price"], ["DECIMAL(18,2)"], [(Decimal("9.99"),)],
     "metric", None, "avg_price"),
    ("one row one null number", ["max_price"], ["DOUBLE"], [(None,)], "metric", None, "max_price"),
    ("one row max year", ["max(year)"], ["BIGINT"], [(2024,)], "metric", None, "max(year)"),
    ("no rows", ["region", "revenue"], ["VARCHAR", "DOUBLE"], [], "table", None, None),
    ("no rows single number", ["total"], ["DOUBLE"], [], "table", None, None),
    ("no columns", [], [], [], "table", None, None),
    ("one row one text", ["top_city"], ["VARCHAR"], [("Paris",)], "table", None, None),
    ("one row two numbers", ["orders", "revenue"], ["BIGINT", "DOUBLE"], [(3, 9.5)],
     "table", None, None),
    ("one row three numbers", ["a", "b", "c"], ["BIGINT", "DOUBLE", "DOUBLE"], [(1, 2.0, 3.0)],
     "table", None, None),
    ("text only", ["first_name", "last_name"], ["VARCHAR", "VARCHAR"],
     [("Ada", "Lovelace"), ("Alan", "Turing")], "table", None, None),
    ("a single text column", ["city"], ["VARCHAR"], [("Paris",), ("Lyon",)], "table", None, None),
    ("a single number column", ["amount"], ["DOUBLE"], [(1.0,), (2.0,)], "table", None, None),
    ("two categories and a measure", ["region", "product", "revenue"],
     ["VARCHAR", "VARCHAR", "DOUBLE"], [("North", "a", 1.0), ("South", "b", 2.0)],
     "table", None, None),
    ("three measures", ["a", "b", "c"], ["DOUBLE", "DOUBLE", "DOUBLE"],
     [(1.0, 2.0, 3.0), (4.0, 5.0, 6.0)], "table", None, None),
    ("wide result", ["id", "name", "city", "amount", "created_at"],
     ["BIGINT", "VARCHAR", "VARCHAR", "DOUBLE", "DATE"],
     [(1, "Ada", "Paris", 3.0, date(2024, 1, 1))], "table", None, None),
    ("category with three measures", ["region", "a", "b", "c"],
     ["VARCHAR", "DOUBLE", "DOUBLE", "DOUBLE"], [("North", 1.0, 2.0, 3.0)], "table", None, None),
    ("repeated categories", ["region", "amount"], ["VARCHAR", "DOUBLE"],
     [("North", 1.0), ("North", 2.0), ("South", 3.0)], "table", None, None),
    ("repeated years", ["year", "amount"], ["BIGINT", "DOUBLE"],
     [(2023, 1.0), (2023, 2.0)], "table", None, None),
    ("more than 50 categories", ["product", "units"], ["VARCHAR", "BIGINT"], many(60),
     "table", None, None),
    ("a list column", ["tags", "n"], ["VARCHAR[]", "BIGINT"], [(["a"], 1), (["b"], 2)],
     "table", None, None),
    ("an interval column", ["duration", "n"], ["INTERVAL", "BIGINT"], [("1 day", 1)],
     "table", None, None),
    ("a struct column", ["point", "n"], ["STRUCT(x INTEGER, y INTEGER)", "BIGINT"],
     [({"x": 1, "y": 2}, 1)], "table", None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("columns", "types", "rows", "kind", "x", "y"),
    [pytest.param(*case[1:], id=case[0]) for case in SHAPES],
)
def test_choose_chart_picks_the_kind_that_fits_the_result_shape(columns, types, rows, kind, x, y):
    spec = choose_chart(columns, types, rows)
    assert (spec.kind, spec.x, spec.y) == (kind, x, y)
    assert spec.kind in available_kinds(columns, types, rows)


@pytest.mark.parametrize(
    ("columns", "types", "rows", "expected"),
    [
        pytest.param(["region", "revenue"], ["VARCHAR", "DOUBLE"], [("N", 1.0), ("S", 2.0)],
                     ["bar", "pie", "table"], id="few categories"),
        pytest.param(["region", "avg_price"], ["VARCHAR", "DOUBLE"], [("N", 1.0), ("S", 2.0)],
                     ["bar", "table"], id="an average is not parts of a whole"),
        pytest.param(["region", "revenue"], ["VARCHAR", "DOUBLE"],
                     [(r, float(i)) for i, r in enumerate(REGIONS * 2)][:7],
                     ["table"], id="repeated categories"),
        pytest.param(["region", "delta"], ["VARCHAR", "DOUBLE"], [("N", -1.0), ("S", 2.0)],
                     ["bar", "table"], id="negative values make no pie"),
        pytest.param(["product", "units"], ["VARCHAR", "BIGINT"], many(7),
                     ["bar", "table"], id="seven categories make no pie"),
        pytest.param(["product", "units"], ["VARCHAR", "BIGINT"], many(80),
                     ["bar", "table"], id="many categories may still switch to a top-30 bar"),
        pytest.param(["order_date", "revenue"], ["DATE", "DOUBLE"],
                     [(date(2024, 1, d), 1.0) for d in (1, 2, 3)],
                     ["bar", "line", "scatter", "table"], id="dates"),
        pytest.param(["year", "revenue"], ["BIGINT", "DOUBLE"], [(2023, 1.0), (2024, 2.0)],
                     ["bar", "line", "scatter", "table"], id="years are never pie slices"),
        pytest.param(["order_date", "revenue"], ["DATE", "DOUBLE"],
                     [(date(2024, 1, 1), 1.0), (date(2024, 1, 1), 2.0)],
                     ["scatter", "table"], id="repeated dates"),
        pytest.param(["price", "qty"], ["DOUBLE", "BIGINT"], [(1.0, 2), (3.0, 4)],
                     ["scatter", "table"], id="two measures"),
        pytest.param(["total"], ["BIGINT"], [(5,)], ["metric", "table"], id="single value"),
        pytest.param(["region", "revenue"], ["VARCHAR", "DOUBLE"], [], ["table"], id="empty"),
        pytest.param(["name", "city"], ["VARCHAR", "VARCHAR"], [("a", "b")], ["table"],
                     id="text only"),
    ],
)  # fmt: skip
def test_available_kinds_lists_only_charts_that_fit(columns, types, rows, expected):
    assert available_kinds(columns, types, rows) == expected


def test_every_available_kind_can_be_switched_to_and_drawn():
    for _, columns, types, rows, *_ in SHAPES:
        spec = choose_chart(columns, types, rows)
        for kind in available_kinds(columns, types, rows):
            switched = with_kind(spec, kind, columns, types, rows)
            assert switched.kind == kind
            figure = build_figure(switched, columns, types, rows)
            assert (figure is None) == (kind in ("table", "metric"))


def test_with_kind_switches_a_share_from_pie_to_bar_and_back():
    columns, types = ["region", "share"], ["VARCHAR", "DOUBLE"]
    rows = [("North", 0.5), ("South", 0.5)]
    pie = choose_chart(columns, types, rows)
    bar = with_kind(pie, "bar", columns, types, rows)
    assert (bar.kind, bar.x, bar.y, bar.title) == ("bar", "region", "share", "Share by region")
    assert with_kind(bar, "pie", columns, types, rows) == pie


def test_with_kind_keeps_the_measure_the_user_was_looking_at():
    columns, types = ["region", "orders", "revenue"], ["VARCHAR", "BIGINT", "DOUBLE"]
    rows = [("North", 1, 10.0), ("South", 2, 5.0)]
    spec = ChartSpec("bar", "region", "revenue", "Revenue by region")
    assert with_kind(spec, "pie", columns, types, rows).y == "revenue"
    assert with_kind(spec, "table", columns, types, rows) == ChartSpec("table")


@pytest.mark.parametrize("kind", ["line", "scatter", "pie", "metric"])
def test_with_kind_refuses_a_kind_that_does_not_fit(kind):
    columns, types = ["product", "units"], ["VARCHAR", "BIGINT"]
    rows = many(10)
    with pytest.raises(ValueError, match=kind):
        with_kind(choose_chart(columns, types, rows), kind, columns, types, rows)


def test_switching_many_categories_to_bar_titles_it_top_30():
    columns, types, rows = ["product", "units"], ["VARCHAR", "BIGINT"], many(80)
    spec = with_kind(choose_chart(columns, types, rows), "bar", columns, types, rows)
    assert spec.title == f"Top {TOP_N} product by units"
    figure = build_figure(spec, columns, types, rows)
    assert len(figure.data[0].x) == TOP_N
    assert figure.data[0].x[0] == "product 079"


@pytest.mark.parametrize(
    "spec",
    [
        ChartSpec("bar", "region", "revenue", "Revenue by region"),
        ChartSpec("line", "order_date", "revenue"),
        ChartSpec("scatter", "price", "quantity", "Quantity vs price"),
        ChartSpec("pie", "region", "share", "Share by region"),
        ChartSpec("metric", y="total", title="Total"),
        ChartSpec("table"),
    ],
)
def test_spec_round_trips_through_json(spec):
    stored = json.loads(json.dumps(spec.to_dict()))
    assert ChartSpec.from_dict(stored) == spec
    assert ChartSpec.from_dict(stored, columns=["region", "revenue", "order_date", "price",
                                                "quantity", "share", "total"]) == spec  # fmt: skip


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "bar",
        ["bar", "x", "y"],
        {},
        {"kind": "histogram", "x": "a", "y": "b"},
        {"kind": "BAR", "x": "a", "y": "b"},
        {"kind": ["bar"], "x": "a", "y": "b"},
        {"kind": "bar", "x": "a"},
        {"kind": "bar", "y": "b"},
        {"kind": "line", "x": "", "y": "b"},
        {"kind": "pie", "x": None, "y": "b"},
        {"kind": "metric"},
        {"kind": "bar", "x": 1, "y": "b"},
        {"kind": "bar", "x": "a", "y": {"col": "b"}},
        {"kind": "bar", "x": "a", "y": "b", "title": 3},
    ],
)
def test_from_dict_refuses_malformed_specs(stored):
    with pytest.raises(ValueError):
        ChartSpec.from_dict(stored)


def test_from_dict_refuses_columns_the_result_does_not_have():
    stored = ChartSpec("bar", "region", "revenue").to_dict()
    with pytest.raises(ValueError, match="not in the result"):
        ChartSpec.from_dict(stored, columns=["region", "orders"])


def test_from_dict_treats_a_missing_title_as_empty():
    assert ChartSpec.from_dict({"kind": "table"}) == ChartSpec("table", title="")


def test_bar_is_sorted_by_the_measure_descending_with_missing_values_last():
    columns, types = ["region", "revenue"], ["VARCHAR", "DOUBLE"]
    rows = [("North", 10.0), ("South", None), ("East", 30.0), (None, 20.0)]
    figure = build_figure(choose_chart(columns, types, rows), columns, types, rows)
    (bar,) = figure.data
    assert isinstance(bar, go.Bar)
    assert list(bar.x) == ["East", MISSING_LABEL, "North", "South"]
    assert list(bar.y) == [30.0, 20.0, 10.0, None]


def test_bar_of_40_categories_shows_the_top_30():
    columns, types, rows = ["product", "units"], ["VARCHAR", "BIGINT"], many(40)
    spec = choose_chart(columns, types, rows)
    assert spec.title == "Top 30 product by units"
    (bar,) = build_figure(spec, columns, types, rows).data
    assert len(bar.x) == TOP_N
    assert list(bar.y) == [i * 10 for i in range(39, 9, -1)]


@pytest.mark.parametrize(
    ("types", "rows", "expected_x"),
    [
        (["VARCHAR", "DOUBLE"], [(m, 1.0) for m in MONTHS],
         ["January", "February", "March", "December"]),
        (["VARCHAR", "DOUBLE"], [(m, 1.0) for m in ["Sep", "jan", "Sept.", "Dec"]][1:],
         ["jan", "Sept.", "Dec"]),
        (["BIGINT", "DOUBLE"], [(2023, 1.0), (2021, 9.0), (2022, 5.0)],
         ["2021", "2022", "2023"]),
        (["VARCHAR", "DOUBLE"], [("Q3", 1.0), ("Q1", 9.0), ("Q10", 2.0), ("Q2", 5.0)],
         ["Q1", "Q2", "Q3", "Q10"]),
        (["DECIMAL(4,0)", "DOUBLE"], [(Decimal(12), 1.0), (Decimal(3), 2.0)], ["3", "12"]),
    ],
)  # fmt: skip
def test_bar_keeps_ordinal_categories_in_their_natural_order(types, rows, expected_x):
    columns = ["month" if types[0] == "VARCHAR" else "year", "revenue"]
    spec = choose_chart(columns, types, rows)
    assert spec.kind == "bar"
    (bar,) = build_figure(spec, columns, types, rows).data
    assert list(bar.x) == expected_x
    assert build_figure(spec, columns, types, rows).layout.xaxis.type == "category"


@pytest.mark.parametrize(
    ("types", "rows"),
    [
        (["DATE", "DOUBLE"], [(date(2024, 3, 1), 3.0), (date(2024, 1, 1), 1.0),
                              (date(2024, 2, 1), 2.0)]),
        (["DATE", "DOUBLE"], [("2024-03-01", 3.0), ("2024-01-01", 1.0), ("2024-02-01", 2.0)]),
        (["VARCHAR", "DOUBLE"], [("2024-03", 3.0), ("2024-01", 1.0), ("2024-02", 2.0)]),
        (["TIMESTAMP", "DOUBLE"], [(datetime(2024, 3, 1), 3.0), (datetime(2024, 1, 1), 1.0),
                                   (datetime(2024, 2, 1), 2.0)]),
    ],
)  # fmt: skip
def test_line_is_sorted_by_date_whether_dates_arrive_as_dates_or_text(types, rows):
    columns = ["month", "revenue"]
    spec = choose_chart(columns, types, rows)
    figure = build_figure(spec, columns, types, rows)
    (line,) = figure.data
    assert isinstance(line, go.Scatter)
    assert "lines" in line.mode
    assert [(x.year, x.month, x.day) for x in line.x] == [(2024, 1, 1), (2024, 2, 1), (2024, 3, 1)]
    assert list(line.y) == [1.0, 2.0, 3.0]
    assert figure.layout.xaxis.type == "date"


def test_line_drops_rows_without_a_date_and_keeps_missing_measures_as_gaps():
    columns, types = ["day", "revenue"], ["DATE", "DOUBLE"]
    rows = [(date(2024, 1, 2), None), (None, 5.0), (date(2024, 1, 1), 1.0)]
    (line,) = build_figure(choose_chart(columns, types, rows), columns, types, rows).data
    assert list(line.x) == [date(2024, 1, 1), date(2024, 1, 2)]
    assert list(line.y) == [1.0, None]


def test_long_lines_are_drawn_without_markers():
    columns, types = ["year", "population"], ["BIGINT", "BIGINT"]
    rows = [(1900 + i, i) for i in range(100)]
    (line,) = build_figure(choose_chart(columns, types, rows), columns, types, rows).data
    assert line.mode == "lines"
    assert list(line.x)[:2] == ["1900", "1901"]


def test_scatter_plots_two_measures_as_markers_skipping_incomplete_rows():
    columns, types = ["price", "quantity"], ["DECIMAL(10,2)", "BIGINT"]
    rows = [(Decimal("1.50"), 5), (None, 3), (Decimal("4.00"), None), (Decimal("2.25"), 1)]
    figure = build_figure(choose_chart(columns, types, rows), columns, types, rows)
    (scatter,) = figure.data
    assert isinstance(scatter, go.Scatter)
    assert scatter.mode == "markers"
    assert list(scatter.x) == [1.5, 2.25]
    assert list(scatter.y) == [5, 1]
    assert figure.layout.xaxis.title.text == "Price"
    assert figure.layout.yaxis.title.text == "Quantity"


def test_pie_shows_parts_largest_first_and_leaves_out_missing_values():
    columns, types = ["channel", "share"], ["VARCHAR", "DOUBLE"]
    rows = [("store", 0.25), ("web", 0.6), ("phone", None), ("mail", 0.15)]
    spec = choose_chart(columns, types, rows)
    assert spec.kind == "pie"
    (pie,) = build_figure(spec, columns, types, rows).data
    assert isinstance(pie, go.Pie)
    assert list(pie.labels) == ["web", "store", "mail"]
    assert list(pie.values) == [0.6, 0.25, 0.15]


def test_decimal_measures_are_drawn_as_numbers():
    columns, types = ["region", "revenue"], ["VARCHAR", "DECIMAL(18,2)"]
    rows = [("North", Decimal("1234.50")), ("South", "99.25")]  # text, as a payload keeps it
    (bar,) = build_figure(choose_chart(columns, types, rows), columns, types, rows).data
    assert list(bar.y) == [1234.5, 99.25]


def test_figure_has_readable_titles_and_thousands_separators():
    columns, types = ["sales_region", "total_sales"], ["VARCHAR", "DOUBLE"]
    rows = [("North", 1_234_567.891), ("South", 2_000.0)]
    spec = choose_chart(columns, types, rows)
    figure = build_figure(spec, columns, types, rows)
    assert figure.layout.title.text == "Total sales by sales region"
    assert figure.layout.xaxis.title.text == "Sales region"
    assert figure.layout.yaxis.title.text == "Total sales"
    assert figure.layout.yaxis.tickformat.startswith(",")
    assert "%{y:," in figure.data[0].hovertemplate


def test_figure_template_works_on_light_and_dark_backgrounds():
    columns, types, rows = ["region", "revenue"], ["VARCHAR", "DOUBLE"], [("N", 1.0)]
    figure = build_figure(choose_chart(columns, types, rows), columns, types, rows)
    layout = figure.layout.template.layout
    assert layout.paper_bgcolor == "rgba(0,0,0,0)"
    assert layout.plot_bgcolor == "rgba(0,0,0,0)"


@pytest.mark.parametrize(
    "spec",
    [
        ChartSpec("table"),
        ChartSpec("metric", y="revenue"),
        ChartSpec("bar", "region", "profit"),
        ChartSpec("bar", "city", "revenue"),
        ChartSpec("scatter", "region", "revenue"),
        ChartSpec("line", "region", "revenue"),
    ],
)
def test_build_figure_returns_none_for_cards_tables_and_specs_that_no_longer_fit(spec):
    columns, types = ["region", "revenue"], ["VARCHAR", "DOUBLE"]
    assert build_figure(spec, columns, types, [("North", 1.0), ("South", 2.0)]) is None


def test_build_figure_draws_nothing_for_an_empty_result():
    spec = ChartSpec("bar", "region", "revenue")
    assert build_figure(spec, ["region", "revenue"], ["VARCHAR", "DOUBLE"], []) is None


@pytest.mark.parametrize(
    ("columns", "rows", "expected"),
    [
        (["total_revenue"], [(1234.5,)], ("Total revenue", 1234.5)),
        (["orders"], [(Decimal("42"),)], ("Orders", 42)),
        (["avg_price"], [(Decimal("9.99"),)], ("Avg price", 9.99)),
        (["max_price"], [(None,)], ("Max price", None)),
        (["orders"], [], ("Orders", None)),
    ],
)
def test_metric_value_gives_the_card_label_and_a_plain_value(columns, rows, expected):
    label, value = metric_value(ChartSpec("metric", y=columns[0]), columns, rows)
    assert (label, value) == expected
    assert type(value) is type(expected[1])


def test_metric_value_uses_the_spec_title_and_refuses_unknown_columns():
    spec = ChartSpec("metric", y="n", title="Customers")
    assert metric_value(spec, ["n"], [(7,)]) == ("Customers", 7)
    with pytest.raises(ValueError, match="not in the result"):
        metric_value(ChartSpec("metric", y="total"), ["n"], [(7,)])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("total_sales", "Total sales"),
        ("order_date", "Order date"),
        ("revenue", "Revenue"),
        ("__weird__name__", "Weird name"),
        ("count_star()", "Count star()"),
        ("Already Nice", "Already Nice"),
        ("", ""),
    ],
)
def test_humanize_turns_column_names_into_axis_titles(name, expected):
    assert humanize(name) == expected


@pytest.mark.parametrize(
    ("columns", "types", "rows"),
    [
        (["a", "b"], ["VARCHAR"], [("x", 1)]),
        (["a", "b"], ["VARCHAR", "DOUBLE"], [("x",)]),
    ],
)
def test_mismatched_inputs_are_refused(columns, types, rows):
    with pytest.raises(ValueError):
        choose_chart(columns, types, rows)


def test_boolean_categories_are_labelled_true_and_false():
    columns, types = ["is_member", "customers"], ["BOOLEAN", "BIGINT"]
    rows = [(True, 40), (False, 60), (None, 3)]
    (bar,) = build_figure(choose_chart(columns, types, rows), columns, types, rows).data
    assert list(bar.x) == ["false", "true", MISSING_LABEL]


def test_switching_to_pie_draws_the_measure_that_adds_up():
    columns, types = ["region", "orders", "avg_amount"], ["VARCHAR", "BIGINT", "DOUBLE"]
    rows = [("North", 4, 2.5), ("South", 2, 9.0)]
    spec = ChartSpec("bar", "region", "avg_amount", "Avg amount by region")
    assert with_kind(spec, "pie", columns, types, rows).y == "orders"


@pytest.fixture(scope="module")
def orders():
    import duckdb

    con = duckdb.connect()
    con.execute(
        """CREATE TABLE orders AS SELECT * FROM (VALUES
             ('North', DATE '2024-01-05', 10, 2.50::DECIMAL(10,2), true),
             ('South', DATE '2024-02-05', 20, 3.50::DECIMAL(10,2), false),
             ('East',  DATE '2024-03-09', 5,  9.00::DECIMAL(10,2), true)
           ) v(region, order_date, qty, price, member)"""
    )
    yield con
    con.close()


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("SELECT region, sum(qty) AS units FROM orders GROUP BY 1", "bar"),
        ("SELECT date_trunc('month', order_date) AS month, sum(price) FROM orders GROUP BY 1",
         "line"),
        ("SELECT strftime(order_date, '%Y-%m') AS month, avg(qty) FROM orders GROUP BY 1", "line"),
        ("SELECT year(order_date) AS year, sum(qty) FROM orders GROUP BY 1", "bar"),
        ("SELECT member, count(*) FROM orders GROUP BY 1", "bar"),
        ("SELECT count(*) FROM orders", "metric"),
        ("SELECT sum(price) AS revenue FROM orders", "metric"),
        ("SELECT price, qty FROM orders", "scatter"),
        ("SELECT region, sum(qty) / (SELECT sum(qty) FROM orders) AS share FROM orders GROUP BY 1",
         "pie"),
        ("SELECT * FROM orders", "table"),
        ("SELECT list(region) AS regions, count(*) FROM orders", "table"),
        ("SELECT region, qty FROM orders WHERE qty > 100", "table"),
    ],
)  # fmt: skip
def test_charts_fit_real_duckdb_results(orders, sql, kind):
    cursor = orders.execute(sql)
    columns = [d[0] for d in cursor.description]
    types = [str(d[1]) for d in cursor.description]
    rows = cursor.fetchall()
    spec = choose_chart(columns, types, rows)
    assert spec.kind == kind
    figure = build_figure(spec, columns, types, rows)
    assert (figure is None) == (kind in ("metric", "table"))


def _as_payload(rows: list) -> list:
    """Rows as a message payload keeps them: JSON, dates as ISO text, decimals as floats."""

    def encode(value):
        if isinstance(value, date | datetime | time):
            return value.isoformat()
        if isinstance(value, Decimal):
            return float(value)
        raise TypeError(type(value))

    return json.loads(json.dumps(rows, default=encode))


@pytest.mark.parametrize(
    ("columns", "types", "rows"),
    [pytest.param(*case[1:4], id=case[0]) for case in SHAPES],
)
def test_a_stored_answer_redraws_as_it_was_first_drawn(columns, types, rows):
    stored = _as_payload(rows)
    spec = choose_chart(columns, types, rows)
    assert choose_chart(columns, types, stored) == spec
    assert available_kinds(columns, types, stored) == available_kinds(columns, types, rows)
    live = build_figure(spec, columns, types, rows)
    redrawn = build_figure(spec, columns, types, stored)
    assert _drawn(redrawn) == _drawn(live)


def _drawn(figure: go.Figure | None) -> list | None:
    if figure is None:
        return None
    trace = figure.data[0]
    if isinstance(trace, go.Pie):
        return [list(trace.labels), list(trace.values)]
    return [list(trace.x), list(trace.y)]
