"""``python -m core demo``: a demo account with a chat of sample data and a few answers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from core import auth, chats
from core.config import Settings
from core.db import session_scope
from core.models import User

SAMPLE_DIR = Path(__file__).parents[1] / "sample_data"
SAMPLE_FILES = ("sales.csv", "customers.csv")
QUESTIONS = (
    "total revenue by region",
    "top 5 products by revenue",
    "revenue per month",
)


def _user(session, email: str, password: str):
    existing = session.scalar(select(User).where(User.email == auth.normalise_email(email)))
    if existing is not None:
        return existing.id
    return auth.register(session, email, password).id


def create_demo(engine: Engine, settings: Settings, email: str, password: str) -> str:
    """Idempotent for the account; each run adds a fresh demo chat."""
    from core.ask import ask
    from core.ingest import ingest_file
    from core.nl2sql.rules import RulesEngine

    with session_scope(engine) as session:
        user_id = _user(session, email, password)
        chat_id = chats.create_chat(session, user_id, "Sales demo").id
    for name in SAMPLE_FILES:
        path = SAMPLE_DIR / name
        if path.is_file():
            with session_scope(engine) as session:
                ingest_file(session, settings, user_id, chat_id, path, name)
    for question in QUESTIONS:
        with session_scope(engine) as session:
            ask(session, settings, user_id, chat_id, question, engine=RulesEngine())
    with session_scope(engine) as session:
        chats.rename_chat(session, user_id, chat_id, "Sales demo")
    return (
        f"Demo ready. Start the app (bash scripts/run.sh), open http://localhost:8501 and "
        f"sign in as {email} with the password {password}."
    )
