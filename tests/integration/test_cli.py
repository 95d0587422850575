"""The command line, run as a user would run it: a subprocess of ``python -m core``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "sample_data"


def run_cli(*args: str, env: dict | None = None, stdin: str | None = None, timeout: float = 120):
    full_env = {**os.environ, "OPENAI_API_KEY": "", "OPENAI_BASE_URL": "", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_ask_prints_exactly_one_json_object_with_the_askresult_fields(tmp_path):
    done = run_cli(
        "ask",
        "--csv",
        str(SAMPLE / "sales.csv"),
        "--question",
        "total revenue by region",
        "--engine",
        "rules",
        "--format",
        "json",
        env={"DATA_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert set(body) == {
        "success",
        "answer",
        "sql_query",
        "result_count",
        "execution_success",
        "requires_dataset",
        "error",
        "columns",
        "rows",
        "chart",
        "engine",
    }
    assert body["success"] and body["engine"] == "rules" and body["result_count"] == 4
    assert body["chart"]["kind"] == "bar" and '"sales"' in body["sql_query"]


def test_ask_joins_tables_named_after_their_files(tmp_path):
    done = run_cli(
        "ask",
        "--csv",
        str(SAMPLE / "sales.csv"),
        "--csv",
        str(SAMPLE / "customers.csv"),
        "--question",
        "x",
        "--engine",
        "rules",
        env={"DATA_DIR": str(tmp_path)},
    )
    body = json.loads(done.stdout)
    assert done.returncode == 0 and body["success"] is False and body["sql_query"] is None
    assert "Try:" in body["answer"]


def test_ask_with_the_llm_engine_uses_the_configured_server(tmp_path, fake_llm):
    fake_llm.script('```sql\nSELECT COUNT(*) AS n FROM "customers"\n```', "There are many.")
    done = run_cli(
        "ask",
        "--csv",
        str(SAMPLE / "customers.csv"),
        "--question",
        "how many customers",
        "--engine",
        "llm",
        env={"DATA_DIR": str(tmp_path), "OPENAI_BASE_URL": fake_llm.base_url},
    )
    body = json.loads(done.stdout)
    assert body["success"] and body["engine"] == "llm" and body["answer"] == "There are many."
    assert body["rows"][0][0] > 0


def test_ask_on_a_broken_file_still_prints_one_json_object(tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    done = run_cli(
        "ask", "--csv", str(broken), "--question", "how many rows", env={"DATA_DIR": str(tmp_path)}
    )
    body = json.loads(done.stdout)
    assert done.returncode == 0 and body["success"] is False and body["error"]


def test_ask_on_a_missing_file_exits_non_zero_with_a_message(tmp_path):
    done = run_cli("ask", "--csv", str(tmp_path / "nope.csv"), "--question", "q")
    assert done.returncode == 2 and "No such file" in done.stderr and done.stdout == ""


@pytest.fixture
def cli_db(pg_url, engine, db, tmp_path):
    return {"DATABASE_URL": pg_url, "DATA_DIR": str(tmp_path)}


def test_migrate_users_create_and_list(cli_db):
    assert run_cli("migrate", env=cli_db).returncode == 0
    created = run_cli(
        "users",
        "create",
        "--email",
        "Ops@Example.com",
        "--password",
        "long enough pw",
        env=cli_db,
    )
    assert created.returncode == 0 and "ops@example.com" in created.stdout
    listed = run_cli("users", "list", env=cli_db)
    assert "ops@example.com" in listed.stdout
    again = run_cli(
        "users",
        "create",
        "--email",
        "ops@example.com",
        "--password",
        "long enough pw",
        env=cli_db,
    )
    assert again.returncode == 1 and "could not create" in again.stderr


def test_demo_creates_a_chat_with_sample_data_and_answers(cli_db, engine):
    from sqlalchemy import text

    done = run_cli("demo", env=cli_db, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "demo@tabletalk.local" in done.stdout
    with engine.connect() as conn:
        roles = conn.execute(text("SELECT role FROM messages ORDER BY created_at")).scalars().all()
        tables = conn.execute(text("SELECT table_name FROM datasets ORDER BY 1")).scalars().all()
        ok = conn.execute(
            text(
                "SELECT count(*) FROM messages "
                "WHERE role='assistant' AND (payload->>'success')::bool"
            )
        ).scalar()
    assert roles == ["user", "assistant"] * 3 and tables == ["customers", "sales"] and ok == 3
