"""The ask pipeline on real DuckDB dataset files, with both engines.

The tables are built here directly (one DuckDB file holding table ``data``, as ingest
writes them) so these tests exercise the pipeline alone.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from core.ask import GivenSQL, answer_question
from core.catalog import ColumnInfo, TableInfo
from core.config import Settings
from core.nl2sql.llm import LLMEngine, RetryPolicy
from core.nl2sql.rules import RulesEngine
from tests.fakellm import Reply

REGIONS = ["North", "South", "East", "West"]


def _sales_file(path: Path, rows: int = 400) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"""
            CREATE TABLE data AS
            SELECT i AS order_id,
                   DATE '2024-01-01' + (i % 360)::INTEGER AS order_date,
                   ['North','South','East','West'][1 + i % 4] AS region,
                   ['Widget','Gadget','Doohickey'][1 + i % 3] AS product,
                   1 + i % 7 AS quantity,
                   round(10 + (i % 13) * 2.5, 2) AS revenue
            FROM range({rows}) t(i)
            """
        )


def _table(path: Path, rows: int = 400) -> TableInfo:
    cols = (
        ColumnInfo("order_id", "Order ID", "BIGINT", 0, rows, 0, rows - 1),
        ColumnInfo("order_date", "Order date", "DATE", 0, 360, "2024-01-01", "2024-12-26"),
        ColumnInfo(
            "region", "Region", "VARCHAR", 0, 4, top_values=tuple((r, rows // 4) for r in REGIONS)
        ),
        ColumnInfo(
            "product",
            "Product",
            "VARCHAR",
            0,
            3,
            top_values=(("Widget", 134), ("Gadget", 133), ("Doohickey", 133)),
        ),
        ColumnInfo("quantity", "Quantity", "BIGINT", 0, 7, 1, 7, 4.0),
        ColumnInfo("revenue", "Revenue", "DOUBLE", 0, 13, 10.0, 40.0, 25.0),
    )
    return TableInfo("sales", rows, cols, "sales.csv", path)


@pytest.fixture
def sales(tmp_path) -> TableInfo:
    path = tmp_path / "sales.duckdb"
    _sales_file(path)
    return _table(path)


def _expected(table: TableInfo, sql: str) -> list[tuple]:
    with duckdb.connect(str(table.path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _llm(settings: Settings, fake) -> LLMEngine:
    configured = replace(settings, openai_base_url=fake.base_url, openai_api_key="sk-test")
    return LLMEngine(configured, retry=RetryPolicy(attempts=2, base_delay_s=0.01))


def test_no_tables_asks_for_a_dataset_and_runs_nothing(settings):
    answer = answer_question([], "total revenue", [], RulesEngine(), settings).result
    assert answer.requires_dataset and answer.sql_query is None and answer.success


def test_rules_engine_answers_total_revenue_by_region(settings, sales):
    result = answer_question([sales], "total revenue by region", [], RulesEngine(), settings).result
    assert result.success and result.execution_success and result.engine == "rules"
    expected = dict(_expected(sales, "SELECT region, sum(revenue) FROM data GROUP BY region"))
    got = {row[0]: row[1] for row in result.rows}
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(v) for k, v in expected.items())
    assert result.chart["kind"] == "bar"
    assert "region" in result.answer.lower() or any(r in result.answer for r in REGIONS)


def test_an_unmapped_question_is_declined_with_suggestions(settings, sales):
    answer = answer_question([sales], "how tall is the moon", [], RulesEngine(), settings)
    assert not answer.result.success and answer.result.sql_query is None
    assert answer.payload["suggestions"]
    assert "Try:" in answer.result.answer


def test_result_count_is_the_true_total_while_rows_are_capped(settings, sales):
    capped = replace(settings, query_row_limit=25)
    answer = answer_question([sales], "", [], GivenSQL("SELECT * FROM sales"), capped)
    assert answer.result.result_count == 400
    assert len(answer.result.rows) == 25 and answer.payload["truncated"] is True


def test_hostile_sql_from_a_given_query_is_refused_before_running(settings, sales, tmp_path):
    target = tmp_path / "leak.csv"
    sql = f"COPY (SELECT * FROM sales) TO '{target}'"
    result = answer_question([sales], "", [], GivenSQL(sql), settings).result
    assert not result.success and result.execution_success is False
    assert "COPY" in result.error or "read-only" in result.error
    assert not target.exists()


def test_llm_sql_in_prose_is_run_and_the_sentence_streams(settings, sales, fake_llm):
    fake_llm.script(
        "Here you go:\n```sql\nSELECT region, SUM(revenue) AS revenue FROM sales GROUP BY 1\n```",
        Reply.text("North leads on revenue.", usage=(50, 7)),
    )
    chunks: list[str] = []
    answer = answer_question(
        [sales], "revenue by region", [], _llm(settings, fake_llm), settings, chunks.append
    )
    assert answer.result.success and answer.result.engine == "llm"
    assert "".join(chunks) == answer.result.answer == "North leads on revenue."
    assert answer.result.result_count == 4
    assert answer.payload["tokens"]["completion_tokens"] >= 7


def test_llm_gets_the_error_back_and_its_fixed_query_runs(settings, sales, fake_llm):
    fake_llm.script(
        "```sql\nSELECT SUM(revnue) FROM sales\n```",
        "```sql\nSELECT SUM(revenue) AS total FROM sales\n```",
        "The total is known.",
    )
    answer = answer_question([sales], "total revenue", [], _llm(settings, fake_llm), settings)
    assert answer.result.success and answer.payload["repairs"] == 1
    repair_prompt = fake_llm.chat_requests[1].all_text()
    assert "revnue" in repair_prompt
    (expected,) = _expected(sales, "SELECT SUM(revenue) FROM data")
    assert answer.result.rows[0][0] == pytest.approx(expected[0])


def test_llm_gives_up_after_two_repairs_with_the_last_error(settings, sales, fake_llm):
    fake_llm.script(*["```sql\nSELECT nope FROM sales\n```"] * 3)
    answer = answer_question([sales], "total", [], _llm(settings, fake_llm), settings)
    assert not answer.result.success
    assert "nope" in answer.result.error
    assert len(fake_llm.chat_requests) == 3


def test_llm_hostile_sql_is_refused_and_never_repaired(settings, sales, fake_llm):
    fake_llm.script("```sql\nDROP TABLE sales\n```")
    answer = answer_question([sales], "drop it", [], _llm(settings, fake_llm), settings)
    assert not answer.result.success and len(fake_llm.chat_requests) == 1
    assert _expected(sales, "SELECT count(*) FROM data") == [(400,)]


def test_llm_server_down_is_a_clear_answer_not_a_crash(settings, sales):
    down = replace(settings, openai_base_url="http://127.0.0.1:9/v1", openai_api_key="sk")
    engine = LLMEngine(down, retry=RetryPolicy(attempts=1, base_delay_s=0.01))
    result = answer_question([sales], "total revenue", [], engine, down).result
    assert not result.success and "reach" in result.error.lower()
