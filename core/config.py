"""Settings from the environment and an optional ``.env``, validated once at start-up.

A bad value stops start-up with one line naming the variable and what it accepts, rather
than failing later in a request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values

from core.errors import ConfigError

AskEngine = Literal["auto", "rules", "llm"]
PrivacyMode = Literal["full", "schema"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

ALIASES = {"DATABASE_URL": ("MAIN_DATABASE_URL",)}


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = Path("data")
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout_s: float = 60.0
    ask_engine: AskEngine = "auto"
    privacy_mode: PrivacyMode = "full"
    max_upload_mb: int = 1024
    query_timeout_s: float = 10.0
    query_memory_limit: str = "1GB"
    query_threads: int = 2
    query_row_limit: int = 10_000
    ask_rate_per_minute: int = 20
    session_ttl_hours: int = 24 * 14
    cookie_secure: bool = False
    log_level: LogLevel = "INFO"

    @property
    def datasets_dir(self) -> Path:
        return self.data_dir / "datasets"

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    def resolved_engine(self) -> Literal["rules", "llm"]:
        """``auto`` means the LLM when one is configured, else the offline rules engine."""
        if self.ask_engine == "auto":
            return "llm" if self.llm_configured else "rules"
        return self.ask_engine


def _text(value: str) -> str:
    return value


def _optional(value: str) -> str | None:
    return value or None


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = int(value)
        if not low <= number <= high:
            raise ValueError
        return number

    parse.allowed = f"a whole number from {low} to {high}"  # type: ignore[attr-defined]
    return parse


def _bounded_float(low: float, high: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        number = float(value)
        if not low <= number <= high:
            raise ValueError
        return number

    parse.allowed = f"a number from {low:g} to {high:g}"  # type: ignore[attr-defined]
    return parse


def _choice(*options: str, upper: bool = False) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.upper() if upper else value.lower()
        if value not in options:
            raise ValueError
        return value

    parse.allowed = "one of " + ", ".join(options)  # type: ignore[attr-defined]
    return parse


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError


_bool.allowed = "true or false"  # type: ignore[attr-defined]


def _memory(value: str) -> str:
    import re

    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value.strip(), re.I):
        raise ValueError
    return value.strip()


_memory.allowed = "a size such as 512MB or 2GB"  # type: ignore[attr-defined]


def _url(value: str) -> str | None:
    if not value:
        return None
    if not value.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        raise ValueError
    if value.startswith("postgres://"):
        value = "postgresql://" + value[len("postgres://") :]
    return value


_url.allowed = "a postgresql:// URL, or empty for the embedded database"  # type: ignore[attr-defined]


def _http_url(value: str) -> str | None:
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError
    return value


_http_url.allowed = "an http:// or https:// URL"  # type: ignore[attr-defined]

PARSERS: dict[str, Callable[[str], Any]] = {
    "database_url": _url,
    "data_dir": Path,
    "openai_api_key": _optional,
    "openai_base_url": _http_url,
    "openai_model": _text,
    "openai_timeout_s": _bounded_float(1, 600),
    "ask_engine": _choice("auto", "rules", "llm"),
    "privacy_mode": _choice("full", "schema"),
    "max_upload_mb": _bounded_int(1, 102_400),
    "query_timeout_s": _bounded_float(0.1, 3600),
    "query_memory_limit": _memory,
    "query_threads": _bounded_int(1, 64),
    "query_row_limit": _bounded_int(1, 1_000_000),
    "ask_rate_per_minute": _bounded_int(1, 10_000),
    "session_ttl_hours": _bounded_int(1, 24 * 365),
    "cookie_secure": _bool,
    "log_level": _choice("DEBUG", "INFO", "WARNING", "ERROR", upper=True),
}


def _lookup(name: str, source: Mapping[str, str]) -> str | None:
    for key in (name, *ALIASES.get(name, ())):
        if key in source:
            return source[key]
    return None


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Environment variables win over ``.env``; ``MAIN_DATABASE_URL`` is an alias."""
    source: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        source.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    source.update(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    for field in fields(Settings):
        raw = _lookup(field.name.upper(), source)
        if raw is None:
            continue
        parser = PARSERS[field.name]
        try:
            values[field.name] = parser(raw.strip())
        except (ValueError, TypeError):
            allowed = getattr(parser, "allowed", "a valid value")
            raise ConfigError(
                f"{field.name.upper()}={raw!r} is not valid: expected {allowed}."
            ) from None
    settings = Settings(**values)
    return Settings(**{**values, "data_dir": settings.data_dir.resolve()})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
