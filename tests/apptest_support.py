"""Running the real app script under Streamlit's AppTest, signed in or not.

AppTest cannot carry cookies, so the one function that reads the cookie
(``ui.context.session_token``) is replaced; everything behind it is real.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).parents[1]


@pytest.fixture
def app_env(monkeypatch, settings, engine, db):
    """Point the app's process-wide settings and engine at the test database."""
    import core.config
    import core.db

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ASK_ENGINE", "rules")
    monkeypatch.chdir(ROOT)
    core.config.get_settings.cache_clear()
    monkeypatch.setattr(core.db, "get_engine", lambda: engine)
    import ui.context

    monkeypatch.setattr(ui.context, "get_engine", lambda: engine)
    yield settings
    core.config.get_settings.cache_clear()


def run_app(monkeypatch, token: str | None, timeout: float = 30) -> AppTest:
    import ui.context

    monkeypatch.setattr(ui.context, "session_token", lambda: token)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    return at
