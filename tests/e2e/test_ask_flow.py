"""A person uploads sample data, asks a question, sees SQL, table and chart, and edits the SQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import new_chat, register

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
SALES = ROOT / "sample_data" / "sales.csv"
SCREENSHOT = ROOT / "docs" / "screenshot.png"


def _ask(page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")


def test_upload_ask_see_sql_table_chart_then_edit_sql(app_server, page):
    register(page, app_server.url, "ana@example.com")
    new_chat(page)

    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(SALES))
    expect(page.get_by_text("sales.csv → table")).to_be_visible(timeout=60_000)

    _ask(page, "total revenue by region")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer.get_by_test_id("stPlotlyChart")).to_be_visible(timeout=30_000)
    expect(answer.get_by_test_id("stDataFrame")).to_be_visible()
    expect(page.get_by_role("heading", name="total revenue by region")).to_be_visible()

    answer.get_by_text("SQL", exact=True).click()
    expect(answer.get_by_test_id("stCode")).to_contain_text("GROUP BY")
    bars = answer.locator(".plotly .bars path")
    expect(bars).to_have_count(4)
    page.mouse.move(0, 0)
    page.set_viewport_size({"width": 1360, "height": 1350})
    page.wait_for_timeout(800)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)

    answer.get_by_role("button", name="Edit SQL").click()
    editor = page.get_by_label("SQL", exact=True)
    editor.fill(
        'SELECT region, COUNT(*) AS orders FROM "sales" GROUP BY region ORDER BY orders DESC'
    )
    page.get_by_role("button", name="Run", exact=True).click()
    edited = page.get_by_test_id("stChatMessage").nth(3)
    expect(edited.get_by_test_id("stDataFrame")).to_be_visible(timeout=30_000)
    expect(edited.locator(".plotly .bars path")).to_have_count(4)
    expect(edited.locator(".plotly .ytitle")).to_have_text("Orders")
    expect(page.get_by_test_id("stChatMessage").nth(2)).to_contain_text("Run my SQL")
