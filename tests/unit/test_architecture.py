"""The layout rules, enforced: core never imports streamlit; pages never touch the stores."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
STORE_LIBS = {"sqlalchemy", "duckdb", "sqlglot", "openai", "psycopg"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _files("core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_streamlit(path):
    assert "streamlit" not in _imports(path)


@pytest.mark.parametrize(
    "path", [ROOT / "app.py", *_files("views", "ui")], ids=lambda p: str(p.relative_to(ROOT))
)
def test_pages_never_import_sql_duckdb_sqlglot_or_openai(path):
    assert not (_imports(path) & STORE_LIBS)


def test_there_is_no_pages_folder_beside_app_py():
    """Streamlit runs files in a ``pages/`` folder as pages of their own, past the sign-in gate
    in app.py; the thin pages live in ``views/`` and are registered only by st.navigation."""
    assert not (ROOT / "pages").exists()


@pytest.mark.parametrize(
    "path", _files("core", "views", "ui"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_modules_stay_below_the_size_where_they_should_be_split(path):
    assert len(path.read_text().splitlines()) <= 450


def test_no_streamlit_cache_decorators_on_per_user_or_llm_output():
    offenders = [
        str(p.relative_to(ROOT))
        for p in [ROOT / "app.py", *_files("views", "ui")]
        if "st.cache_data" in p.read_text()
    ]
    assert offenders == []
