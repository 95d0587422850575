"""The LLM engine with the real ``openai`` client, over HTTP, against the fake server."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.catalog import ColumnInfo, TableInfo, Turn
from core.config import Settings
from core.errors import LLMError
from core.nl2sql.extract import NO_SQL_MESSAGE
from core.nl2sql.llm import AnswerStream, LLMEngine, RetryPolicy, TokenUsage
from tests.fakellm import FakeLLM, Reply

API_KEY = "sk-test-5ecret-key-0123456789"
SQL = 'SELECT "region", SUM("revenue") AS total FROM "sales" GROUP BY "region"'
SALES = TableInfo(
    name="sales",
    row_count=4,
    original_filename="sales.csv",
    columns=(
        ColumnInfo("region", "Region", "VARCHAR", 0, 2, top_values=(("Nordwind-Ost", 3),)),
        ColumnInfo("revenue", "Revenue", "DOUBLE", 0, 4, min=1.25, max=777.5, mean=200.0),
    ),
)


def make_engine(fake: FakeLLM, **overrides: object) -> LLMEngine:
    settings = Settings(
        openai_api_key=API_KEY,
        openai_base_url=fake.base_url,
        openai_model="fake-model",
        openai_timeout_s=5,
        **overrides,  # type: ignore[arg-type]
    )
    return LLMEngine(settings, retry=RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05))


# --- draft ---------------------------------------------------------------------------------
def test_draft_returns_the_sql_from_a_prose_reply(fake_llm: FakeLLM) -> None:
    fake_llm.script(f"Revenue summed per region.\n\n```sql\n{SQL};\n```\nThat is all.")
    draft = make_engine(fake_llm).draft("revenue by region?", [SALES])
    assert draft.sql == SQL
    assert draft.understanding == "Revenue summed per region."
    assert draft.engine == "llm"


def test_draft_reports_tokens_from_the_response_usage(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.text(f"```sql\n{SQL}\n```", usage=(321, 45)))
    draft = make_engine(fake_llm).draft("revenue by region?", [SALES])
    assert (draft.prompt_tokens, draft.completion_tokens) == (321, 45)


def test_draft_leaves_tokens_unknown_when_the_server_reports_none(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.text(f"```sql\n{SQL}\n```", usage=None))
    draft = make_engine(fake_llm).draft("revenue by region?", [SALES])
    assert draft.sql == SQL
    assert (draft.prompt_tokens, draft.completion_tokens) == (None, None)


def test_draft_sends_model_schema_history_and_question(fake_llm: FakeLLM) -> None:
    history = [Turn("total revenue?", 'SELECT SUM("revenue") FROM "sales"', "It is 1000.")]
    make_engine(fake_llm).draft("and by region?", [SALES], history)
    (request,) = fake_llm.chat_requests
    assert request.model == "fake-model"
    assert request.stream is False
    roles = [m["role"] for m in request.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert '"revenue" DOUBLE' in request.messages[0]["content"]
    assert 'SELECT SUM("revenue") FROM "sales"' in request.messages[2]["content"]
    assert request.messages[-1]["content"] == "and by region?"


def test_draft_that_the_model_declines_carries_the_models_reason(fake_llm: FakeLLM) -> None:
    fake_llm.script("The tables have no customer column, so this cannot be answered.")
    draft = make_engine(fake_llm).draft("revenue per customer?", [SALES])
    assert draft.sql is None
    assert draft.understanding == "The tables have no customer column, so this cannot be answered."


@pytest.mark.parametrize("reply", ["", "```python\nprint(1)\n```", "Sure!"])
def test_draft_without_sql_or_reason_raises_a_clear_error(fake_llm: FakeLLM, reply: str) -> None:
    fake_llm.script(reply)
    with pytest.raises(LLMError) as caught:
        make_engine(fake_llm).draft("revenue by region?", [SALES])
    assert caught.value.message == NO_SQL_MESSAGE


def test_schema_privacy_mode_sends_no_cell_value_over_the_wire(fake_llm: FakeLLM) -> None:
    engine = make_engine(fake_llm, privacy_mode="schema")
    engine.draft("revenue by region?", [SALES])
    list(engine.stream_answer("q", SQL, ["region", "total"], [("Nordwind-Ost", 777.5)], 1))
    for request in fake_llm.chat_requests:
        for secret in ("Nordwind-Ost", "777.5", "1.25", "200.0"):
            assert secret not in request.raw.decode()


# --- repair --------------------------------------------------------------------------------
def test_repair_sends_the_failed_sql_and_error_back_and_returns_the_fix(fake_llm: FakeLLM) -> None:
    fake_llm.script(f"Fixed the column name.\n```sql\n{SQL}\n```")
    failed = 'SELECT "regoin" FROM "sales"'
    error = 'Referenced column "regoin" not found. Did you mean "region"?'
    draft = make_engine(fake_llm).repair("revenue by region?", [SALES], [], failed, error)
    assert draft.sql == SQL
    assert draft.understanding == "Fixed the column name."
    (request,) = fake_llm.chat_requests
    assert request.messages[-2] == {"role": "assistant", "content": f"```sql\n{failed}\n```"}
    assert error in request.messages[-1]["content"]


# --- answer --------------------------------------------------------------------------------
ANSWER = "North leads with 777.5 in revenue, ahead of South at 1.25."


def test_stream_answer_yields_chunks_then_usage(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.text(ANSWER, usage=(150, 20)))
    stream = make_engine(fake_llm).stream_answer(
        "revenue by region?", SQL, ["region", "total"], [("North", 777.5), ("South", 1.25)], 2
    )
    assert isinstance(stream, AnswerStream)
    chunks = list(stream)
    assert len(chunks) > 3
    assert "".join(chunks) == ANSWER == stream.text
    assert stream.usage == TokenUsage(prompt_tokens=150, completion_tokens=20)


def test_stream_answer_asks_for_a_stream_with_usage(fake_llm: FakeLLM) -> None:
    list(make_engine(fake_llm).stream_answer("q", SQL, ["region"], [("North",)], 1))
    (request,) = fake_llm.chat_requests
    assert request.stream is True
    assert request.body is not None
    assert request.body["stream_options"] == {"include_usage": True}
    assert '["North"]' in request.messages[-1]["content"]


def test_stream_answer_sends_nothing_until_iterated(fake_llm: FakeLLM) -> None:
    stream = make_engine(fake_llm).stream_answer("q", SQL, ["region"], [("North",)], 1)
    assert fake_llm.requests == []
    next(stream)
    assert len(fake_llm.chat_requests) == 1


def test_stream_answer_without_usage_leaves_usage_unknown(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.text(ANSWER, usage=None))
    stream = make_engine(fake_llm).stream_answer("q", SQL, ["region"], [("North",)], 1)
    assert "".join(stream) == ANSWER
    assert stream.usage is None


def test_stream_answer_falls_back_when_the_server_refuses_streaming(fake_llm: FakeLLM) -> None:
    fake_llm.streaming = "refuse"
    fake_llm.script(Reply.text(ANSWER, usage=(90, 12)))
    stream = make_engine(fake_llm).stream_answer("q", SQL, ["region"], [("North",)], 1)
    assert list(stream) == [ANSWER]
    assert stream.usage == TokenUsage(90, 12)
    assert [r.stream for r in fake_llm.chat_requests] == [True, False]


def test_stream_answer_falls_back_when_the_server_ignores_streaming(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.garbage(b'{"not": "an event stream"}'), Reply.text(ANSWER))
    stream = make_engine(fake_llm).stream_answer("q", SQL, ["region"], [("North",)], 1)
    assert "".join(stream) == ANSWER
    assert [r.stream for r in fake_llm.chat_requests] == [True, False]


# --- the client and the key ----------------------------------------------------------------
def test_engine_builds_its_client_from_settings_without_client_retries(fake_llm: FakeLLM) -> None:
    engine = make_engine(fake_llm)
    assert str(engine.client.base_url).rstrip("/") == fake_llm.base_url
    assert engine.client.max_retries == 0
    assert engine.client.timeout == 5


def test_engine_without_api_key_still_talks_to_a_local_server(fake_llm: FakeLLM) -> None:
    settings = Settings(openai_base_url=fake_llm.base_url, openai_model="local")
    LLMEngine(settings).draft("revenue by region?", [SALES])
    (request,) = fake_llm.chat_requests
    assert request.headers["authorization"] == "Bearer not-needed"


def test_api_key_travels_only_in_the_authorization_header(fake_llm: FakeLLM) -> None:
    engine = make_engine(fake_llm)
    engine.draft("revenue by region?", [SALES])
    engine.repair("revenue by region?", [SALES], [], "SELECT 1", "boom")
    list(engine.stream_answer("q", SQL, ["region"], [("North",)], 1))
    assert len(fake_llm.chat_requests) == 3
    for request in fake_llm.chat_requests:
        assert request.headers["authorization"] == f"Bearer {API_KEY}"
        assert API_KEY not in request.text_outside_auth()


def test_fake_server_answers_another_process(fake_llm: FakeLLM) -> None:
    """The app and CLI tests run in subprocesses that read OPENAI_BASE_URL."""
    fake_llm.script("Hello from the fake model.")
    script = (
        "import os, openai\n"
        "client = openai.OpenAI(api_key='k', base_url=os.environ['OPENAI_BASE_URL'])\n"
        "reply = client.chat.completions.create(model='m', messages=[{'role': 'user', "
        "'content': 'hi'}])\n"
        "print(reply.choices[0].message.content)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"OPENAI_BASE_URL": fake_llm.base_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "Hello from the fake model."
    assert fake_llm.chat_requests[0].messages == [{"role": "user", "content": "hi"}]


def test_fake_server_lists_a_model_and_resets_its_script(fake_llm: FakeLLM) -> None:
    client = make_engine(fake_llm).client
    assert [m.id for m in client.models.list()] == ["fake-model"]
    fake_llm.script("left over")
    fake_llm.streaming = "refuse"
    fake_llm.reset()
    assert (fake_llm.pending, fake_llm.requests, fake_llm.streaming) == (0, [], "sse")
