"""Small steps a person takes in the app, shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery"


def wait_idle(page: Page) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )


def register(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base_url)
    page.get_by_role("tab", name="Create account").click()
    form = page.locator("form[action='/auth/register']")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("input[name=password2]").fill(password)
    form.get_by_role("button", name="Create account").click()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base_url)
    form = page.locator("form[action='/auth/login']")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()


def new_chat(page: Page) -> None:
    page.get_by_test_id("stSidebar").get_by_role("button", name="New chat").click()
    expect(page.get_by_role("heading", name="New chat")).to_be_visible()
