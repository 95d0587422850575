"""Each question shape on hand-built tables: the SQL parses and says what the question asked.

Results are checked on real DuckDB in tests/integration/test_rules_on_sample_data.py; here the
point is the shape: which aggregate, which group, which filter, what the engine says it did.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from core.catalog import ColumnInfo, TableInfo, Turn
from core.nl2sql.rules import RulesEngine

ORDERS = TableInfo(
    "orders",
    2000,
    (
        ColumnInfo("order_id", "Order ID", "BIGINT", 0, 2000, 1, 2000, 1000.0),
        ColumnInfo("order_date", "Order date", "DATE", 0, 700, "2023-01-01", "2024-12-31"),
        ColumnInfo(
            "region", "Region", "VARCHAR", 0, 4,
            top_values=(("Europe", 600), ("Asia", 500), ("North America", 500), ("Africa", 400)),
        ),
        ColumnInfo(
            "product", "Product", "VARCHAR", 0, 3,
            top_values=(("Laptop", 900), ("Phone", 700), ("Desk", 400)),
        ),
        ColumnInfo(
            "channel", "Channel", "VARCHAR", 0, 2, top_values=(("Online", 1200), ("Retail", 800))
        ),
        ColumnInfo("quantity", "Quantity", "BIGINT", 0, 20, 1, 20, 10.0),
        ColumnInfo("unit_price", "Unit price", "DOUBLE", 0, 1500, 2.0, 999.0, 300.0),
        ColumnInfo("revenue", "Revenue", "DOUBLE", 0, 1900, 2.0, 19000.0, 3000.0),
        ColumnInfo("customer_id", "Customer ID", "BIGINT", 0, 300, 1, 300, 150.0),
    ),
    "orders.csv",
)  # fmt: skip
CUSTOMERS = TableInfo(
    "customers",
    300,
    (
        ColumnInfo("customer_id", "Customer ID", "BIGINT", 0, 300, 1, 300, 150.0),
        ColumnInfo("customer_name", "Name", "VARCHAR", 0, 300, sample_values=("Ada", "Bo")),
        ColumnInfo(
            "country", "Country", "VARCHAR", 0, 2, top_values=(("Germany", 200), ("Japan", 100))
        ),
    ),
    "customers.csv",
)
MEDALS = TableInfo(
    "medals",
    5,
    (
        ColumnInfo("rank", "Rank", "BIGINT", 0, 4, 1, 4, 2.5),
        ColumnInfo(
            "nation", "Nation", "VARCHAR", 0, 5,
            top_values=(("Algeria", 1), ("Cameroon", 1), ("Egypt", 1), ("Tunisia", 1),
                        ("Total", 1)),
        ),  # fmt: skip
        ColumnInfo("gold", "Gold", "BIGINT", 0, 5, 0, 20, 6.0),
        ColumnInfo("silver", "Silver", "BIGINT", 0, 5, 0, 18, 5.0),
        ColumnInfo("total", "Total", "BIGINT", 0, 5, 1, 50, 15.0),
    ),
    "medals.csv",
)  # fmt: skip


def draft(question: str, *tables: TableInfo, history: tuple[Turn, ...] = ()):
    return RulesEngine().draft(question, list(tables) or [ORDERS], history)


def tree(sql: str) -> exp.Expr:
    parsed = sqlglot.parse_one(sql, read="duckdb")
    assert parsed is not None
    return parsed


def answered(question: str, *tables: TableInfo):
    result = draft(question, *tables)
    assert result.sql is not None, result.understanding
    return result, tree(result.sql)


@pytest.mark.parametrize(
    ("question", "aggregate", "column"),
    [
        ("total revenue", exp.Sum, "revenue"),
        ("sum of sales", exp.Sum, "revenue"),
        ("average unit price", exp.Avg, "unit_price"),
        ("mean quantity", exp.Avg, "quantity"),
        ("median revenue", exp.Median, "revenue"),
        ("minimum unit price", exp.Min, "unit_price"),
        ("what is the highest revenue", exp.Max, "revenue"),
        ("how many units", exp.Sum, "quantity"),
    ],
)
def test_aggregate_of_a_measure(question: str, aggregate: type, column: str) -> None:
    _, sql = answered(question)
    found = list(sql.find_all(aggregate))
    assert len(found) == 1 and found[0].find(exp.Column).name == column
    assert sql.find(exp.Group) is None


@pytest.mark.parametrize(
    ("question", "understanding"),
    [
        ("how many orders", "Count of orders"),
        ("number of orders in Europe", "Count of orders where region is Europe"),
        ("total revenue by region", "Total revenue per region, highest first"),
        ("average unit price per product in 2024",
         "Average unit price per product where order date is in 2024, highest first"),
        ("top 5 products by revenue", "Top 5 product by total revenue"),
        ("which region has the highest revenue", "The region with the highest total revenue"),
        ("revenue per month", "Total revenue per month of order date, in date order"),
        ("which regions are there", "The distinct values of region"),
        ("share of revenue by region",
         "Share of the total revenue per region, in percent of the total"),
        ("show orders from Asia", "Rows where region is Asia"),
        ("how many orders with quantity between 5 and 10",
         "Count of orders where quantity is between 5 and 10"),
        ("orders before March 2024", "Rows where order date is before March 2024"),
    ],
)  # fmt: skip
def test_understanding_says_how_the_question_was_read(question: str, understanding: str) -> None:
    assert draft(question).understanding == understanding


def test_group_by_orders_highest_first() -> None:
    _, sql = answered("total revenue per region")
    assert [c.name for c in sql.find(exp.Group).find_all(exp.Column)] == ["region"]
    assert sql.find(exp.Ordered).args.get("desc")


def test_top_n_limits_to_n_and_ranks() -> None:
    result, sql = answered("3 lowest products by quantity")
    assert sql.find(exp.Limit).expression.name == "3"
    assert not sql.find(exp.Ordered).args.get("desc")
    assert result.understanding == "Bottom 3 product by total quantity"


def test_no_limit_unless_the_question_asks_for_top_n() -> None:
    for question in ("total revenue by region", "show orders from Europe", "list the products"):
        _, sql = answered(question)
        assert sql.find(exp.Limit) is None, question


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        ("orders with quantity more than 5", '"quantity" > 5'),
        ("orders with quantity over 5", '"quantity" > 5'),
        ("orders with quantity above 5", '"quantity" > 5'),
        ("orders with quantity at least 5", '"quantity" >= 5'),
        ("orders with 5 or more quantity", '"quantity" >= 5'),
        ("orders with quantity less than 5", '"quantity" < 5'),
        ("orders with quantity under 5", '"quantity" < 5'),
        ("orders with quantity at most 5", '"quantity" <= 5'),
        ("orders with quantity not more than 5", '"quantity" <= 5'),
        ("orders with quantity between 10 and 20", '"quantity" BETWEEN 10 AND 20'),
        ("orders with revenue over 1,500.50", '"revenue" > 1500.5'),
        ("orders in Europe", "\"region\" = 'Europe'"),
        ("orders not in Europe", "\"region\" != 'Europe'"),
        ("orders from Europe or Asia", "\"region\" IN ('Europe', 'Asia')"),
        ("orders excluding laptops", "\"product\" != 'Laptop'"),
        ("online orders", "\"channel\" = 'Online'"),
        ("orders in 2024",
         "\"order_date\" >= DATE '2024-01-01' AND \"order_date\" < DATE '2025-01-01'"),
        ("orders in March 2024",
         "\"order_date\" >= DATE '2024-03-01' AND \"order_date\" < DATE '2024-04-01'"),
        ("orders before 2024-06-01", "\"order_date\" < DATE '2024-06-01'"),
        ("orders after May 2023", "\"order_date\" >= DATE '2023-06-01'"),
        ("orders since May 2023", "\"order_date\" >= DATE '2023-05-01'"),
        ("orders between 2023 and 2024",
         "\"order_date\" >= DATE '2023-01-01' AND \"order_date\" < DATE '2025-01-01'"),
        ("orders in july", 'extract(month FROM "order_date") = 7'),
    ],
)  # fmt: skip
def test_filters(question: str, condition: str) -> None:
    result = draft(question)
    assert result.sql is not None, result.understanding
    assert condition in result.sql
    tree(result.sql)


@pytest.mark.parametrize(
    ("question", "grain"),
    [("revenue per month", "month"), ("monthly revenue", "month"), ("orders by year", "year"),
     ("weekly quantity", "week"), ("revenue for each quarter", "quarter"),
     ("revenue trend", "month")],
)  # fmt: skip
def test_trends_bucket_the_date_column(question: str, grain: str) -> None:
    result, sql = answered(question)
    assert f"date_trunc('{grain}', \"order_date\")" in result.sql
    assert sql.find(exp.Group) is not None


def test_distinct_values_are_listed_sorted() -> None:
    result, sql = answered("list the products")
    assert sql.args.get("distinct") is not None
    assert 'ORDER BY "product"' in result.sql


def test_share_divides_by_the_total() -> None:
    result, sql = answered("percentage of orders per channel")
    assert '"share_pct"' in result.sql
    assert sql.find(exp.Subquery) is not None


def test_share_of_a_filter_is_one_number() -> None:
    result, _ = answered("what percentage of orders are from Europe")
    assert result.sql.startswith("SELECT round(100.0 * count(*) / (SELECT count(*)")
    assert "WHERE \"region\" = 'Europe'" in result.sql


def test_show_rows_selects_everything_that_matches() -> None:
    result, sql = answered("show rows where region is Europe")
    assert result.sql == 'SELECT * FROM "orders" WHERE "region" = \'Europe\''


def test_counting_a_repeating_column_counts_distinct_values() -> None:
    result, _ = answered("number of customers in Europe")
    assert 'count(DISTINCT "customer_id")' in result.sql


def test_the_table_a_question_names_wins() -> None:
    result, _ = answered("how many customers in Germany", ORDERS, CUSTOMERS)
    assert 'FROM "customers"' in result.sql


def test_groups_kept_by_their_number_of_rows() -> None:
    result, sql = answered("which customers have more than 5 orders")
    assert 'GROUP BY "customer_id" HAVING count(*) > 5' in result.sql
    assert result.understanding == (
        "Count of orders per customer id, keeping those whose count is more than 5, highest first"
    )


def test_two_tables_are_joined_on_their_shared_key() -> None:
    result, sql = answered("total revenue by country", ORDERS, CUSTOMERS)
    assert 'FROM "orders" JOIN "customers" USING ("customer_id")' in result.sql
    assert result.understanding.endswith("(joining customers on customer id)")


def test_another_tables_name_is_not_guessed_as_this_tables_rows() -> None:
    result, _ = answered("how many orders from customers in Germany", ORDERS, CUSTOMERS)
    assert 'FROM "orders" JOIN "customers"' in result.sql


def test_the_table_that_covers_the_question_wins() -> None:
    result, _ = answered("total revenue by region", CUSTOMERS, ORDERS)
    assert 'FROM "orders"' in result.sql


@pytest.mark.parametrize(
    "question",
    ["what is the meaning of life", "total foo by bar", "revenue of the moon", "how many unicorns",
     "", "??", "orders by", "top revenue by banana"],
)  # fmt: skip
def test_refuses_what_it_cannot_map(question: str) -> None:
    result = draft(question)
    assert result.sql is None
    assert result.understanding.startswith("I could not")
    assert len(result.suggestions) == 3


def test_refusal_names_the_unmapped_words() -> None:
    assert draft("total foo by bar").understanding == "I could not map 'foo', 'bar' to this data."


def test_suggestions_use_real_column_names() -> None:
    suggestions = draft("what is the meaning of life").suggestions
    names = {c.name.replace("_", " ") for c in ORDERS.columns} | {"orders"}
    assert all(any(n in s for n in names) for s in suggestions)
    assert all(draft(s).sql is not None for s in suggestions)


def test_no_table_no_answer() -> None:
    result = RulesEngine().draft("how many orders", [])
    assert result.sql is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how many nations", "\"nation\" IS DISTINCT FROM 'Total'"),
        ("total gold", "\"nation\" IS DISTINCT FROM 'Total'"),
        ("which nation has the most gold", "\"nation\" IS DISTINCT FROM 'Total'"),
    ],
)
def test_a_total_row_in_the_data_is_left_out(question: str, expected: str) -> None:
    result = draft(question, MEDALS)
    assert expected in result.sql


def test_counting_rows_of_a_one_row_label_is_refused() -> None:
    assert draft("how many gold medals does Algeria have", MEDALS).sql is not None
    assert draft("how many rows for Algeria", MEDALS).sql is None


def test_difference_between_two_named_rows() -> None:
    result, _ = answered("what is the difference in gold between Algeria and Cameroon", MEDALS)
    assert result.sql.startswith('SELECT abs((SELECT sum("gold")')
    assert "'Algeria'" in result.sql and "'Cameroon'" in result.sql
    signed = draft("how many more gold did Algeria win than Cameroon", MEDALS)
    assert signed.sql is None or "abs(" not in signed.sql


def test_comparing_two_named_rows_picks_one() -> None:
    result, sql = answered("which nation had more silver medals, Egypt or Tunisia", MEDALS)
    assert "\"nation\" IN ('Egypt', 'Tunisia')" in result.sql
    assert sql.find(exp.Limit).expression.name == "1"


def test_same_value_as_a_named_row() -> None:
    result, _ = answered("which nation has the same gold as Egypt", MEDALS)
    assert '= (SELECT min("gold")' in result.sql
    assert "\"nation\" IS DISTINCT FROM 'Egypt'" in result.sql


def test_more_than_a_named_row() -> None:
    result, _ = answered("which nation has more gold than Egypt", MEDALS)
    assert '"gold" > (SELECT min("gold")' in result.sql


def test_first_and_last_rows_follow_the_file_order() -> None:
    first, _ = answered("what is the first nation listed", MEDALS)
    assert "row_number() OVER ()" in first.sql and first.sql.endswith("ASC LIMIT 1")
    last, _ = answered("what is the last nation", MEDALS)
    assert last.sql.endswith("DESC LIMIT 1")


def test_the_row_after_a_named_row() -> None:
    result, _ = answered("which nation is after Cameroon", MEDALS)
    assert '(SELECT min("row_in_file") FROM "numbered" WHERE "nation" = \'Cameroon\') + 1' in (
        result.sql
    )
    before, _ = answered("which nation is listed before Egypt", MEDALS)
    assert "- 1" in before.sql


def test_follow_up_adds_a_group_to_the_previous_question() -> None:
    turn = Turn("total revenue in 2024", None, "")
    result = draft("and by region?", history=(turn,))
    assert result.understanding == (
        "Total revenue per region where order date is in 2024, highest first"
    )


def test_follow_up_replaces_the_previous_period() -> None:
    turn = Turn("how many orders in 2024", None, "")
    result = draft("what about 2023?", history=(turn,))
    assert "DATE '2023-01-01'" in result.sql and "2025-01-01" not in result.sql


def test_follow_up_replaces_a_value_of_the_same_column() -> None:
    turn = Turn("total revenue in Europe", None, "")
    result = draft("and for Asia?", history=(turn,))
    assert "'Asia'" in result.sql and "'Europe'" not in result.sql


def test_drafts_are_deterministic() -> None:
    questions = ["total revenue by region", "top 5 products by revenue", "what is the meaning"]
    assert [draft(q) for q in questions] == [draft(q) for q in questions]
