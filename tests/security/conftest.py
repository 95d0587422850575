"""Fixtures of the security suite: the attacked world, its obedient model and its canary.

A test marked ``hole`` shows a weakness that is known and not fixed yet: it fails until the
fix lands (``-m "not hole"`` leaves such tests out while the fix is under way).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.config import Settings
from tests.fakellm import FakeLLM
from tests.security.world import (
    QUERY_MEMORY_LIMIT,
    QUERY_ROW_LIMIT,
    QUERY_TIMEOUT_S,
    Canary,
    ObedientModel,
    World,
    build_world,
    tear_down,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hole: a known weakness; the test fails until the fix lands")


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    with Canary() as server:
        yield server


@pytest.fixture(scope="module")
def obedient_model() -> Iterator[ObedientModel]:
    with FakeLLM() as fake:
        yield ObedientModel(fake)


@pytest.fixture(scope="module")
def world(engine, pg_url, tmp_path_factory, obedient_model, canary) -> Iterator[World]:
    """One attacked world per module: built once, wiped from the database at the end."""

    def settings_for(data_dir) -> Settings:
        return Settings(
            database_url=pg_url,
            data_dir=data_dir,
            ask_engine="llm",
            openai_base_url=obedient_model.fake.base_url,
            openai_api_key="sk-test",
            openai_timeout_s=30.0,
            query_timeout_s=QUERY_TIMEOUT_S,
            query_memory_limit=QUERY_MEMORY_LIMIT,
            query_row_limit=QUERY_ROW_LIMIT,
            ask_rate_per_minute=10_000,
        )

    root = tmp_path_factory.mktemp("attacked")
    built = build_world(engine, root, obedient_model, canary, settings_for)
    try:
        yield built
    finally:
        tear_down(built, engine)
