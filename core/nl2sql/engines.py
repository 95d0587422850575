"""Which engine answers: ``auto`` picks the LLM when one is configured, else the rules."""

from __future__ import annotations

from typing import Literal, Protocol

from core.catalog import TableInfo, Turn
from core.config import Settings
from core.nl2sql.base import Draft

EngineChoice = Literal["auto", "rules", "llm"]


class Engine(Protocol):
    name: str

    def draft(self, question: str, tables: list[TableInfo], history: list[Turn]) -> Draft: ...


def make_engine(settings: Settings, choice: EngineChoice | None = None) -> Engine:
    name = choice or settings.ask_engine
    if name == "auto":
        name = settings.resolved_engine()
    if name == "llm":
        from core.nl2sql.llm import LLMEngine

        return LLMEngine(settings)
    from core.nl2sql.rules import RulesEngine

    return RulesEngine()
