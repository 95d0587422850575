"""The rules engine end to end on realistic data: every answer is checked against pandas.

Two CSVs (2,000 orders, 300 customers) are written with a seeded generator, loaded into a real
DuckDB file and profiled with plain DuckDB queries. Each question's SQL goes through the SQL
guard and runs on DuckDB; the expected answer is computed independently with pandas.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from core.catalog import ColumnInfo, TableInfo, Turn, column_kind
from core.nl2sql.guard import guard_sql
from core.nl2sql.rules import RulesEngine

REGIONS = ["Europe", "North America", "Asia", "Latin America"]
PRODUCTS = {
    "Laptop": ("Electronics", 900.0),
    "Phone": ("Electronics", 600.0),
    "Monitor": ("Electronics", 300.0),
    "Desk": ("Furniture", 250.0),
    "Chair": ("Furniture", 120.0),
    "Lamp": ("Furniture", 45.0),
    "Pen": ("Office Supplies", 2.5),
    "Notebook": ("Office Supplies", 4.0),
}
CHANNELS = ["Online", "Retail", "Partner"]
COUNTRIES = ["Germany", "France", "Spain", "Japan", "Brazil", "Canada", "USA"]
SEGMENTS = ["Consumer", "Corporate", "Small Business"]


def write_csvs(folder: Path) -> None:
    rng = random.Random(20240601)
    start = date(2023, 1, 1)
    with (folder / "orders.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["order_id", "order_date", "region", "product", "category", "channel",
             "quantity", "unit_price", "revenue", "customer_id"]
        )  # fmt: skip
        for n in range(2000):
            product = rng.choice(list(PRODUCTS))
            category, list_price = PRODUCTS[product]
            quantity = rng.randint(1, 20)
            price = round(list_price * rng.uniform(0.85, 1.15), 2)
            out.writerow(
                [10_000 + n, start + timedelta(days=rng.randint(0, 730)), rng.choice(REGIONS),
                 product, category, rng.choice(CHANNELS), quantity, price,
                 round(quantity * price, 2), rng.randint(1, 300)]
            )  # fmt: skip
    with (folder / "customers.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["customer_id", "customer_name", "country", "segment", "signup_date"])
        for n in range(1, 301):
            signup = date(2021, 1, 1) + timedelta(days=rng.randint(0, 1000))
            out.writerow(
                [n, f"Customer {n:03d}", rng.choice(COUNTRIES), rng.choice(SEGMENTS), signup]
            )


def profile(con: duckdb.DuckDBPyConnection, table: str) -> TableInfo:
    """What an upload's profile holds: type, distinct count, range, top and sample values."""
    rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    columns = []
    for name, data_type, *_ in con.execute(f'DESCRIBE "{table}"').fetchall():
        q = f'"{name}"'
        nulls, distinct = con.execute(
            f'SELECT count(*) - count({q}), count(DISTINCT {q}) FROM "{table}"'
        ).fetchone()
        kind = column_kind(data_type)
        low = high = mean = None
        if kind in ("number", "date"):
            low, high = con.execute(f'SELECT min({q}), max({q}) FROM "{table}"').fetchone()
        if kind == "date":
            low, high = str(low), str(high)
        if kind == "number":
            mean = con.execute(f'SELECT avg({q}) FROM "{table}"').fetchone()[0]
        top: tuple = ()
        if kind == "text" and distinct <= 50:
            top = tuple(
                con.execute(
                    f'SELECT {q}, count(*) AS n FROM "{table}" GROUP BY 1 ORDER BY n DESC, 1'
                ).fetchall()
            )
        samples = tuple(
            r[0]
            for r in con.execute(
                f'SELECT DISTINCT {q} FROM "{table}" WHERE {q} IS NOT NULL ORDER BY 1 LIMIT 5'
            ).fetchall()
        )
        columns.append(
            ColumnInfo(name, name, data_type, nulls, distinct, low, high, mean, samples, top)
        )
    return TableInfo(table, rows, tuple(columns), f"{table}.csv")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("rules_data")
    write_csvs(folder)
    con = duckdb.connect(str(folder / "data.duckdb"))
    for name in ("orders", "customers"):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{folder / name}.csv')")
    tables = [profile(con, "orders"), profile(con, "customers")]
    orders = pd.read_csv(folder / "orders.csv", parse_dates=["order_date"])
    customers = pd.read_csv(folder / "customers.csv", parse_dates=["signup_date"])
    yield con, tables, orders, customers
    con.close()


def run(con, tables: list[TableInfo], sql: str) -> tuple[list[str], list[tuple]]:
    guarded = guard_sql(sql, [t.name for t in tables], 100_000)
    cursor = con.execute(guarded.sql)
    return [d[0] for d in cursor.description], cursor.fetchall()


# --- expected answers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    question: str
    kind: str  # scalar | mapping | ranking | values | rows
    expect: Callable[[pd.DataFrame, pd.DataFrame], Any]


def _between(df: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    return df[(df.order_date >= start) & (df.order_date < end)]


def _share(series: pd.Series) -> dict:
    return (100 * series / series.sum()).round(2).to_dict()


def _month(df: pd.DataFrame) -> pd.Series:
    return df.order_date.dt.to_period("M").dt.to_timestamp()


CASES = [
    # counts, with filters on values, numbers and dates
    Case("how many orders", "scalar", lambda o, c: len(o)),
    Case("number of orders in Europe", "scalar", lambda o, c: (o.region == "Europe").sum()),
    Case("How many orders from north america?", "scalar",
         lambda o, c: (o.region == "North America").sum()),
    Case("count of orders with quantity more than 15", "scalar",
         lambda o, c: (o.quantity > 15).sum()),
    Case("how many orders with quantity at least 5 and revenue under 100", "scalar",
         lambda o, c: ((o.quantity >= 5) & (o.revenue < 100)).sum()),
    Case("how many orders with quantity between 10 and 20", "scalar",
         lambda o, c: o.quantity.between(10, 20).sum()),
    Case("how many orders with revenue over 5,000", "scalar",
         lambda o, c: (o.revenue > 5000).sum()),
    Case("how many orders in 2024", "scalar", lambda o, c: (o.order_date.dt.year == 2024).sum()),
    Case("how many orders in March 2024", "scalar",
         lambda o, c: len(_between(o, "2024-03-01", "2024-04-01"))),
    Case("how many orders before 2024-06-01", "scalar",
         lambda o, c: (o.order_date < "2024-06-01").sum()),
    Case("how many orders after May 2023", "scalar",
         lambda o, c: (o.order_date >= "2023-06-01").sum()),
    Case("how many orders not in Europe", "scalar", lambda o, c: (o.region != "Europe").sum()),
    Case("number of customers in Europe", "scalar",
         lambda o, c: o[o.region == "Europe"].customer_id.nunique()),
    Case("how many customers in Germany", "scalar", lambda o, c: (c.country == "Germany").sum()),
    Case("how many customers with signup date in 2023", "scalar",
         lambda o, c: (c.signup_date.dt.year == 2023).sum()),
    # totals, averages, medians, minimum and maximum
    Case("total revenue", "scalar", lambda o, c: o.revenue.sum()),
    Case("total revenue in Europe", "scalar", lambda o, c: o[o.region == "Europe"].revenue.sum()),
    Case("sum of revenue for electronics in 2024", "scalar",
         lambda o, c: (
             o[(o.category == "Electronics") & (o.order_date.dt.year == 2024)].revenue.sum()
         )),
    Case("total sales for laptops", "scalar",
         lambda o, c: o[o["product"] == "Laptop"].revenue.sum()),
    Case("total revenue for 'Desk'", "scalar",
         lambda o, c: o[o["product"] == "Desk"].revenue.sum()),
    Case("average unit price", "scalar", lambda o, c: o.unit_price.mean()),
    Case("average revenue of online orders", "scalar",
         lambda o, c: o[o.channel == "Online"].revenue.mean()),
    Case("median quantity", "scalar", lambda o, c: o.quantity.median()),
    Case("lowest unit price", "scalar", lambda o, c: o.unit_price.min()),
    Case("what is the highest revenue", "scalar", lambda o, c: o.revenue.max()),
    # per group
    Case("total revenue by region", "mapping",
         lambda o, c: o.groupby("region").revenue.sum().to_dict()),
    Case("average quantity per product", "mapping",
         lambda o, c: o.groupby("product").quantity.mean().to_dict()),
    Case("total sales for each category", "mapping",
         lambda o, c: o.groupby("category").revenue.sum().to_dict()),
    Case("median revenue by channel", "mapping",
         lambda o, c: o.groupby("channel").revenue.median().to_dict()),
    Case("highest unit price per category", "mapping",
         lambda o, c: o.groupby("category").unit_price.max().to_dict()),
    Case("how many customers per country", "mapping",
         lambda o, c: c.country.value_counts().to_dict()),
    Case("number of orders by channel in Asia", "mapping",
         lambda o, c: o[o.region == "Asia"].channel.value_counts().to_dict()),
    # top / bottom N
    Case("top 5 products by revenue", "ranking",
         lambda o, c: o.groupby("product").revenue.sum().sort_values(ascending=False).head(5)),
    Case("3 lowest regions by quantity", "ranking",
         lambda o, c: o.groupby("region").quantity.sum().sort_values().head(3)),
    Case("top 3 customers by revenue", "ranking",
         lambda o, c: o.groupby("customer_id").revenue.sum().sort_values(ascending=False).head(3)),
    Case("which region has the highest revenue", "ranking",
         lambda o, c: o.groupby("region").revenue.sum().sort_values(ascending=False).head(1)),
    Case("which product has the lowest total quantity", "ranking",
         lambda o, c: o.groupby("product").quantity.sum().sort_values().head(1)),
    Case("which customers have more than 12 orders", "mapping",
         lambda o, c: o.customer_id.value_counts().loc[lambda n: n > 12].to_dict()),
    Case("which products have at least 240 orders in 2024", "mapping",
         lambda o, c: o[o.order_date.dt.year == 2024]["product"].value_counts()
         .loc[lambda n: n >= 240].to_dict()),
    # trends
    Case("revenue per month", "mapping", lambda o, c: o.groupby(_month(o)).revenue.sum().to_dict()),
    Case("number of orders per month in 2024", "mapping",
         lambda o, c: o[o.order_date.dt.year == 2024].groupby(_month(o)).size().to_dict()),
    Case("monthly quantity", "mapping", lambda o, c: o.groupby(_month(o)).quantity.sum().to_dict()),
    Case("total quantity by year", "mapping",
         lambda o, c: (
             o.groupby(o.order_date.dt.to_period("Y").dt.to_timestamp()).quantity.sum().to_dict()
         )),
    # distinct values
    Case("which regions are there", "values", lambda o, c: set(o["region"])),
    Case("list the products", "values", lambda o, c: set(o["product"])),
    Case("what are the categories", "values", lambda o, c: set(o["category"])),
    Case("which products were ordered in Latin America with quantity over 19", "values",
         lambda o, c: set(o[(o.region == "Latin America") & (o.quantity > 19)]["product"])),
    # share of total
    Case("share of revenue by region", "mapping",
         lambda o, c: _share(o.groupby("region").revenue.sum())),
    Case("percentage of orders per channel", "mapping",
         lambda o, c: _share(o.channel.value_counts())),
    Case("what percentage of orders are from Europe", "scalar",
         lambda o, c: round(100 * (o.region == "Europe").mean(), 2)),
    # two tables joined on their shared key
    Case("total revenue by country", "mapping",
         lambda o, c: o.merge(c, on="customer_id").groupby("country").revenue.sum().to_dict()),
    Case("how many orders from customers in Germany", "scalar",
         lambda o, c: (o.merge(c, on="customer_id").country == "Germany").sum()),
    Case("average revenue per segment in 2024", "mapping",
         lambda o, c: o[o.order_date.dt.year == 2024].merge(c, on="customer_id")
         .groupby("segment").revenue.mean().to_dict()),
    # rows
    Case("show rows where region is Europe", "rows",
         lambda o, c: set(o[o.region == "Europe"].order_id)),
    Case("show orders from Asia with quantity over 18", "rows",
         lambda o, c: set(o[(o.region == "Asia") & (o.quantity > 18)].order_id)),
    Case("show orders for laptops", "rows", lambda o, c: set(o[o["product"] == "Laptop"].order_id)),
    Case("orders from Europe or Asia in 2023", "rows",
         lambda o, c: (
             set(o[o.region.isin(["Europe", "Asia"]) & (o.order_date.dt.year == 2023)].order_id)
         )),
]  # fmt: skip


def _key(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "date") and not isinstance(value, date):
        return value.date()
    return value


def check(case: Case, expected: Any, columns: list[str], rows: list[tuple]) -> None:
    if case.kind == "scalar":
        assert len(rows) == 1 and len(rows[0]) == 1
        assert float(rows[0][0]) == pytest.approx(float(expected), rel=1e-9)
    elif case.kind == "mapping":
        got = {_key(r[0]): float(r[-1] if columns[-1] != "share_pct" else r[-1]) for r in rows}
        want = {_key(k): float(v) for k, v in expected.items()}
        assert got.keys() == want.keys()
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    elif case.kind == "ranking":
        assert [r[0] for r in rows] == list(expected.index)
        assert [float(r[-1]) for r in rows] == pytest.approx([float(v) for v in expected.values])
    elif case.kind == "values":
        assert len(columns) == 1
        assert [r[0] for r in rows] == sorted(expected)
    elif case.kind == "rows":
        order_ids = {r[columns.index("order_id")] for r in rows}
        assert order_ids == expected
    else:  # pragma: no cover - a typo in CASES
        raise AssertionError(case.kind)


@pytest.mark.parametrize("case", CASES, ids=[c.question for c in CASES])
def test_rules_engine_answers_like_pandas(world, case: Case) -> None:
    con, tables, orders, customers = world
    draft = RulesEngine().draft(case.question, tables)
    assert draft.sql is not None, draft.understanding
    assert draft.engine == "rules" and draft.understanding
    columns, rows = run(con, tables, draft.sql)
    check(case, case.expect(orders, customers), columns, rows)


REFUSALS = [
    ("what is the meaning of life", ["meaning", "life"]),
    ("total foo by bar", ["foo", "bar"]),
    ("how many orders from Atlantis", ["atlantis"]),
    ("average revenue per unicorn", ["unicorn"]),
    ("show me the weather in Paris tomorrow", ["weather"]),
    ("how many unicorns", ["unicorns"]),
    ("which orders were delayed by the strike", ["delayed", "strike"]),
]


@pytest.mark.parametrize(("question", "named"), REFUSALS, ids=[q for q, _ in REFUSALS])
def test_rules_engine_refuses_what_it_cannot_map(world, question: str, named: list[str]) -> None:
    con, tables, *_ = world
    draft = RulesEngine().draft(question, tables)
    assert draft.sql is None
    assert draft.understanding.startswith("I could not map")
    for word in named:
        assert f"'{word}'" in draft.understanding.lower()
    assert len(draft.suggestions) == 3
    real = {c.name.replace("_", " ") for t in tables for c in t.columns} | {"orders", "customers"}
    for suggestion in draft.suggestions:
        assert any(name in suggestion for name in real), suggestion


def test_suggestions_are_questions_the_engine_answers(world) -> None:
    con, tables, *_ = world
    engine = RulesEngine()
    suggestions = engine.draft("what is the meaning of life", tables).suggestions
    for suggestion in suggestions:
        draft = engine.draft(suggestion, tables)
        assert draft.sql is not None, suggestion
        columns, rows = run(con, tables, draft.sql)
        assert rows, suggestion


def test_follow_up_reuses_the_previous_question(world) -> None:
    con, tables, orders, _ = world
    engine = RulesEngine()
    first = engine.draft("total revenue in 2024", tables)
    turn = Turn("total revenue in 2024", first.sql, "…")
    by_region = engine.draft("and by region?", tables, [turn])
    assert by_region.sql is not None, by_region.understanding
    _, rows = run(con, tables, by_region.sql)
    want = orders[orders.order_date.dt.year == 2024].groupby("region").revenue.sum()
    assert {r[0]: r[1] for r in rows} == pytest.approx(want.to_dict())
    other_year = engine.draft("what about 2023?", tables, [turn])
    assert other_year.sql is not None, other_year.understanding
    _, rows = run(con, tables, other_year.sql)
    assert rows[0][0] == pytest.approx(orders[orders.order_date.dt.year == 2023].revenue.sum())


def test_answer_sentences_state_the_result(world) -> None:
    con, tables, orders, _ = world
    engine = RulesEngine()
    total = engine.draft("total revenue", tables)
    columns, rows = run(con, tables, total.sql)
    sentence = engine.answer_sentence(total, columns, rows, len(rows))
    assert sentence == f"Total revenue is {orders.revenue.sum():,.2f}."
    by_region = engine.draft("total revenue by region", tables)
    columns, rows = run(con, tables, by_region.sql)
    best = orders.groupby("region").revenue.sum().sort_values(ascending=False)
    sentence = engine.answer_sentence(by_region, columns, rows, len(rows))
    assert sentence.startswith(
        f"{best.index[0]} has the highest total revenue ({best.iloc[0]:,.2f})"
    )
    assert "of 4 regions" in sentence


MIX_WORDS = [
    "how", "many", "orders", "customers", "total", "average", "median", "revenue", "sales",
    "quantity", "unit", "price", "by", "per", "region", "product", "category", "channel",
    "country", "segment", "top", "3", "lowest", "highest", "in", "2024", "March", "before",
    "after", "2023-06-01", "over", "100", "between", "10", "and", "20", "not", "Europe",
    "Asia", "laptops", "online", "which", "list", "show", "rows", "where", "share", "of",
    "percentage", "monthly", "trend", "year", "first", "last", "next", "difference", "than",
    "more", "same", "as", "Germany", "the", "is", "or", "customer", "id", "date", "signup",
]  # fmt: skip


def test_every_sql_the_engine_writes_runs(world) -> None:
    """Seeded mixes of this data's own words: whatever is answered must pass the guard and run."""
    con, tables, *_ = world
    engine = RulesEngine()
    rng = random.Random(7)
    answered = 0
    for _ in range(600):
        question = " ".join(rng.choice(MIX_WORDS) for _ in range(rng.randint(2, 9)))
        draft = engine.draft(question, tables)
        if draft.sql is None:
            assert draft.suggestions, question
            continue
        answered += 1
        try:
            run(con, tables, draft.sql)
        except Exception as error:  # pragma: no cover - the message names the question
            raise AssertionError(f"{question!r} -> {draft.sql}: {error}") from error
    assert answered > 50  # the mix exercises the shapes, not only refusals
