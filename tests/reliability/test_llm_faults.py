"""Every way the language model service can fail ends in one clear, actionable message."""

from __future__ import annotations

import logging
import socket

import pytest

from core.catalog import ColumnInfo, TableInfo
from core.config import Settings
from core.errors import LLMError
from core.nl2sql.llm import CUT_OFF, UNREADABLE, LLMEngine, RetryPolicy
from tests import fakellm
from tests.fakellm import FakeLLM, Reply

API_KEY = "sk-test-5ecret-key-0123456789"
SQL = 'SELECT COUNT(*) AS n FROM "sales"'
GOOD = f"Counting rows.\n```sql\n{SQL}\n```"
SALES = TableInfo("sales", 3, (ColumnInfo("region", "region", "VARCHAR", 0, 3),))
ATTEMPTS = 3


class Engine:
    """The engine under test, with a recorded (not slept) backoff."""

    def __init__(self, base_url: str, timeout_s: float = 5, model: str = "fake-model") -> None:
        self.sleeps: list[float] = []
        settings = Settings(
            openai_api_key=API_KEY,
            openai_base_url=base_url,
            openai_model=model,
            openai_timeout_s=timeout_s,
        )
        self.engine = LLMEngine(
            settings,
            retry=RetryPolicy(attempts=ATTEMPTS, base_delay_s=0.01, max_delay_s=0.5),
            sleep=self.sleeps.append,
        )

    def draft_error(self) -> LLMError:
        with pytest.raises(LLMError) as caught:
            self.engine.draft("how many rows?", [SALES])
        assert API_KEY not in caught.value.message
        return caught.value


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# --- failures that are not retried ---------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply.error(401), "The language model rejected the API key. Check OPENAI_API_KEY."),
        (Reply.error(403), "The language model rejected the API key. Check OPENAI_API_KEY."),
        (
            Reply.error(404),
            "The model 'fake-model' is not available on the server. Check OPENAI_MODEL.",
        ),
        (
            Reply.error(404, message='model "fake-model" not found, try pulling it first', code=""),
            "The model 'fake-model' is not available on the server. Check OPENAI_MODEL.",
        ),
        (
            Reply.error(429, message="You exceeded your current quota.", code="insufficient_quota"),
            "The language model account has no quota left (429). "
            "Check the plan and billing for OPENAI_API_KEY.",
        ),
        (
            Reply.error(400, message="This model's maximum context length is 8192 tokens."),
            "The language model refused the request (400): "
            "This model's maximum context length is 8192 tokens.",
        ),
        (Reply.garbage(), UNREADABLE),
        (Reply.garbage(b'{"unexpected": "shape"}'), UNREADABLE),
        (Reply.garbage(b'{"choices": "nope"}'), UNREADABLE),
    ],
    ids=[
        "401",
        "403",
        "404_model_not_found",
        "404_ollama_style",
        "429_out_of_quota",
        "400_context_length",
        "garbage_html",
        "json_wrong_shape",
        "json_wrong_choices",
    ],
)
def test_unretryable_failure_gives_a_clear_message_after_one_try(
    fake_llm: FakeLLM, reply: Reply, expected: str
) -> None:
    fake_llm.script(reply, GOOD)
    engine = Engine(fake_llm.base_url)
    assert engine.draft_error().message == expected
    assert len(fake_llm.chat_requests) == 1
    assert engine.sleeps == []


def test_wrong_base_path_is_reported_as_a_base_url_problem(fake_llm: FakeLLM) -> None:
    engine = Engine(fake_llm.base_url.removesuffix("/v1"))
    assert engine.draft_error().message == (
        f"The language model server at 127.0.0.1:{fake_llm.port} has no chat completions "
        "endpoint (404). Check OPENAI_BASE_URL; it usually ends in /v1."
    )


def test_server_error_message_never_echoes_the_api_key(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.error(400, message=f"Key {API_KEY} is not valid for this project."))
    message = Engine(fake_llm.base_url).draft_error().message
    assert message == (
        "The language model refused the request (400): "
        "Key [redacted] is not valid for this project."
    )


def test_timeout_gives_a_clear_message_without_retrying(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.text(GOOD, delay_s=5), GOOD)
    engine = Engine(fake_llm.base_url, timeout_s=1)
    assert engine.draft_error().message == (
        "The language model did not answer within 1 s. Try again, or raise OPENAI_TIMEOUT_S."
    )
    assert len(fake_llm.chat_requests) == 1


# --- failures that are retried -------------------------------------------------------------
@pytest.mark.parametrize(
    "first",
    [
        Reply.error(429),
        Reply.error(500),
        Reply.error(502, message="Bad gateway"),
        Reply.error(503),
        Reply.drop(),
    ],
    ids=["429", "500", "502", "503", "connection_drop"],
)
def test_transient_failure_then_success_is_retried_and_succeeds(
    fake_llm: FakeLLM, first: Reply
) -> None:
    fake_llm.script(first, GOOD)
    engine = Engine(fake_llm.base_url)
    draft = engine.engine.draft("how many rows?", [SALES])
    assert draft.sql == SQL
    assert len(fake_llm.chat_requests) == 2
    assert len(engine.sleeps) == 1


def test_two_transient_failures_then_success_still_succeeds(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.error(503), Reply.error(429), GOOD)
    assert Engine(fake_llm.base_url).engine.draft("how many rows?", [SALES]).sql == SQL


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (
            Reply.error(429),
            f"The language model is busy (429) {ATTEMPTS} times in a row. Try again in a minute.",
        ),
        (
            Reply.error(500),
            f"The language model server failed (500) {ATTEMPTS} times in a row. Try again later.",
        ),
    ],
    ids=["429_forever", "500_forever"],
)
def test_persistent_failure_stops_after_the_retry_budget(
    fake_llm: FakeLLM, failure: Reply, expected: str
) -> None:
    fake_llm.default = failure
    engine = Engine(fake_llm.base_url)
    assert engine.draft_error().message == expected
    assert len(fake_llm.chat_requests) == ATTEMPTS
    assert len(engine.sleeps) == ATTEMPTS - 1


def test_without_retries_the_message_reports_a_single_failure(fake_llm: FakeLLM) -> None:
    fake_llm.default = Reply.error(503)
    settings = Settings(openai_base_url=fake_llm.base_url, openai_model="fake-model")
    engine = LLMEngine(settings, retry=RetryPolicy(attempts=1))
    with pytest.raises(LLMError) as caught:
        engine.draft("how many rows?", [SALES])
    assert caught.value.message == "The language model server failed (503). Try again later."
    assert len(fake_llm.chat_requests) == 1


def test_retries_back_off_exponentially(fake_llm: FakeLLM) -> None:
    fake_llm.default = Reply.error(503)
    engine = Engine(fake_llm.base_url)
    engine.draft_error()
    first, second = engine.sleeps
    assert 0.01 <= first <= 0.0125
    assert 0.02 <= second <= 0.025


def test_retry_after_header_is_honoured_within_the_cap(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.error(429, retry_after=0.3), GOOD)
    engine = Engine(fake_llm.base_url)
    engine.engine.draft("how many rows?", [SALES])
    assert engine.sleeps == [0.3]


def test_unreachable_server_names_the_host_and_the_setting() -> None:
    url = closed_port_url()
    engine = Engine(url)
    host = url.removeprefix("http://").removesuffix("/v1")
    assert engine.draft_error().message == (
        f"Cannot reach the language model at {host}. Check OPENAI_BASE_URL or try again."
    )
    assert len(engine.sleeps) == ATTEMPTS - 1


def test_unreachable_message_never_shows_credentials_in_the_base_url() -> None:
    url = closed_port_url().replace("http://", "http://admin:hunter2@")
    message = Engine(url).draft_error().message
    assert "hunter2" not in message
    assert "admin" not in message
    assert message.startswith("Cannot reach the language model at 127.0.0.1:")


def test_server_stopped_between_questions_gives_the_unreachable_message() -> None:
    with FakeLLM() as fake:
        engine = Engine(fake.base_url)
        assert engine.engine.draft("how many rows?", [SALES]).sql
    assert engine.draft_error().message.startswith("Cannot reach the language model at")


# --- the streamed answer -------------------------------------------------------------------
def _answer(engine: Engine) -> str:
    return "".join(engine.engine.stream_answer("q", SQL, ["n"], [(3,)], 1))


def test_stream_cut_off_midway_raises_a_clear_error_after_the_first_words(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script(Reply.drop(after_chunks=2, content="There are three rows in the table."))
    stream = Engine(fake_llm.base_url).engine.stream_answer("q", SQL, ["n"], [(3,)], 1)
    received: list[str] = []
    with pytest.raises(LLMError) as caught:
        for chunk in stream:
            received.append(chunk)
    assert caught.value.message == CUT_OFF
    assert "".join(received) == "There are"


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (Reply.error(401), "The language model rejected the API key. Check OPENAI_API_KEY."),
        (
            Reply.error(404),
            "The model 'fake-model' is not available on the server. Check OPENAI_MODEL.",
        ),
        (
            Reply.error(429),
            f"The language model is busy (429) {ATTEMPTS} times in a row. Try again in a minute.",
        ),
    ],
    ids=["401", "404", "429_forever"],
)
def test_stream_failure_gives_the_same_clear_message(
    fake_llm: FakeLLM, failure: Reply, expected: str
) -> None:
    fake_llm.default = failure
    with pytest.raises(LLMError) as caught:
        _answer(Engine(fake_llm.base_url))
    assert caught.value.message == expected


def test_stream_retries_a_transient_failure(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.error(503), "There are three rows.")
    assert _answer(Engine(fake_llm.base_url)) == "There are three rows."


def test_stream_timeout_gives_the_timeout_message(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.text("There are three rows.", delay_s=5))
    with pytest.raises(LLMError) as caught:
        _answer(Engine(fake_llm.base_url, timeout_s=1))
    assert caught.value.message.startswith("The language model did not answer within 1 s.")


def test_garbage_on_both_stream_and_fallback_gives_the_unreadable_message(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.default = Reply.garbage()
    with pytest.raises(LLMError) as caught:
        _answer(Engine(fake_llm.base_url))
    assert caught.value.message == UNREADABLE


# --- the key stays out of logs -------------------------------------------------------------
FAULTS = [
    Reply.error(401),
    Reply.error(404),
    Reply.error(429),
    Reply.error(500),
    Reply.error(400, message=f"bad key {API_KEY}"),
    Reply.garbage(),
    Reply.drop(),
]


def test_no_log_line_contains_the_api_key(
    fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    engine = Engine(fake_llm.base_url)
    for fault in FAULTS:
        fake_llm.default = fault
        engine.draft_error()
    fake_llm.default = fakellm.default_reply
    engine.engine.draft("how many rows?", [SALES])
    _answer(engine)
    assert any(r.name == "core.nl2sql.llm" for r in caplog.records)
    assert API_KEY not in caplog.text
