"""What an engine hands back: SQL to run (or a refusal) and how it understood the question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EngineName = Literal["rules", "llm"]


@dataclass(frozen=True)
class Draft:
    """An engine's proposal. ``sql`` is None when the engine declined to answer.

    ``understanding`` is one sentence a user can check ("Sum of revenue per region, highest
    first"); when ``sql`` is None it says what could not be mapped instead, and
    ``suggestions`` offers phrasings that would work.
    """

    sql: str | None
    understanding: str
    engine: EngineName
    suggestions: tuple[str, ...] = ()
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
