"""The ``llm`` engine: an OpenAI-compatible chat model writes the SQL and the answer sentence.

Works with any server speaking the chat completions API (OpenAI, Azure, Ollama, vLLM,
llama.cpp...). The client's own retries are off: ours retry only what can succeed on a second
try (429, 5xx, dropped connections), with a visible budget, and every failure becomes an
``LLMError`` whose message names the setting to check. The API key never appears in a message
or a log line.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
import openai

from core.catalog import TableInfo, Turn
from core.config import Settings
from core.errors import LLMError
from core.nl2sql.base import Draft
from core.nl2sql.extract import DEFAULT_UNDERSTANDING, NO_SQL_MESSAGE, extract, understanding_of
from core.nl2sql.prompt import Message, answer_messages, draft_messages, repair_messages
from core.nl2sql.sentence import clean_sentence

log = logging.getLogger(__name__)

MAX_SERVER_MESSAGE_CHARS = 200
# What a call can fail with: the client's errors, transport errors it lets through, and
# JSON that does not decode (a proxy's HTML page with status 200).
_CLIENT_FAILURES = (openai.OpenAIError, httpx2.HTTPError, ValueError)
UNREADABLE = (
    "The language model server sent a response that could not be read. Check that "
    "OPENAI_BASE_URL points to an OpenAI-compatible API."
)
CUT_OFF = "The language model's answer was cut off. Try again."


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry 429, 5xx and dropped connections."""

    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Exponential backoff with a little jitter; a server's Retry-After wins if longer."""
        backoff = min(self.max_delay_s, self.base_delay_s * 2**attempt)
        backoff += random.uniform(0, backoff / 4)
        if retry_after is not None and 0 < retry_after <= self.max_delay_s:
            return max(backoff, retry_after)
        return backoff


@dataclass(frozen=True)
class TokenUsage:
    prompt_tokens: int
    completion_tokens: int


class AnswerStream(Iterator[str]):
    """The answer's text chunks in order; ``usage`` is set once the stream is exhausted.

    Returned instead of keeping "last usage" on the engine, so one engine can serve several
    sessions at once.
    """

    def __init__(self, source: Iterator[str | TokenUsage]) -> None:
        self._source = source
        self._parts: list[str] = []
        self.usage: TokenUsage | None = None

    def __iter__(self) -> AnswerStream:
        return self

    def __next__(self) -> str:
        while True:
            item = next(self._source)
            if isinstance(item, TokenUsage):
                self.usage = item
                continue
            self._parts.append(item)
            return item

    @property
    def text(self) -> str:
        return "".join(self._parts)


class LLMEngine:
    name = "llm"

    def __init__(
        self,
        settings: Settings,
        client: openai.OpenAI | None = None,
        *,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.client = client or openai.OpenAI(
            api_key=settings.openai_api_key or "not-needed",
            base_url=settings.openai_base_url,
            timeout=settings.openai_timeout_s,
            max_retries=0,
        )
        self.retry = retry
        self._sleep = sleep

    # --- the engine contract ---------------------------------------------------------------
    def draft(
        self, question: str, tables: Sequence[TableInfo], history: Sequence[Turn] = ()
    ) -> Draft:
        messages = draft_messages(question, tables, history, self.settings.privacy_mode)
        return self._draft_from(messages, "draft")

    def repair(
        self,
        question: str,
        tables: Sequence[TableInfo],
        history: Sequence[Turn],
        failed_sql: str,
        error: str,
    ) -> Draft:
        """Sends the failed query and the engine's (cleaned) error back for a corrected one."""
        messages = repair_messages(
            question, tables, history, failed_sql, error, self.settings.privacy_mode
        )
        return self._draft_from(messages, "repair")

    def stream_answer(
        self, question: str, sql: str, columns: list[str], rows: list[tuple], total_count: int
    ) -> AnswerStream:
        """A one-to-three sentence answer, streamed; nothing is sent until iteration starts."""
        messages = answer_messages(
            question, sql, columns, rows, total_count, self.settings.privacy_mode
        )
        return AnswerStream(self._answer_chunks(messages))

    # --- drafting --------------------------------------------------------------------------
    def _draft_from(self, messages: list[Message], purpose: str) -> Draft:
        response = self._call(messages, purpose)
        content = _content_of(response)
        usage = _usage_of(response)
        tokens = {
            "prompt_tokens": usage.prompt_tokens if usage else None,
            "completion_tokens": usage.completion_tokens if usage else None,
        }
        try:
            extracted = extract(content)
        except LLMError:
            declined = understanding_of(content, "")
            if declined == DEFAULT_UNDERSTANDING:
                raise LLMError(NO_SQL_MESSAGE) from None
            return Draft(sql=None, understanding=clean_sentence(declined), engine="llm", **tokens)
        return Draft(
            sql=extracted.sql,
            understanding=clean_sentence(extracted.understanding),
            engine="llm",
            **tokens,
        )

    # --- answering -------------------------------------------------------------------------
    def _answer_chunks(self, messages: list[Message]) -> Iterator[str | TokenUsage]:
        stream = self._open_stream(messages)
        if stream is None:
            yield from self._answer_unstreamed(messages)
            return
        got_text = finished = False
        try:
            for chunk in stream:
                usage = _usage_of(chunk)
                if usage:
                    yield usage
                for choice in getattr(chunk, "choices", None) or []:
                    finished = finished or bool(getattr(choice, "finish_reason", None))
                    text = getattr(getattr(choice, "delta", None), "content", None)
                    if isinstance(text, str) and text:
                        got_text = True
                        yield text
        except (httpx2.TimeoutException, openai.APITimeoutError):
            raise LLMError(self._timeout_message()) from None
        except (openai.APIError, httpx2.HTTPError, ValueError) as exc:
            log.warning("Language model stream broke: %s", _describe(exc))
            raise LLMError(CUT_OFF) from None
        finally:
            stream.close()
        if got_text and not finished:
            raise LLMError(CUT_OFF)
        if not got_text and not finished:  # the server ignored stream=True
            yield from self._answer_unstreamed(messages)

    def _open_stream(self, messages: list[Message]) -> Any | None:
        """The streamed response, or None when the server refuses to stream."""
        try:
            return self._call(
                messages,
                "answer",
                passthrough=(openai.BadRequestError, openai.UnprocessableEntityError),
                stream=True,
                stream_options={"include_usage": True},
            )
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            log.info("Language model refused streaming (%s); asking without", _describe(exc))
            return None

    def _answer_unstreamed(self, messages: list[Message]) -> Iterator[str | TokenUsage]:
        response = self._call(messages, "answer")
        content = _content_of(response)
        usage = _usage_of(response)
        if content:
            yield content
        if usage:
            yield usage

    # --- calling the server ----------------------------------------------------------------
    def _call(
        self,
        messages: list[Message],
        purpose: str,
        passthrough: tuple[type[Exception], ...] = (),
        **options: Any,
    ) -> Any:
        """One chat completion, retried while that can help; failures become ``LLMError``.

        Exceptions of the ``passthrough`` types reach the caller untranslated.
        """
        for attempt in range(1, self.retry.attempts + 1):
            started = time.monotonic()
            try:
                response = self.client.chat.completions.create(
                    model=self.settings.openai_model, messages=messages, **options
                )
            except passthrough:
                raise
            except _CLIENT_FAILURES as exc:
                if not _retryable(exc) or attempt >= self.retry.attempts:
                    raise self._translate(exc, tries=attempt) from None
                delay = self.retry.delay(attempt - 1, _retry_after(exc))
                log.warning(
                    "Language model %s failed (%s); retry %d of %d in %.2f s",
                    purpose,
                    _describe(exc),
                    attempt,
                    self.retry.attempts - 1,
                    delay,
                )
                self._sleep(delay)
                continue
            log.info(
                "Language model %s answered in %.2f s (model %s)",
                purpose,
                time.monotonic() - started,
                self.settings.openai_model,
            )
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    # --- errors a user can act on ----------------------------------------------------------
    def _translate(self, exc: Exception, tries: int) -> LLMError:
        log.warning("Language model call failed after %d tries: %s", tries, _describe(exc))
        if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException):
            return LLMError(self._timeout_message())
        if isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
            return LLMError(
                f"Cannot reach the language model at {self._host()}. "
                "Check OPENAI_BASE_URL or try again."
            )
        if isinstance(exc, openai.APIStatusError):
            return LLMError(self._status_message(exc, tries))
        if isinstance(exc, openai.APIResponseValidationError | ValueError):
            return LLMError(UNREADABLE)
        return LLMError(f"The language model call failed ({type(exc).__name__}). Try again.")

    def _status_message(self, exc: openai.APIStatusError, tries: int) -> str:
        status, code, detail = exc.status_code, _error_code(exc), self._server_detail(exc)
        model = self.settings.openai_model
        if status in (401, 403):
            return "The language model rejected the API key. Check OPENAI_API_KEY."
        if status == 404 and (code == "model_not_found" or "model" in detail.lower()):
            return f"The model '{model}' is not available on the server. Check OPENAI_MODEL."
        if status == 404:
            return (
                f"The language model server at {self._host()} has no chat completions endpoint "
                "(404). Check OPENAI_BASE_URL; it usually ends in /v1."
            )
        if status == 429 and code == "insufficient_quota":
            return (
                "The language model account has no quota left (429). "
                "Check the plan and billing for OPENAI_API_KEY."
            )
        in_a_row = f" {tries} times in a row" if tries > 1 else ""
        if status == 429:
            return f"The language model is busy (429){in_a_row}. Try again in a minute."
        if status >= 500:
            return f"The language model server failed ({status}){in_a_row}. Try again later."
        suffix = f": {detail}" if detail else "."
        return f"The language model refused the request ({status}){suffix}"

    def _server_detail(self, exc: openai.APIStatusError) -> str:
        """The server's own short explanation, with the API key scrubbed out."""
        body = exc.body if isinstance(exc.body, dict) else {}
        detail = " ".join(str(body.get("message") or "").split())
        key = self.settings.openai_api_key
        if key and len(key) >= 4:
            detail = detail.replace(key, "[redacted]")
        if len(detail) > MAX_SERVER_MESSAGE_CHARS:
            detail = detail[: MAX_SERVER_MESSAGE_CHARS - 1] + "…"
        return clean_sentence(detail)

    def _timeout_message(self) -> str:
        return (
            f"The language model did not answer within {self.settings.openai_timeout_s:g} s. "
            "Try again, or raise OPENAI_TIMEOUT_S."
        )

    def _host(self) -> str:
        """Host and port only: a base URL may carry credentials."""
        parts = urlsplit(str(self.client.base_url))
        host = parts.hostname or "the configured address"
        return f"{host}:{parts.port}" if parts.port else host


# --- reading responses ---------------------------------------------------------------------
def _content_of(response: Any) -> str:
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list):
        raise LLMError(UNREADABLE)
    if not choices:
        raise LLMError("The language model returned an empty reply. Try again.")
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if content is None and getattr(message, "refusal", None):
        raise LLMError("The language model declined to answer this question.")
    if content is not None and not isinstance(content, str):
        raise LLMError(UNREADABLE)
    return content or ""


def _usage_of(response: Any) -> TokenUsage | None:
    usage = getattr(response, "usage", None)
    prompt = getattr(usage, "prompt_tokens", None)
    completion = getattr(usage, "completion_tokens", None)
    if isinstance(prompt, int) and isinstance(completion, int):
        return TokenUsage(prompt_tokens=prompt, completion_tokens=completion)
    return None


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, openai.APITimeoutError):
        return False  # a second wait of the same length is worse than a clear message
    if isinstance(exc, openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 429:
            return _error_code(exc) != "insufficient_quota"
        return exc.status_code >= 500
    return False


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    raw = response.headers.get("retry-after") if response is not None else None
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _error_code(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    return str(body.get("code") or getattr(exc, "code", None) or "")


def _describe(exc: BaseException) -> str:
    """For logs: the kind of failure and its status, never headers or bodies."""
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__}" + (f" {status}" if status else "")
