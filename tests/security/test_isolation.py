"""One user can never read, ask about or change another user's chats, messages or datasets.

The functions are found, not listed: every public function of every core module that takes
an object id (``chat_id``, ``dataset_id``, ``message_id``...) is called by another user with
the victim's ids, and must raise NotFoundError and change nothing. A new id-taking function
makes ``test_every_id_taking_function_is_covered`` fail until it is added below.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import io
import pkgutil
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

import core
from core import answers, ask, chats, datasets, ingest, suggestions, uploads
from core.config import Settings
from core.errors import NotFoundError
from core.models import Base
from tests.security.world import sales_csv, snapshot

REPO = Path(__file__).resolve().parents[2]
# Parameter names that are the acting user, not an object the user names.
ACTOR_PARAMS = {"user_id"}


@dataclass(frozen=True)
class Victim:
    """Alice's chat with a dataset, a question and an answer; Mallory is the attacker."""

    db: Session
    settings: Settings
    owner: uuid.UUID
    attacker: uuid.UUID
    chat_id: uuid.UUID
    dataset_id: uuid.UUID
    question_id: uuid.UUID
    answer_id: uuid.UUID
    upload: Path
    export_dir: Path


Call = Callable[[Victim, uuid.UUID], Any]

# How to call each id-taking function as user ``who`` on the victim's objects.
CALLS: dict[str, Call] = {
    "core.answers.export_csv": lambda v, who: answers.export_csv(
        v.db, v.settings, who, v.answer_id
    ),
    "core.answers.switch_chart": lambda v, who: answers.switch_chart(
        v.db, who, v.answer_id, "table"
    ),
    "core.ask.ask": lambda v, who: ask.ask(v.db, v.settings, who, v.chat_id, "total revenue"),
    "core.ask.recent_turns": lambda v, who: ask.recent_turns(v.db, who, v.chat_id),
    "core.ask.run_edited_sql": lambda v, who: ask.run_edited_sql(
        v.db, v.settings, who, v.chat_id, "SELECT count(*) AS n FROM sales"
    ),
    "core.chats.add_answer": lambda v, who: chats.add_answer(
        v.db, who, v.chat_id, "forged", None, {}
    ),
    "core.chats.add_message": lambda v, who: chats.add_message(
        v.db, who, v.chat_id, "assistant", "forged"
    ),
    "core.chats.add_question": lambda v, who: chats.add_question(v.db, who, v.chat_id, "hi"),
    "core.chats.delete_chat": lambda v, who: chats.delete_chat(v.db, who, v.chat_id),
    "core.chats.get_chat": lambda v, who: chats.get_chat(v.db, who, v.chat_id),
    "core.chats.get_message": lambda v, who: chats.get_message(v.db, who, v.answer_id),
    "core.chats.list_messages": lambda v, who: chats.list_messages(v.db, who, v.chat_id),
    "core.chats.owned_chat": lambda v, who: chats.owned_chat(v.db, who, v.chat_id),
    "core.chats.rename_chat": lambda v, who: chats.rename_chat(v.db, who, v.chat_id, "Mine"),
    "core.chats.retitle_if_new": lambda v, who: chats.retitle_if_new(
        v.db, who, v.chat_id, "mine now"
    ),
    "core.chats.update_answer_payload": lambda v, who: chats.update_answer_payload(
        v.db, who, v.answer_id, {"answer": "forged"}
    ),
    "core.datasets.chat_tables": lambda v, who: datasets.chat_tables(v.db, who, v.chat_id),
    "core.datasets.dataset_profile": lambda v, who: datasets.dataset_profile(
        v.db, who, v.dataset_id
    ),
    "core.datasets.delete_chat_files": lambda v, who: datasets.delete_chat_files(
        v.db, v.settings, who, v.chat_id
    ),
    "core.datasets.delete_dataset": lambda v, who: datasets.delete_dataset(
        v.db, v.settings, who, v.dataset_id
    ),
    "core.datasets.export_dataset": lambda v, who: datasets.export_dataset(
        v.db, v.settings, who, v.dataset_id, "csv", v.export_dir
    ),
    "core.datasets.get_dataset": lambda v, who: datasets.get_dataset(v.db, who, v.dataset_id),
    "core.datasets.list_datasets": lambda v, who: datasets.list_datasets(v.db, who, v.chat_id),
    "core.datasets.owned_dataset": lambda v, who: datasets.owned_dataset(v.db, who, v.dataset_id),
    "core.datasets.preview_dataset": lambda v, who: datasets.preview_dataset(
        v.db, v.settings, who, v.dataset_id
    ),
    "core.datasets.rename_dataset": lambda v, who: datasets.rename_dataset(
        v.db, who, v.dataset_id, "mine"
    ),
    "core.ingest.ingest_file": lambda v, who: ingest.ingest_file(
        v.db, v.settings, who, v.chat_id, v.upload, "planted.csv"
    ),
    "core.suggestions.for_chat": lambda v, who: suggestions.for_chat(v.db, who, v.chat_id),
    "core.uploads.ingest_upload": lambda v, who: uploads.ingest_upload(
        v.db, v.settings, who, v.chat_id, io.BytesIO(v.upload.read_bytes()), "planted.csv"
    ),
}

# Id-taking functions with no acting user: they never receive an id a user typed.
NO_ACTING_USER: dict[str, str] = {
    "core.datasets.dataset_path": "pure: the file name for a dataset id",
    "core.ingest.build_lock": "a lock file for a dataset id ingest just generated",
}


def _core_modules() -> list[Any]:
    found = []
    for info in pkgutil.walk_packages(core.__path__, "core."):
        if info.name.startswith("core.migrations"):
            continue  # Alembic scripts run inside Alembic, not importable on their own
        found.append(importlib.import_module(info.name))
    return found


def _id_params(function: Callable) -> set[str]:
    names = set(inspect.signature(function).parameters)
    return {n for n in names if (n.endswith("_id") or n == "id") and n not in ACTOR_PARAMS}


def id_taking_functions() -> dict[str, Callable]:
    """Every public function defined in a core module that takes an object id."""
    found: dict[str, Callable] = {}
    for module in _core_modules():
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            if value.__module__ == module.__name__ and _id_params(value):
                found[f"{module.__name__}.{name}"] = value
    return found


FUNCTIONS = id_taking_functions()


def test_every_id_taking_function_is_covered():
    assert set(FUNCTIONS) == set(CALLS) | set(NO_ACTING_USER)


def test_functions_called_without_an_acting_user_really_have_none():
    """An exemption is only for a function that cannot check ownership at all."""
    with_actor = {n for n, f in FUNCTIONS.items() if "user_id" in inspect.signature(f).parameters}
    assert with_actor == set(CALLS)
    assert not with_actor & set(NO_ACTING_USER)


# --- the victim ----------------------------------------------------------------------------
@pytest.fixture
def victim(db, settings, user_id, other_user_id, tmp_path) -> Victim:
    chat = chats.create_chat(db, user_id, "Alice's sales")
    db.commit()
    dataset = ingest.ingest_file(
        db, settings, user_id, chat.id, sales_csv(tmp_path / "sales.csv"), "sales.csv"
    )
    answer = ask.run_edited_sql(
        db,
        settings,
        user_id,
        chat.id,
        "SELECT region, sum(revenue) AS revenue FROM sales GROUP BY 1",
    )
    assert answer.success, answer.error
    question, reply = chats.list_messages(db, user_id, chat.id)
    db.commit()
    export_dir = tmp_path / "exports"
    export_dir.mkdir()
    return Victim(
        db=db,
        settings=settings,
        owner=user_id,
        attacker=other_user_id,
        chat_id=chat.id,
        dataset_id=dataset.id,
        question_id=question.id,
        answer_id=reply.id,
        upload=sales_csv(tmp_path / "planted.csv", rows=3),
        export_dir=export_dir,
    )


def _database_rows(db: Session) -> str:
    """Every row of every table, as this session sees them (flushed changes included)."""
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        rows = db.execute(text(f'SELECT * FROM "{table.name}" ORDER BY 1')).all()
        digest.update(repr((table.name, [tuple(map(str, r)) for r in rows])).encode())
    return digest.hexdigest()


def _state(victim: Victim) -> tuple[str, dict[str, str], dict[str, str]]:
    return (
        _database_rows(victim.db),
        snapshot(victim.settings.data_dir),
        snapshot(victim.export_dir),
    )


@pytest.mark.parametrize("name", sorted(CALLS))
def test_another_user_is_refused_and_nothing_changes(victim: Victim, name: str):
    before = _state(victim)
    with pytest.raises(NotFoundError) as refused:
        CALLS[name](victim, victim.attacker)
    assert _state(victim) == before, f"{name} changed something for another user"
    message = refused.value.message
    for detail in ("Alice's sales", "sales", str(victim.chat_id), str(victim.dataset_id)):
        assert detail not in message, f"{name} told the attacker {detail!r}"
    victim.db.rollback()
    assert _state(victim) == before


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_owner_is_not_refused(victim: Victim, name: str):
    """The ids in CALLS are real: the refusal above is about ownership, not a typo."""
    try:
        CALLS[name](victim, victim.owner)
    except NotFoundError as error:
        pytest.fail(f"{name} refused the owner: {error.message}")


def test_a_made_up_id_is_refused_like_another_users(victim: Victim):
    """Missing and foreign look the same, so ids cannot be probed."""
    with pytest.raises(NotFoundError) as foreign:
        chats.get_chat(victim.db, victim.attacker, victim.chat_id)
    with pytest.raises(NotFoundError) as missing:
        chats.get_chat(victim.db, victim.attacker, uuid.uuid4())
    assert foreign.value.message == missing.value.message


# --- Streamlit caches ----------------------------------------------------------------------
_STREAMLIT_CACHE = re.compile(
    r"\b(cache_data|cache_resource|experimental_memo|experimental_singleton)\b|st\.cache\b"
)


def _page_sources() -> list[Path]:
    sources = [REPO / "app.py"]
    for folder in ("views", "ui", "pages"):
        sources += sorted((REPO / folder).rglob("*.py"))
    return [path for path in sources if path.is_file()]


def test_the_cache_pattern_finds_every_form_of_streamlit_cache():
    for line in ("@st.cache_data", "st.cache_resource(f)", "@st.cache", "@st.experimental_memo"):
        assert _STREAMLIT_CACHE.search(line), line


def test_no_page_uses_a_streamlit_cache():
    """A cache shared by all sessions, keyed by what a user typed, would hand one user's
    answer to another; there is none (add the user's id to the key before adding one)."""
    assert _page_sources(), "no page sources found"
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in _page_sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _STREAMLIT_CACHE.search(line)
    ]
    assert found == []
