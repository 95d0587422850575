"""The ask pipeline: question -> engine draft -> guard -> sandbox -> sentence, table, chart.

``answer_question`` is the pipeline on a list of tables and needs no app database (the CLI
uses it as it is); ``ask`` wraps it for a chat: it stores the question first, so a failed
answer still keeps it, and stores exactly one assistant message with a payload that redraws
the answer without re-running the query.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import charts, chats
from core.catalog import TableInfo, Turn
from core.config import Settings
from core.errors import QueryError, QueryLimitError, RateLimitedError, TabletalkError
from core.log import event
from core.models import Chat, Message
from core.nl2sql.base import Draft
from core.nl2sql.engines import Engine, make_engine
from core.nl2sql.guard import guard_sql
from core.nl2sql.sentence import clean_sentence
from core.results import json_rows
from core.warehouse import QueryResult, TableSource, limits_from_settings, run_query

log = logging.getLogger(__name__)

MAX_REPAIRS = 2
HISTORY_TURNS = 3
NO_DATASET_ANSWER = (
    "This chat has no data yet. Upload a CSV file (or Excel, Parquet, JSON lines) and ask "
    "your question again."
)
GENERIC_FAILURE = "Something went wrong while answering. Try again in a moment."
ChunkSink = Callable[[str], None]


@dataclass(frozen=True)
class AskResult:
    success: bool
    answer: str
    sql_query: str | None
    result_count: int | None
    execution_success: bool | None
    requires_dataset: bool
    error: str | None
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    chart: dict | None = None
    engine: str = "rules"


@dataclass(frozen=True)
class GivenSQL:
    """The "engine" of an edited query: the user's SQL as it is, never repaired."""

    sql: str
    name: str = "sql"

    def draft(self, question: str, tables: list[TableInfo], history: list[Turn]) -> Draft:
        return Draft(sql=self.sql, understanding="Your SQL", engine="rules")


@dataclass(frozen=True)
class Answer:
    """An AskResult plus what the stored message keeps beyond it."""

    result: AskResult
    payload: dict[str, Any]


def _sources(tables: Sequence[TableInfo]) -> list[TableSource]:
    return [TableSource(t.name, t.path) for t in tables if t.path is not None]


def _failure(engine: str, message: str, sql: str | None, started: float, **extra) -> Answer:
    result = AskResult(
        success=False,
        answer=message,
        sql_query=sql,
        result_count=None,
        execution_success=False if sql else None,
        requires_dataset=False,
        error=message,
        engine=engine,
    )
    return Answer(result, _payload(result, started, **extra))


def _payload(result: AskResult, started: float, **extra: Any) -> dict[str, Any]:
    body = asdict(result)
    body["timings"] = {"total_ms": round((time.perf_counter() - started) * 1000, 1)} | extra.pop(
        "timings", {}
    )
    return body | extra


def _run_with_repairs(
    engine: Engine,
    question: str,
    tables: Sequence[TableInfo],
    history: Sequence[Turn],
    draft: Draft,
    settings: Settings,
) -> tuple[Draft, str, QueryResult, int]:
    """Guard and run; on an execution error an LLM gets the error back, at most twice.

    Returns the checked SQL without the guard's row cap: that is the query the answer shows
    (the cap only bounds what is fetched; ``result_count`` is the true total).
    """
    names = [t.name for t in tables]
    limits = limits_from_settings(settings)
    repairs = 0
    while True:
        guarded = guard_sql(draft.sql or "", names, settings.query_row_limit)
        try:
            result = run_query(
                _sources(tables), guarded.sql, limits, count_sql=guarded.unlimited_sql
            )
            return draft, guarded.unlimited_sql, result, repairs
        except QueryLimitError:
            raise
        except QueryError as error:
            if repairs >= MAX_REPAIRS or not hasattr(engine, "repair"):
                raise
            repairs += 1
            event(log, "ask.repair", attempt=repairs)
            draft = engine.repair(question, tables, history, draft.sql or "", error.message)
            if draft.sql is None:
                raise


def _sentence(
    engine: Engine,
    draft: Draft,
    question: str,
    sql: str,
    result: QueryResult,
    on_chunk: ChunkSink | None,
) -> tuple[str, dict[str, int]]:
    """The answer's words: templated by the rules engine, streamed from the LLM."""
    rows = result.rows
    if hasattr(engine, "stream_answer"):
        try:
            stream = engine.stream_answer(question, sql, result.columns, rows, result.total_count)
            for chunk in stream:
                if on_chunk:
                    on_chunk(chunk)
            usage = stream.usage
            tokens = (
                {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
                if usage
                else {}
            )
            if stream.text.strip():
                return clean_sentence(stream.text), tokens
        except TabletalkError as error:
            event(log, "ask.sentence_failed", logging.WARNING, error=type(error).__name__)
    from core.nl2sql.phrases import answer_sentence

    text = answer_sentence(draft.understanding, result.columns, rows, result.total_count)
    if on_chunk:
        on_chunk(text)
    return text, {}


def answer_question(
    tables: Sequence[TableInfo],
    question: str,
    history: Sequence[Turn],
    engine: Engine,
    settings: Settings,
    on_chunk: ChunkSink | None = None,
) -> Answer:
    """The whole pipeline on these tables. Expected failures become an answer, not a raise."""
    started = time.perf_counter()
    if not tables:
        result = AskResult(
            True, NO_DATASET_ANSWER, None, None, None, True, None, engine=engine.name
        )
        return Answer(result, _payload(result, started))
    try:
        draft = engine.draft(question, list(tables), list(history))
    except TabletalkError as error:
        return _failure(engine.name, error.message, None, started)
    drafted = time.perf_counter()
    tokens = _tokens(draft)
    if draft.sql is None:
        return _declined(engine.name, draft, started)
    try:
        draft, sql, result, repairs = _run_with_repairs(
            engine, question, tables, history, draft, settings
        )
    except TabletalkError as error:
        return _failure(
            engine.name, error.message, draft.sql, started, understanding=draft.understanding
        )
    ran = time.perf_counter()
    sentence, answer_tokens = _sentence(engine, draft, question, sql, result, on_chunk)
    chart = charts.choose_chart(result.columns, result.types, result.rows)
    ask_result = AskResult(
        success=True,
        answer=sentence,
        sql_query=sql,
        result_count=result.total_count,
        execution_success=True,
        requires_dataset=False,
        error=None,
        columns=list(result.columns),
        rows=json_rows(result.rows),
        chart=chart.to_dict(),
        engine=engine.name,
    )
    timings = {
        "draft_ms": round((drafted - started) * 1000, 1),
        "query_ms": round(result.elapsed_ms, 1),
        "run_ms": round((ran - drafted) * 1000, 1),
    }
    payload = _payload(
        ask_result,
        started,
        timings=timings,
        types=list(result.types),
        truncated=result.truncated,
        understanding=draft.understanding,
        repairs=repairs,
        tokens=_merge_tokens(tokens, answer_tokens),
    )
    return Answer(ask_result, payload)


def _tokens(draft: Draft) -> dict[str, int]:
    found = {"prompt_tokens": draft.prompt_tokens, "completion_tokens": draft.completion_tokens}
    return {k: v for k, v in found.items() if v is not None}


def _merge_tokens(*parts: dict[str, int]) -> dict[str, int] | None:
    total: dict[str, int] = {}
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total or None


def _declined(engine: str, draft: Draft, started: float) -> Answer:
    message = draft.understanding
    if draft.suggestions:
        message += " Try: " + "; ".join(f"“{s}”" for s in draft.suggestions) + "."
    result = AskResult(False, message, None, None, None, False, draft.understanding, engine=engine)
    return Answer(result, _payload(result, started, suggestions=list(draft.suggestions)))


# --- in a chat ---------------------------------------------------------------------------


def check_rate(session: Session, settings: Settings, user_id: uuid.UUID) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    asked = session.scalar(
        select(func.count())
        .select_from(Message)
        .join(Chat, Chat.id == Message.chat_id)
        .where(Chat.user_id == user_id, Message.role == "user", Message.created_at > since)
    )
    if asked >= settings.ask_rate_per_minute:
        raise RateLimitedError(
            f"You asked {asked} questions in the last minute; the limit is "
            f"{settings.ask_rate_per_minute}. Wait a moment and ask again."
        )


def recent_turns(session: Session, user_id: uuid.UUID, chat_id, before: int = 0) -> list[Turn]:
    """The last few question/answer pairs, oldest first, for follow-up questions."""
    messages = chats.list_messages(session, user_id, chat_id, limit=HISTORY_TURNS * 2 + before)
    messages = messages[: len(messages) - before] if before else messages
    turns: list[Turn] = []
    pending: str | None = None
    for message in messages:
        if message.role == "user":
            pending = message.content
        elif pending is not None:
            turns.append(Turn(pending, message.sql, message.content))
            pending = None
    return turns[-HISTORY_TURNS:]


def _store(session, user_id, chat_id, answer: Answer) -> AskResult:
    result = answer.result
    chats.add_answer(session, user_id, chat_id, result.answer, result.sql_query, answer.payload)
    session.commit()
    return result


def ask(
    session: Session,
    settings: Settings,
    user_id: uuid.UUID,
    chat_id: uuid.UUID | str,
    question: str,
    *,
    engine: Engine | None = None,
    on_chunk: ChunkSink | None = None,
) -> AskResult:
    from core.datasets import chat_tables

    chats.owned_chat(session, user_id, chat_id)
    check_rate(session, settings, user_id)
    chats.add_question(session, user_id, chat_id, question)
    chats.retitle_if_new(session, user_id, chat_id, question)
    session.commit()
    engine = engine or make_engine(settings)
    try:
        tables = chat_tables(session, user_id, chat_id)
        history = recent_turns(session, user_id, chat_id, before=1)
        answer = answer_question(tables, question, history, engine, settings, on_chunk)
    except Exception as error:  # noqa: BLE001 - the question is kept, the answer says so
        session.rollback()
        log.exception("event=ask.failed chat=%s", chat_id)
        message = error.message if isinstance(error, TabletalkError) else GENERIC_FAILURE
        answer = _failure(engine.name, message, None, time.perf_counter())
    event(
        log,
        "ask.answered",
        user=user_id,
        chat=chat_id,
        engine=engine.name,
        success=answer.result.success,
        rows=answer.result.result_count,
    )
    return _store(session, user_id, chat_id, answer)


def run_edited_sql(
    session: Session, settings: Settings, user_id: uuid.UUID, chat_id: uuid.UUID | str, sql: str
) -> AskResult:
    """A user's own SQL goes through the same guard and sandbox as an engine's."""
    from core.datasets import chat_tables

    chats.owned_chat(session, user_id, chat_id)
    check_rate(session, settings, user_id)
    chats.add_message(session, user_id, chat_id, "user", f"Run my SQL:\n```sql\n{sql}\n```", sql)
    session.commit()
    try:
        tables = chat_tables(session, user_id, chat_id)
        answer = answer_question(tables, sql, [], GivenSQL(sql), settings)
    except Exception as error:  # noqa: BLE001
        session.rollback()
        log.exception("event=ask.edited_failed chat=%s", chat_id)
        message = error.message if isinstance(error, TabletalkError) else GENERIC_FAILURE
        answer = _failure("sql", message, sql, time.perf_counter())
    return _store(session, user_id, chat_id, answer)
