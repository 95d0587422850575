"""Settings: defaults work with nothing configured; a bad value names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_settings
from core.errors import ConfigError


def test_no_configuration_at_all_gives_usable_defaults(tmp_path):
    settings = load_settings({}, env_file=tmp_path / "missing.env")
    assert settings.database_url is None  # embedded PostgreSQL
    assert settings.resolved_engine() == "rules"
    assert settings.max_upload_mb == 1024


def test_main_database_url_is_an_alias(tmp_path):
    settings = load_settings({"MAIN_DATABASE_URL": "postgresql://u@h/db"}, env_file=None)
    assert settings.database_url == "postgresql://u@h/db"


def test_environment_wins_over_dotenv(tmp_path):
    env = tmp_path / ".env"
    env.write_text("QUERY_ROW_LIMIT=50\nLOG_LEVEL=debug\n")
    settings = load_settings({"QUERY_ROW_LIMIT": "70"}, env_file=env)
    assert settings.query_row_limit == 70 and settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("QUERY_ROW_LIMIT", "lots", "whole number from 1"),
        ("QUERY_ROW_LIMIT", "0", "whole number from 1"),
        ("MAX_UPLOAD_MB", "-5", "whole number"),
        ("QUERY_TIMEOUT_S", "fast", "a number from"),
        ("ASK_ENGINE", "gpt", "one of auto, rules, llm"),
        ("PRIVACY_MODE", "none", "one of full, schema"),
        ("COOKIE_SECURE", "maybe", "true or false"),
        ("QUERY_MEMORY_LIMIT", "lots", "512MB"),
        ("DATABASE_URL", "mysql://x", "postgresql://"),
        ("OPENAI_BASE_URL", "localhost:11434", "http://"),
        ("LOG_LEVEL", "LOUD", "one of DEBUG"),
    ],
)
def test_a_bad_value_stops_with_one_line_naming_the_variable(name, value, says):
    with pytest.raises(ConfigError) as err:
        load_settings({name: value}, env_file=None)
    assert err.value.message.startswith(f"{name}=")
    assert says in err.value.message and "\n" not in err.value.message


def test_auto_engine_uses_the_llm_when_a_base_url_is_set():
    settings = load_settings({"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}, env_file=None)
    assert settings.resolved_engine() == "llm"


def test_every_setting_is_documented_in_env_example():
    from dataclasses import fields

    from core.config import Settings

    documented = Path(__file__).parents[2].joinpath(".env.example").read_text()
    for field in fields(Settings):
        assert f"{field.name.upper()}=" in documented, field.name
