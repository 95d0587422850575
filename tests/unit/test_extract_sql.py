"""The SQL in a model's reply is found whatever shape the reply takes."""

from __future__ import annotations

import pytest

from core.errors import LLMError
from core.nl2sql.extract import (
    DEFAULT_UNDERSTANDING,
    NO_SQL_MESSAGE,
    extract,
    extract_sql,
    understanding_of,
)

Q = 'SELECT region, SUM(revenue) AS total FROM "sales" GROUP BY region'

REPLY_SHAPES = [
    ("sql_fence", f"```sql\n{Q}\n```", Q),
    ("sql_fence_uppercase_language", f"```SQL\n{Q}\n```", Q),
    ("duckdb_fence", f"```duckdb\n{Q}\n```", Q),
    ("fence_without_language", f"```\n{Q}\n```", Q),
    ("fence_with_language_on_next_line", f"```\nsql\n{Q}\n```", Q),
    ("fence_with_trailing_semicolon", f"```sql\n{Q};\n```", Q),
    ("fence_with_several_semicolons", f"```sql\n{Q};;\n```", Q),
    ("fence_unterminated", f"Here you go:\n```sql\n{Q}\n", Q),
    ("fence_after_prose", f"I sum revenue per region.\n\n```sql\n{Q}\n```", Q),
    ("fence_between_prose", f"Summing revenue.\n```sql\n{Q}\n```\nThis groups by region.", Q),
    ("fence_indented_language_space", f"``` sql\n{Q}\n```", Q),
    (
        "first_of_several_sql_fences",
        f"```sql\n{Q}\n```\nOr alternatively:\n```sql\nSELECT 2\n```",
        Q,
    ),
    (
        "python_fence_skipped",
        f"```python\nprint('hi')\n```\n```sql\n{Q}\n```",
        Q,
    ),
    ("output_fence_skipped", f"```\nregion | total\n```\n```sql\n{Q}\n```", Q),
    ("bare_sql", Q, Q),
    ("bare_sql_with_semicolon", Q + ";", Q),
    ("bare_sql_with_whitespace", f"\n\n  {Q}  \n\n", Q),
    ("bare_multiline", "SELECT region\nFROM sales\nWHERE revenue > 10", None),
    ("lowercase_bare", "select count(*) from sales", "select count(*) from sales"),
    ("bare_with_cte", "WITH t AS (SELECT 1 AS x) SELECT x FROM t", None),
    ("bare_from_first", "FROM sales SELECT region", "FROM sales SELECT region"),
    ("prose_before_bare", f"The query sums revenue per region:\n{Q}", Q),
    ("prose_after_bare", f"{Q}\n\nThis returns one row per region.", Q),
    ("prose_line_directly_after", f"{Q}\nThat gives the total for each region.", Q),
    ("prose_sentence_on_same_line", f"{Q}. This returns one row per region.", Q),
    ("inline_after_query_label", f"Query: {Q}", Q),
    ("inline_after_sql_label", f"SQL: {Q};", Q),
    ("inline_after_colon_in_sentence", f"Here is the query: {Q}; it groups by region.", Q),
    ("markdown_bold_label", f"**Query:** {Q}", Q),
    ("sql_tags", f"<sql>{Q}</sql>", Q),
    ("think_block_stripped", f"<think>maybe SELECT 1 FROM x</think>\n```sql\n{Q}\n```", Q),
    ("think_block_bare_after", f"<think>SELECT wrong FROM nowhere</think>\n{Q}", Q),
    ("leading_comment_kept", f"```sql\n-- total per region\n{Q}\n```", f"-- total per region\n{Q}"),
    ("inline_backticks", f"Run `{Q}` to get it.", Q),
    (
        "quoted_period_not_a_sentence_end",
        "SELECT * FROM people WHERE title = 'Dr. Who'. That finds him.",
        "SELECT * FROM people WHERE title = 'Dr. Who'",
    ),
    (
        "quoted_semicolon_kept",
        "```sql\nSELECT * FROM t WHERE note = 'a;b'\n```",
        "SELECT * FROM t WHERE note = 'a;b'",
    ),
    ("prose_with_word_with_then_sql", f"With this data, you can run:\n\n{Q}", Q),
    ("prose_with_word_select_then_sql", f"Select the regions like this:\n\n{Q}", Q),
    ("crlf_line_endings", f"```sql\r\n{Q}\r\n```", Q),
]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [pytest.param(reply, expected, id=name) for name, reply, expected in REPLY_SHAPES],
)
def test_extract_sql_finds_the_query_in_each_reply_shape(reply: str, expected: str | None) -> None:
    sql = extract_sql(reply)
    if expected is None:
        expected = reply.strip().rstrip(";")
    assert sql.replace("\r", "") == expected


NO_SQL_REPLIES = [
    "",
    "   ",
    "I cannot answer that with the tables given.",
    "Select the right table first, please.",
    "With this data it is not possible.",
    "From what I can tell, the file has no dates.",
    "```python\nprint('no sql here')\n```",
    "```\nregion | total\nNorth | 10\n```",
    "<think>SELECT 1 FROM t</think>Sorry, I don't know.",
]


@pytest.mark.parametrize("reply", NO_SQL_REPLIES)
def test_extract_sql_refuses_replies_without_a_query(reply: str) -> None:
    with pytest.raises(LLMError) as caught:
        extract_sql(reply)
    assert caught.value.message == NO_SQL_MESSAGE


UNDERSTANDINGS = [
    (f"Total revenue per region.\n```sql\n{Q}\n```", "Total revenue per region."),
    (f"Sure! Here is the query:\n```sql\n{Q}\n```", DEFAULT_UNDERSTANDING),
    (f"```sql\n{Q}\n```", DEFAULT_UNDERSTANDING),
    (Q, DEFAULT_UNDERSTANDING),
    (
        f"Certainly. I read this as revenue summed by region.\n```sql\n{Q}\n```",
        "I read this as revenue summed by region.",
    ),
    (
        f"```sql\n{Q}\n```\nThis lists every region with its total.",
        "This lists every region with its total.",
    ),
]


@pytest.mark.parametrize(("reply", "expected"), UNDERSTANDINGS)
def test_understanding_is_the_first_informative_prose_sentence(reply: str, expected: str) -> None:
    assert extract(reply).understanding == expected


def test_understanding_is_shortened_to_one_line() -> None:
    reply = "Revenue " + "and more " * 100 + ".\n```sql\nSELECT 1\n```"
    understanding = extract(reply).understanding
    assert len(understanding) <= 200
    assert understanding.endswith("…")
    assert "\n" not in understanding


def test_understanding_of_a_reply_without_sql_is_its_first_sentence() -> None:
    reply = "The table has no date column. Try asking about regions."
    assert understanding_of(reply, "") == "The table has no date column."
