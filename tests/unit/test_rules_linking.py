"""Linking: the words of a question become columns, values, numbers, dates, keywords."""

from __future__ import annotations

from datetime import date

import pytest

from core.catalog import ColumnInfo, TableInfo
from core.nl2sql.linking import Mention, link
from core.nl2sql.vocabulary import root, stem, tokenize

SALES = TableInfo(
    "sales",
    1200,
    (
        ColumnInfo("order_date", "Order Date", "DATE", 0, 700, "2023-01-02", "2024-12-30"),
        ColumnInfo(
            "region", "Region", "VARCHAR", 0, 4,
            top_values=(("Europe", 400), ("North America", 300), ("Asia", 300), ("Zürich", 200)),
        ),
        ColumnInfo(
            "product", "Product", "VARCHAR", 0, 3,
            top_values=(("Laptop", 500), ("Battery", 400), ("Desk", 300)),
        ),
        ColumnInfo("quantity", "Qty", "BIGINT", 0, 20, 1, 20, 10.5),
        ColumnInfo("unit_price", "Unit price (EUR)", "DOUBLE", 0, 900, 2.5, 990.0, 200.0),
        ColumnInfo("revenue", "Revenue", "DOUBLE", 0, 1100, 2.5, 19000.0, 2100.0),
        ColumnInfo("customer_id", "Customer ID", "BIGINT", 0, 300, 1, 300, 150.0),
        ColumnInfo("producer", "Producer", "VARCHAR", 0, 2, top_values=(("Acme", 600),)),
    ),
    "sales.csv",
)  # fmt: skip


def first(question: str, kind: str) -> Mention:
    found = [m for m in link(question, SALES) if m.kind == kind]
    assert found, f"no {kind} in {question!r}: {link(question, SALES)}"
    return found[0]


@pytest.mark.parametrize(
    ("question", "column"),
    [
        ("total revenue", "revenue"),
        ("revenue", "revenue"),
        ("sales by region", "revenue"),  # synonym
        ("turnover", "revenue"),
        ("the regions", "region"),  # plural
        ("qty per product", "quantity"),  # original header text
        ("units", "quantity"),  # synonym of quantity
        ("unit price", "unit_price"),
        ("price", "unit_price"),  # one word of a longer name
        ("cost", "unit_price"),  # synonym of that word
        ("order date", "order_date"),
        ("customer id", "customer_id"),
        ("clients", "customer_id"),  # synonym, one word of the name
    ],
)
def test_words_link_to_columns(question: str, column: str) -> None:
    assert first(question, "column").columns[0].name == column


@pytest.mark.parametrize(
    ("question", "column", "value"),
    [
        ("orders in europe", "region", "Europe"),
        ("orders in EUROPE", "region", "Europe"),
        ("orders from north america", "region", "North America"),
        ("laptops sold", "product", "Laptop"),  # plural of a value
        ("batteries", "product", "Battery"),  # -ies plural
        ("orders in zurich", "region", "Zürich"),  # accents folded
        ("orders in 'Desk'", "product", "Desk"),  # quoted
        ('orders in "north america"', "region", "North America"),
    ],
)
def test_words_link_to_profiled_values(question: str, column: str, value: str) -> None:
    mention = first(question, "value")
    assert (mention.choices[0][0].name, mention.choices[0][1]) == (column, value)


def test_a_quoted_text_outside_the_profile_is_still_a_value_candidate() -> None:
    mention = first("orders for 'Gadget 3000'", "value")
    assert mention.strength < 3
    assert {c.name for c, _ in mention.choices} == {"region", "product", "producer"}


@pytest.mark.parametrize(
    ("question", "number"),
    [("more than 100", 100.0), ("over 5,000", 5000.0), ("under 2.5", 2.5), ("$20", 20.0)],
)
def test_numbers_are_read_with_separators_and_signs(question: str, number: float) -> None:
    assert first(question, "number").number == number


@pytest.mark.parametrize(
    ("question", "start", "end", "grain"),
    [
        ("before 2024-06-01", date(2024, 6, 1), date(2024, 6, 2), "day"),
        ("in March 2024", date(2024, 3, 1), date(2024, 4, 1), "month"),
        ("after may 2023", date(2023, 5, 1), date(2023, 6, 1), "month"),
        ("in december 2024", date(2024, 12, 1), date(2025, 1, 1), "month"),
        ("on 3 March 2024", date(2024, 3, 3), date(2024, 3, 4), "day"),
        ("on march 3 2024", date(2024, 3, 3), date(2024, 3, 4), "day"),
        ("on 2024/3/5", date(2024, 3, 5), date(2024, 3, 6), "day"),
    ],
)
def test_dates_become_calendar_periods(question: str, start: date, end: date, grain: str) -> None:
    span = first(question, "date").span
    assert (span.start, span.end, span.grain) == (start, end, grain)


def test_a_month_without_a_year_is_a_month_of_any_year() -> None:
    span = first("orders in july", "date").span
    assert span.grain == "month_of_year" and span.start.month == 7


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("how many orders", "count"),
        ("number of orders", "count"),
        ("average revenue", "avg"),
        ("median revenue", "median"),
        ("top 5 products", "max"),
        ("lowest price", "min"),
        ("revenue per region", "by"),
        ("for each region", "by"),
        ("at least 5", "gte"),
        ("no more than 5", "lte"),
        ("share of revenue", "share"),
        ("monthly revenue", "month"),
        ("revenue trend", "trend"),
    ],
)
def test_function_words_become_keywords(question: str, key: str) -> None:
    keys = [m.key for m in link(question, SALES) if m.kind == "keyword"]
    assert key in keys


def test_a_verb_can_name_a_column_by_its_root() -> None:
    mention = first("orders produced by acme", "verb")
    assert mention.columns[0].name == "producer"


def test_words_nobody_claims_are_unknown() -> None:
    unknown = [
        m.text for m in link("how many unicorns dance on the moon", SALES) if m.kind == "unknown"
    ]
    assert unknown == ["unicorns", "dance", "moon"]


def test_a_unit_after_a_number_is_not_unknown() -> None:
    assert not [m for m in link("orders over 20 km", SALES) if m.kind == "unknown"]


@pytest.mark.parametrize(
    ("word", "stemmed"),
    [("regions", "region"), ("categories", "category"), ("boxes", "box"), ("status", "status"),
     ("sales", "sale"), ("class", "class"), ("bus", "bus")],
)  # fmt: skip
def test_stemming_folds_plurals_only(word: str, stemmed: str) -> None:
    assert stem(word) == stemmed


@pytest.mark.parametrize(
    ("verb", "noun"),
    [("produced", "producer"), ("won", "winner"), ("wins", "winner"), ("directed", "director"),
     ("manufactured", "manufacturer"), ("ordered", "orders")],
)  # fmt: skip
def test_verbs_and_their_nouns_share_a_root(verb: str, noun: str) -> None:
    assert root(verb) == root(noun)


def test_tokens_keep_quoted_phrases_whole() -> None:
    tokens = tokenize("Revenue for \u201cNorth America\u201d over 1,000")
    assert [(t.kind, t.text) for t in tokens] == [
        ("word", "revenue"),
        ("word", "for"),
        ("quoted", "north america"),
        ("word", "over"),
        ("number", "1,000"),
    ]


ECONOMY = TableInfo(
    "economy",
    50,
    (
        ColumnInfo("country", "Country", "VARCHAR", 0, 50, top_values=(("Albania", 1),)),
        ColumnInfo("gdp_usd_bln_2012", "GDP (USD bln) 2012", "DOUBLE", 0, 50, 1.0, 900.0),
        ColumnInfo("gdp_usd_bln_2017", "GDP (USD bln) 2017", "DOUBLE", 0, 50, 1.0, 990.0),
        ColumnInfo("finish", "Finish", "VARCHAR", 0, 9, top_values=(("7th", 2), ("1st", 1))),
    ),
    "economy.csv",
)


def test_words_of_one_column_name_pick_it_out() -> None:
    mention = next(m for m in link("gdp in 2012 gdp for Albania", ECONOMY) if m.text == "2012 gdp")
    assert mention.kind == "column" and mention.columns[0].name == "gdp_usd_bln_2012"


def test_a_word_shared_by_same_kind_columns_links_neither() -> None:
    assert [m.kind for m in link("gdp", ECONOMY)] == ["unknown"]


def test_an_ordinal_is_a_cell_value_and_a_day() -> None:
    assert first_in("finish 7th", ECONOMY, "value").choices[0][1] == "7th"
    span = first("on march 3rd 2024", "date").span
    assert span.start == date(2024, 3, 3)


def first_in(question: str, table: TableInfo, kind: str) -> Mention:
    return next(m for m in link(question, table) if m.kind == kind)
