"""Questions to offer once a chat has data, built from the tables' profiles.

Only phrasings the offline engine can answer are offered, so a click always gets an answer.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

MAX_SUGGESTIONS = 4


def for_chat(session: Session, user_id: uuid.UUID, chat_id) -> list[str]:
    from core.datasets import chat_tables
    from core.nl2sql.rules import RulesEngine

    tables = chat_tables(session, user_id, chat_id)
    return list(RulesEngine().suggestions(tables))[:MAX_SUGGESTIONS]
