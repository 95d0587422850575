"""Chats and their messages. Every function takes the acting user and checks ownership.

A chat that belongs to someone else is reported exactly like one that does not exist.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core.errors import NotFoundError, ValidationError
from core.ids import parse_id
from core.log import event
from core.models import Chat, Message

log = logging.getLogger(__name__)

Role = Literal["user", "assistant"]
DEFAULT_TITLE = "New chat"
TITLE_MAX = 80


@dataclass(frozen=True)
class ChatSummary:
    id: uuid.UUID
    title: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ChatMessage:
    id: uuid.UUID
    chat_id: uuid.UUID
    role: Role
    content: str
    sql: str | None
    payload: dict[str, Any] | None
    created_at: datetime


def _summary(chat: Chat) -> ChatSummary:
    return ChatSummary(chat.id, chat.title, chat.created_at, chat.updated_at)


def _message(m: Message) -> ChatMessage:
    return ChatMessage(m.id, m.chat_id, m.role, m.content, m.sql, m.payload, m.created_at)  # type: ignore[arg-type]


def owned_chat(session: Session, user_id: uuid.UUID, chat_id: uuid.UUID | str) -> Chat:
    """The ORM row for one of the user's chats, for other core modules."""
    cid = parse_id(chat_id)
    chat = session.get(Chat, cid) if cid else None
    if chat is None or chat.user_id != user_id:
        raise NotFoundError("That chat does not exist or is not yours.")
    return chat


def clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise ValidationError("A chat title cannot be empty.")
    if len(cleaned) > TITLE_MAX:
        cleaned = cleaned[: TITLE_MAX - 1].rstrip() + "…"
    return cleaned


def create_chat(session: Session, user_id: uuid.UUID, title: str = DEFAULT_TITLE) -> ChatSummary:
    chat = Chat(user_id=user_id, title=clean_title(title))
    session.add(chat)
    session.flush()
    session.refresh(chat)
    event(log, "chat.created", user=user_id, chat=chat.id)
    return _summary(chat)


def list_chats(session: Session, user_id: uuid.UUID) -> list[ChatSummary]:
    """Newest activity first."""
    rows = session.scalars(
        select(Chat)
        .where(Chat.user_id == user_id)
        .order_by(Chat.updated_at.desc(), Chat.created_at.desc())
    )
    return [_summary(c) for c in rows]


def get_chat(session: Session, user_id: uuid.UUID, chat_id: uuid.UUID | str) -> ChatSummary:
    return _summary(owned_chat(session, user_id, chat_id))


def rename_chat(
    session: Session, user_id: uuid.UUID, chat_id: uuid.UUID | str, title: str
) -> ChatSummary:
    chat = owned_chat(session, user_id, chat_id)
    chat.title = clean_title(title)
    session.flush()
    event(log, "chat.renamed", user=user_id, chat=chat.id)
    return _summary(chat)


def delete_chat(session: Session, user_id: uuid.UUID, chat_id: uuid.UUID | str) -> None:
    """Removes the chat with its messages and dataset rows (dataset files: see datasets)."""
    chat = owned_chat(session, user_id, chat_id)
    session.execute(delete(Chat).where(Chat.id == chat.id))
    session.expunge(chat)
    event(log, "chat.deleted", user=user_id, chat=chat_id)


def add_message(
    session: Session,
    user_id: uuid.UUID,
    chat_id: uuid.UUID | str,
    role: Role,
    content: str,
    sql: str | None = None,
    payload: dict[str, Any] | None = None,
) -> ChatMessage:
    if role not in ("user", "assistant"):
        raise ValidationError(f"Unknown message role {role!r}.")
    chat = owned_chat(session, user_id, chat_id)
    message = Message(chat_id=chat.id, role=role, content=content, sql=sql, payload=payload)
    session.add(message)
    session.execute(update(Chat).where(Chat.id == chat.id).values(updated_at=func.now()))
    session.flush()
    session.refresh(message)
    return _message(message)


def add_question(
    session: Session, user_id: uuid.UUID, chat_id: uuid.UUID | str, question: str
) -> ChatMessage:
    """The user's words, stored as role ``user`` (never as assistant)."""
    text = question.strip()
    if not text:
        raise ValidationError("Type a question first.")
    return add_message(session, user_id, chat_id, "user", text)


def add_answer(
    session: Session,
    user_id: uuid.UUID,
    chat_id: uuid.UUID | str,
    content: str,
    sql: str | None,
    payload: dict[str, Any],
) -> ChatMessage:
    return add_message(session, user_id, chat_id, "assistant", content, sql, payload)


def list_messages(
    session: Session, user_id: uuid.UUID, chat_id: uuid.UUID | str, limit: int | None = None
) -> list[ChatMessage]:
    """Oldest first; with ``limit``, the last ``limit`` messages."""
    chat = owned_chat(session, user_id, chat_id)
    query = select(Message).where(Message.chat_id == chat.id)
    if limit is None:
        rows = list(session.scalars(query.order_by(Message.created_at, Message.id)))
    else:
        newest = session.scalars(query.order_by(Message.created_at.desc()).limit(limit))
        rows = list(reversed(list(newest)))
    return [_message(m) for m in rows]


def get_message(session: Session, user_id: uuid.UUID, message_id: uuid.UUID | str) -> ChatMessage:
    mid = parse_id(message_id)
    message = session.get(Message, mid) if mid else None
    if message is None:
        raise NotFoundError("That message does not exist or is not yours.")
    owned_chat(session, user_id, message.chat_id)
    return _message(message)


def update_answer_payload(
    session: Session, user_id: uuid.UUID, message_id: uuid.UUID | str, payload: dict[str, Any]
) -> ChatMessage:
    """Used when the user switches an answer's chart: the stored answer redraws that way."""
    found = get_message(session, user_id, message_id)
    if found.role != "assistant":
        raise ValidationError("Only answers have charts.")
    session.execute(update(Message).where(Message.id == found.id).values(payload=payload))
    return get_message(session, user_id, found.id)


def title_from_question(question: str) -> str:
    words = " ".join(question.split())
    if len(words) <= 60:
        return words or DEFAULT_TITLE
    return words[:59].rsplit(" ", 1)[0] + "…"


def retitle_if_new(
    session: Session, user_id: uuid.UUID, chat_id: uuid.UUID | str, question: str
) -> None:
    """The first question names a chat that still has the default title."""
    chat = owned_chat(session, user_id, chat_id)
    if chat.title == DEFAULT_TITLE:
        chat.title = clean_title(title_from_question(question))
        session.flush()
