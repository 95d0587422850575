"""SQL names for headers and files: snake_case, unique, never reserved, at most 63 chars."""

from __future__ import annotations

import re

import duckdb
import pytest
import sqlglot

from core.errors import ValidationError
from core.naming import (
    MAX_IDENTIFIER,
    column_names,
    make_unique,
    reserved_words,
    table_name_for,
    to_identifier,
    validate_table_name,
)

IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Order ID", "order_id"),
        ("order_id", "order_id"),
        ("  Revenue  ", "revenue"),
        ("Unit Price ($)", "unit_price"),
        ("VAT %", "vat_pct"),
        ("Order #", "order_num"),
        ("R&D", "r_and_d"),
        ("customerID", "customer_id"),
        ("OrderDate", "order_date"),
        ("HTTPServer", "http_server"),
        ("Straße", "strasse"),
        ("Ünïcödé", "unicode"),
        ("Café crème", "cafe_creme"),
        ("Łódź", "lodz"),
        ("🎉 party", "party"),
        ("2023 sales", "col_2023_sales"),
        ("first-name", "first_name"),
        ("a.b.c", "a_b_c"),
        ("__x__", "x"),
        ("select", "select_"),
        ("from", "from_"),
        ("order", "order_"),
        ("group", "group_"),
        ("left", "left_"),
        ("between", "between_"),
        ("if", "if_"),
        ("date", "date"),
        ("year", "year"),
        ("name", "name"),
        ("temp", "temp"),
    ],
)
def test_header_becomes_snake_case_identifier(header, expected):
    assert to_identifier(header, fallback="column_1") == expected


@pytest.mark.parametrize("header", ["", "   ", None, "🎉🎉", "名前", "—", "$$$"])
def test_header_with_nothing_usable_gets_the_fallback(header):
    assert to_identifier(header, fallback="column_7") == "column_7"


def test_long_header_is_cut_to_63_characters_without_trailing_underscore():
    name = to_identifier("word " * 40, fallback="x")
    assert len(name) <= MAX_IDENTIFIER
    assert not name.endswith("_")


def test_blank_duplicate_and_reserved_headers_all_get_distinct_valid_names():
    names = column_names(["a", "a", "", "A", "a_2", None, "select", "x" * 100, "x" * 100])
    assert names[:7] == ["a", "a_2", "column_3", "a_3", "a_2_2", "column_6", "select_"]
    assert len(set(names)) == len(names)
    assert all(IDENTIFIER.fullmatch(n) for n in names)
    assert len(names[8]) <= MAX_IDENTIFIER and names[8].endswith("_2")


def test_five_thousand_headers_get_unique_names():
    names = column_names(["value"] * 5000)
    assert len(set(names)) == 5000
    assert names[:3] == ["value", "value_2", "value_3"]


def test_suffix_never_pushes_a_name_past_63_characters():
    base = "n" * MAX_IDENTIFIER
    assert make_unique(base, {base}) == "n" * 61 + "_2"


def test_every_generated_name_works_bare_in_duckdb_and_sqlglot():
    headers = sorted(reserved_words()) + ["Order ID", "2023", "", "date", "values"]
    names = column_names(headers)
    columns = ", ".join(f'{i} AS "{n}"' for i, n in enumerate(names))
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT {columns}")
    bare = ", ".join(names)
    sql = f"SELECT {bare} FROM t WHERE {names[0]} = 0 ORDER BY {names[-1]}"
    assert len(con.execute(sql).fetchall()) == 1
    parsed = sqlglot.parse_one(sql, read="duckdb")
    assert {c.name for c in parsed.find_all(sqlglot.exp.Column)} == set(names)


@pytest.mark.parametrize(
    ("filename", "taken", "expected"),
    [
        ("sales.csv", [], "sales"),
        ("Sales 2024.CSV", [], "sales_2024"),
        ("sales.csv.gz", [], "sales"),
        ("sales.csv", ["sales"], "sales_2"),
        ("sales.csv", ["sales", "sales_2"], "sales_3"),
        ("2024.csv", [], "table_2024"),
        ("📈.xlsx", [], "data"),
        ("select.csv", [], "select_"),
        ("main.parquet", [], "main_"),
        ("C:\\Users\\me\\Q3 report.tsv", [], "q3_report"),
        ("events.jsonl", [], "events"),
        ("notes", [], "notes"),
    ],
)
def test_table_name_comes_from_the_file_name_and_is_unique_in_the_chat(filename, taken, expected):
    assert table_name_for(filename, taken) == expected


@pytest.mark.parametrize(
    ("typed", "expected"), [("sales_2024", "sales_2024"), ("  Orders ", "orders"), ("_x", "_x")]
)
def test_valid_table_name_is_accepted_lower_cased(typed, expected):
    assert validate_table_name(typed) == expected


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("sales 2024", "Try 'sales_2024'"),
        ("2024", "Try 'table_2024'"),
        ("drop table x;", "Try 'drop_table_x'"),
        ('a"b', "Try 'a_b'"),
        ("select", "reserved word"),
        ("main", "reserved word"),
        ("x" * 64, "at most 63"),
        ("ventes_é", "only letters"),
    ],
)
def test_invalid_table_name_is_refused_with_a_suggestion(typed, hint):
    with pytest.raises(ValidationError, match=re.escape(hint)):
        validate_table_name(typed)
