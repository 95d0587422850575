"""Uploading and managing data through the real pages in AppTest, on a real database."""

from __future__ import annotations

import pytest

from core import auth, chats, datasets
from core.db import session_scope
from tests.apptest_support import run_app

PASSWORD = "correct horse battery"


@pytest.fixture
def alice(engine, app_env):
    with session_scope(engine) as session:
        signed = auth.register_and_sign_in(session, app_env, "alice@example.com", PASSWORD)
        chat = chats.create_chat(session, signed.user.id, "Sales")
    return signed, chat.id


def _ten_mb_csv() -> bytes:
    lines = ["order_id,region,product,quantity,revenue,note"]
    regions = ["North", "South", "East", "West"]
    i = 0
    size = len(lines[0])
    while size < 10 * 1024 * 1024:
        line = f'{i},{regions[i % 4]},P{i % 37},{1 + i % 9},{(i % 500) * 1.25:.2f},"note, {i}"'
        lines.append(line)
        size += len(line) + 1
        i += 1
    return ("\n".join(lines) + "\n").encode()


def test_a_10_mb_upload_through_the_chat_page_becomes_a_table(
    app_env,
    monkeypatch,
    alice,
    engine,
):
    signed, chat_id = alice
    at = run_app(monkeypatch, token=signed.token, timeout=120)
    assert any("Upload a CSV to start" in i.value for i in at.info)
    payload = _ten_mb_csv()
    at.file_uploader[0].set_value(("orders.csv", payload, "text/csv"))
    at.run(timeout=120)
    assert not at.exception
    notes = [s.value for s in at.success]
    expected_rows = payload.count(b"\n") - 1
    assert any(f"orders.csv → table `orders` ({expected_rows:,} rows)" in n for n in notes)
    with session_scope(engine) as session:
        (item,) = datasets.list_datasets(session, signed.user.id, chat_id)
    assert item.row_count == expected_rows and item.table_name == "orders"
    assert at.chat_input[0].disabled is False


def test_a_broken_upload_shows_why_and_leaves_nothing(app_env, monkeypatch, alice, engine):
    signed, chat_id = alice
    at = run_app(monkeypatch, token=signed.token, timeout=60)
    at.file_uploader[0].set_value(("picture.csv", b"\x89PNG\r\n\x1a\n" + bytes(200), "text/csv"))
    at.run(timeout=60)
    assert not at.exception
    assert any("picture.csv was not added" in e.value for e in at.error)
    with session_scope(engine) as session:
        assert datasets.list_datasets(session, signed.user.id, chat_id) == []
    assert list((app_env.data_dir / "datasets").glob("*")) == []


def test_the_data_page_shows_preview_profile_and_renames(app_env, monkeypatch, alice, engine):
    signed, chat_id = alice
    at = run_app(monkeypatch, token=signed.token, timeout=60)
    at.file_uploader[0].set_value(
        ("sales.csv", b"region,revenue\nNorth,10\nSouth,20\n", "text/csv")
    )
    at.run(timeout=60)
    at.switch_page("views/data.py").run(timeout=60)
    assert not at.exception
    assert "`sales`" in [s.value for s in at.subheader]
    frames = [d.value for d in at.dataframe]
    assert any(list(f.columns) == ["region", "revenue"] and len(f) == 2 for f in frames)
    assert any("revenue" in list(f["column"]) for f in frames if "column" in f.columns)
    at.text_input[0].set_value("regional_sales")
    next(b for b in at.button if b.label == "Rename table").click().run(timeout=60)
    with session_scope(engine) as session:
        (item,) = datasets.list_datasets(session, signed.user.id, chat_id)
    assert item.table_name == "regional_sales"
