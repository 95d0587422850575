"""Answer sentences templated from a result, by the shape the understanding names."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from core.nl2sql.base import Draft
from core.nl2sql.phrases import answer_sentence, fmt
from core.nl2sql.rules import RulesEngine


@pytest.mark.parametrize(
    ("understanding", "columns", "rows", "total", "sentence"),
    [
        ("Total revenue", ["total_revenue"], [(1234567.891,)], 1,
         "Total revenue is 1,234,567.89."),
        ("Count of orders where region is Europe", ["number_of_orders"], [(412,)], 1,
         "Number of orders is 412 (region is Europe)."),
        ("Count of rows", ["count"], [(7,)], 1, "The count is 7."),
        ("Share of the count of orders where region is Europe, in percent of all",
         ["share_pct"], [(23.5,)], 1, "The share is 23.50% (region is Europe)."),
        ("Total revenue per region, highest first", ["region", "total_revenue"],
         [("North", 412300.0), ("South", 1.0)], 4,
         "North has the highest total revenue (412,300.00) of 4 regions."),
        ("Count of orders per category where channel is Online, highest first",
         ["category", "number_of_orders"], [("Office", 12), ("Home", 3)], 3,
         "Office has the highest number of orders (12) of 3 categories (channel is Online)."),
        ("The region with the highest total revenue", ["region", "total_revenue"],
         [("North", 10.5)], 1, "North has the highest total revenue (10.50)."),
        ("The product with the lowest quantity", ["product", "quantity"], [("Pen", 1)], 1,
         "Pen has the lowest quantity (1)."),
        ("Top 3 product by total revenue", ["product", "total_revenue"],
         [("A", 3.0), ("B", 2.0), ("C", 1.0)], 3,
         "Top 3 product by total revenue: A (3.00), B (2.00), C (1.00)."),
        ("Total revenue per month of order date, in date order", ["month", "total_revenue"],
         [(date(2024, 1, 1), 5.0), (date(2024, 2, 1), 9.0), (date(2024, 3, 1), 7.0)], 3,
         "Total revenue per month from 2024-01-01 to 2024-03-01; the highest is 9.00 in "
         "2024-02-01."),
        ("The distinct values of region", ["region"], [("Asia",), ("Europe",)], 2,
         "There are 2 distinct regions: Asia, Europe."),
        ("The distinct values of city", ["city"], [(f"C{i}",) for i in range(7)], 7,
         "There are 7 distinct cities: C0, C1, C2, C3, C4 and 2 more."),
        ("Share of the total revenue per channel, in percent of the total",
         ["channel", "total_revenue", "share_pct"], [("Online", 5.0, 62.5), ("Shop", 3.0, 37.5)],
         2, "Online has the largest share (62.50%) of 2 channels."),
        ("Rows where region is Europe", ["order_id", "region"], [(1, "Europe"), (2, "Europe")],
         406, "406 rows match (region is Europe)."),
        ("Rows where region is Mars", ["order_id", "region"], [], 0,
         "No rows match (region is Mars)."),
        ("The pilot where aircraft is X-15", ["pilot"], [("Joe Walker",)], 1,
         "The pilot is Joe Walker (aircraft is X-15)."),
    ],
)  # fmt: skip
def test_sentence_for_each_shape(understanding, columns, rows, total, sentence) -> None:
    assert answer_sentence(understanding, columns, rows, total) == sentence


def test_engine_sentence_uses_the_drafts_understanding() -> None:
    draft = Draft("SELECT 1", "Total revenue where region is Asia", "rules")
    sentence = RulesEngine().answer_sentence(draft, ["total_revenue"], [(5,)], 1)
    assert sentence == "Total revenue is 5 (region is Asia)."


def test_any_engines_result_gets_a_sentence() -> None:
    """The pipeline falls back to this template for the LLM's answers too."""
    sentence = answer_sentence("Your SQL", ["a", "b"], [(1, 2), (3, 4)], 2)
    assert sentence == "2 rows match."


@pytest.mark.parametrize(
    ("value", "text"),
    [(1234, "1,234"), (1234.5, "1,234.50"), (2.0, "2.00"), (Decimal("3.25"), "3.25"),
     (12_000_000.0, "12,000,000"), (None, "empty"), (True, "yes"),
     (datetime(2024, 3, 1), "2024-03-01"), (date(2024, 3, 1), "2024-03-01"), ("Pen", "Pen")],
)  # fmt: skip
def test_values_are_formatted_for_reading(value, text: str) -> None:
    assert fmt(value) == text
