"""Chats and messages on a real PostgreSQL: ownership, roles, ordering."""

from __future__ import annotations

import inspect
import uuid

import pytest
from sqlalchemy import select

import core.chats as chats
from core.errors import NotFoundError, ValidationError
from core.models import Message


def test_new_chat_is_called_new_chat(db, user_id):
    chat = chats.create_chat(db, user_id)
    assert chat.title == "New chat"


def test_chats_are_listed_newest_activity_first(db, user_id):
    first = chats.create_chat(db, user_id, "First")
    second = chats.create_chat(db, user_id, "Second")
    db.commit()
    chats.add_question(db, user_id, first.id, "touch the first chat")
    db.commit()
    assert [c.title for c in chats.list_chats(db, user_id)] == ["First", "Second"]
    assert second.id in {c.id for c in chats.list_chats(db, user_id)}


def test_rename_trims_and_keeps_the_new_title(db, user_id):
    chat = chats.create_chat(db, user_id)
    chats.rename_chat(db, user_id, chat.id, "  Q3   revenue  ")
    assert chats.get_chat(db, user_id, chat.id).title == "Q3 revenue"


def test_rename_to_blank_is_refused(db, user_id):
    chat = chats.create_chat(db, user_id)
    with pytest.raises(ValidationError):
        chats.rename_chat(db, user_id, chat.id, "   ")


def test_delete_removes_chat_and_messages(db, user_id):
    chat = chats.create_chat(db, user_id)
    chats.add_question(db, user_id, chat.id, "how many orders")
    db.commit()
    chats.delete_chat(db, user_id, chat.id)
    db.commit()
    assert chats.list_chats(db, user_id) == []
    assert db.scalars(select(Message)).all() == []


def test_question_is_stored_as_user_and_answer_as_assistant_once_each(db, user_id):
    chat = chats.create_chat(db, user_id)
    chats.add_question(db, user_id, chat.id, "total revenue")
    chats.add_answer(db, user_id, chat.id, "It is 10.", "SELECT 10", {"engine": "rules"})
    db.commit()
    roles = [(m.role, m.content) for m in chats.list_messages(db, user_id, chat.id)]
    assert roles == [("user", "total revenue"), ("assistant", "It is 10.")]


def test_a_question_can_never_be_saved_with_the_assistant_role(db, user_id):
    chat = chats.create_chat(db, user_id)
    saved = chats.add_question(db, user_id, chat.id, "who am I")
    assert saved.role == "user"
    with pytest.raises(ValidationError):
        chats.add_message(db, user_id, chat.id, "system", "sneaky")  # type: ignore[arg-type]


def test_the_database_refuses_an_unknown_role(db, user_id):
    chat = chats.create_chat(db, user_id)
    db.add(Message(chat_id=chat.id, role="bot", content="x"))
    with pytest.raises(Exception, match="messages_role_check"):
        db.flush()


def test_first_question_names_a_new_chat_but_not_a_renamed_one(db, user_id):
    fresh = chats.create_chat(db, user_id)
    named = chats.create_chat(db, user_id, "Budget")
    long_q = "What is the total revenue per region for every product category in 2024 please"
    chats.retitle_if_new(db, user_id, fresh.id, long_q)
    chats.retitle_if_new(db, user_id, named.id, long_q)
    title = chats.get_chat(db, user_id, fresh.id).title
    assert title.startswith("What is the total revenue") and len(title) <= 61
    assert chats.get_chat(db, user_id, named.id).title == "Budget"


def test_list_messages_with_limit_returns_the_latest_in_order(db, user_id):
    chat = chats.create_chat(db, user_id)
    for i in range(5):
        chats.add_question(db, user_id, chat.id, f"q{i}")
    got = [m.content for m in chats.list_messages(db, user_id, chat.id, limit=2)]
    assert got == ["q3", "q4"]


def _calls_with_foreign_chat(chat_id, message_id):
    return {
        "owned_chat": lambda s, u: chats.owned_chat(s, u, chat_id),
        "get_chat": lambda s, u: chats.get_chat(s, u, chat_id),
        "rename_chat": lambda s, u: chats.rename_chat(s, u, chat_id, "mine now"),
        "delete_chat": lambda s, u: chats.delete_chat(s, u, chat_id),
        "add_message": lambda s, u: chats.add_message(s, u, chat_id, "user", "hi"),
        "add_question": lambda s, u: chats.add_question(s, u, chat_id, "hi"),
        "add_answer": lambda s, u: chats.add_answer(s, u, chat_id, "a", None, {}),
        "list_messages": lambda s, u: chats.list_messages(s, u, chat_id),
        "get_message": lambda s, u: chats.get_message(s, u, message_id),
        "update_answer_payload": lambda s, u: chats.update_answer_payload(s, u, message_id, {}),
        "retitle_if_new": lambda s, u: chats.retitle_if_new(s, u, chat_id, "mine"),
    }


def test_every_public_chat_function_taking_an_id_refuses_another_users_chat(
    db, user_id, other_user_id
):
    chat = chats.create_chat(db, user_id, "Alice's")
    chats.add_question(db, user_id, chat.id, "secret question")
    answer = chats.add_answer(db, user_id, chat.id, "secret answer", None, {})
    db.commit()
    calls = _calls_with_foreign_chat(chat.id, answer.id)
    takes_id = {
        name
        for name, fn in inspect.getmembers(chats, inspect.isfunction)
        if fn.__module__ == chats.__name__
        and not name.startswith("_")
        and {"chat_id", "message_id"} & set(inspect.signature(fn).parameters)
    }
    assert takes_id == set(calls), "a new function takes an id: add it to this test"
    for name, call in calls.items():
        with pytest.raises(NotFoundError, match="not yours"):
            call(db, other_user_id)
        db.rollback()
        assert name
    assert chats.get_chat(db, user_id, chat.id).title == "Alice's"
    assert len(chats.list_messages(db, user_id, chat.id)) == 2


@pytest.mark.parametrize("bad_id", ["not-a-uuid", str(uuid.uuid4()), ""])
def test_unknown_or_malformed_chat_ids_are_not_found(db, user_id, bad_id):
    with pytest.raises(NotFoundError):
        chats.get_chat(db, user_id, bad_id)
