"""A person registers, stays signed in across a reload, manages a chat and signs out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import new_chat, register, wait_idle

pytestmark = pytest.mark.e2e


def test_register_reload_rename_chat_sign_out(app_server, page):
    register(page, app_server.url, "dana@example.com")

    page.reload()
    expect(page.get_by_text("Signed in as dana@example.com")).to_be_visible()

    new_chat(page)
    expect(page.get_by_text("Upload a CSV to start")).to_be_visible()
    page.get_by_role("button", name="Chat options").click()
    page.get_by_label("Chat name").fill("Quarterly revenue")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Quarterly revenue")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("button", name="Quarterly revenue")).to_be_visible()

    page.reload()
    expect(sidebar.get_by_role("button", name="Quarterly revenue")).to_be_visible()

    sidebar.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("tab", name="Sign in")).to_be_visible()
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("tab", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_have_count(0)


def test_wrong_password_shows_a_message_and_stays_signed_out(app_server, page):
    register(page, app_server.url, "erin@example.com")
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    form = page.locator("form[action='/auth/login']")
    form.locator("input[name=email]").fill("erin@example.com")
    form.locator("input[name=password]").fill("not my password")
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong email or password.")).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_have_count(0)
