"""Asking inside a chat: what is stored, follow-ups, edits, chart switches, limits."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest

from core import answers, chats
from core.ask import ask, run_edited_sql
from core.errors import NotFoundError, RateLimitedError, ValidationError
from core.ingest import ingest_file
from core.nl2sql.llm import LLMEngine, RetryPolicy
from core.nl2sql.rules import RulesEngine
from tests.fakellm import Reply

SAMPLE = Path(__file__).parents[2] / "sample_data"


@pytest.fixture
def chat_with_sales(db, settings, user_id):
    chat = chats.create_chat(db, user_id)
    db.commit()
    ingest_file(db, settings, user_id, chat.id, SAMPLE / "sales.csv", "sales.csv")
    db.commit()
    return chat.id


def _roles(db, user_id, chat_id):
    return [m.role for m in chats.list_messages(db, user_id, chat_id)]


def test_a_chat_without_data_says_so_and_keeps_the_exchange(db, settings, user_id):
    chat = chats.create_chat(db, user_id)
    result = ask(db, settings, user_id, chat.id, "total revenue", engine=RulesEngine())
    assert result.requires_dataset and result.sql_query is None
    assert _roles(db, user_id, chat.id) == ["user", "assistant"]


def test_question_and_answer_are_stored_once_each_with_a_redrawable_payload(
    db, settings, user_id, chat_with_sales
):
    result = ask(db, settings, user_id, chat_with_sales, "total revenue by region")
    assert result.success and result.engine == "rules"
    messages = chats.list_messages(db, user_id, chat_with_sales)
    assert [(m.role, m.content) for m in messages][0] == ("user", "total revenue by region")
    assert [m.role for m in messages] == ["user", "assistant"]
    view = answers.view(messages[1].payload, messages[1].content)
    assert view.columns == result.columns and len(view.rows) == 4
    assert view.chart.kind == "bar" and view.figure is not None
    assert "GROUP BY" in view.sql and view.total_ms is not None


def test_the_first_question_names_the_chat(db, settings, user_id, chat_with_sales):
    ask(db, settings, user_id, chat_with_sales, "How many orders are there per channel?")
    assert chats.get_chat(db, user_id, chat_with_sales).title.startswith("How many orders")


def test_a_follow_up_reuses_the_previous_question(db, settings, user_id, chat_with_sales):
    ask(db, settings, user_id, chat_with_sales, "total revenue")
    follow = ask(db, settings, user_id, chat_with_sales, "and by region?")
    assert follow.success and "region" in follow.columns


def test_a_failed_llm_answer_keeps_the_question_and_a_retry_works(
    db, settings, user_id, chat_with_sales, fake_llm
):
    configured = replace(settings, openai_base_url=fake_llm.base_url, openai_api_key="sk-x")
    engine = LLMEngine(configured, retry=RetryPolicy(attempts=1, base_delay_s=0.01))
    fake_llm.script(Reply.error(500))
    failed = ask(db, configured, user_id, chat_with_sales, "total revenue", engine=engine)
    assert not failed.success and failed.error
    fake_llm.script('```sql\nSELECT SUM(revenue) AS total FROM "sales"\n```', "It is large.")
    retried = ask(db, configured, user_id, chat_with_sales, "total revenue", engine=engine)
    assert retried.success and retried.answer == "It is large."
    assert _roles(db, user_id, chat_with_sales) == ["user", "assistant"] * 2


def test_edited_sql_runs_through_the_guard_and_is_stored_as_a_new_exchange(
    db, settings, user_id, chat_with_sales
):
    result = run_edited_sql(
        db, settings, user_id, chat_with_sales, 'SELECT COUNT(*) AS n FROM "sales"'
    )
    assert result.success and result.rows == [[5000]] and result.engine == "sql"
    refused = run_edited_sql(db, settings, user_id, chat_with_sales, 'DROP TABLE "sales"')
    assert not refused.success and "DROP" in refused.error
    assert _roles(db, user_id, chat_with_sales) == ["user", "assistant"] * 2
    again = run_edited_sql(db, settings, user_id, chat_with_sales, 'SELECT COUNT(*) FROM "sales"')
    assert again.rows == [[5000]]


def test_switching_the_chart_is_stored_on_the_answer(db, settings, user_id, chat_with_sales):
    ask(db, settings, user_id, chat_with_sales, "total revenue by region")
    answer = chats.list_messages(db, user_id, chat_with_sales)[-1]
    view = answers.switch_chart(db, user_id, answer.id, "pie")
    assert view.chart.kind == "pie"
    stored = chats.get_message(db, user_id, answer.id)
    assert stored.payload["chart"]["kind"] == "pie"
    with pytest.raises(ValidationError):
        answers.switch_chart(db, user_id, answer.id, "scatter")


def test_download_csv_has_the_full_result_not_only_the_shown_rows(
    db, settings, user_id, chat_with_sales
):
    small = replace(settings, query_row_limit=10)
    result = run_edited_sql(db, small, user_id, chat_with_sales, 'SELECT * FROM "sales"')
    assert len(result.rows) == 10 and result.result_count == 5000
    answer = chats.list_messages(db, user_id, chat_with_sales)[-1]
    rows = list(csv.reader(io.StringIO(answers.export_csv(db, small, user_id, answer.id).decode())))
    assert len(rows) == 5001 and rows[0][0] == result.columns[0]


def test_asking_is_rate_limited_per_user(db, settings, user_id, chat_with_sales):
    limited = replace(settings, ask_rate_per_minute=2)
    ask(db, limited, user_id, chat_with_sales, "total revenue")
    ask(db, limited, user_id, chat_with_sales, "how many orders")
    with pytest.raises(RateLimitedError, match="limit is 2"):
        ask(db, limited, user_id, chat_with_sales, "average quantity")
    assert _roles(db, user_id, chat_with_sales).count("user") == 2


@pytest.mark.parametrize("call", ["ask", "edit", "switch", "export"])
def test_another_user_can_not_ask_edit_or_read_answers_in_my_chat(
    db, settings, user_id, other_user_id, chat_with_sales, call
):
    ask(db, settings, user_id, chat_with_sales, "total revenue by region")
    answer = chats.list_messages(db, user_id, chat_with_sales)[-1]
    calls = {
        "ask": lambda: ask(db, settings, other_user_id, chat_with_sales, "total revenue"),
        "edit": lambda: run_edited_sql(db, settings, other_user_id, chat_with_sales, "SELECT 1"),
        "switch": lambda: answers.switch_chart(db, other_user_id, answer.id, "pie"),
        "export": lambda: answers.export_csv(db, settings, other_user_id, answer.id),
    }
    with pytest.raises(NotFoundError):
        calls[call]()
    db.rollback()
    assert len(chats.list_messages(db, user_id, chat_with_sales)) == 2
