from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from rq import Worker

from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_logs_in_checks_status_tests_the_connection_and_logs_out(
    page: Page,
    operator,
    sandbox,
    redis_conn,  # type: ignore[no-untyped-def]
) -> None:
    worker = Worker(["default"], connection=redis_conn)
    worker.register_birth()
    worker.heartbeat()

    page.goto("/status/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/status/$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login")

    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill("operator-pass-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Status")).to_be_visible()
    expect(page.get_by_text("Everything Propel Admin needs is working.")).to_be_visible()

    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("Connection works.")).to_be_visible()
    screenshot(page, "status")

    page.get_by_role("link", name="Propel Admin").click()
    expect(page.get_by_role("heading", name="Welcome, olivia")).to_be_visible()
    screenshot(page, "home")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_a_wrong_password_is_explained(page: Page, operator) -> None:  # type: ignore[no-untyped-def]
    log_in(page, "olivia", "wrong password")
    expect(page.get_by_role("alert")).to_have_text(
        "Your username and password didn't match. Please try again."
    )
    screenshot(page, "login-failed")


def test_the_status_page_shows_a_failing_part(
    page: Page,
    operator,
    settings,
    redis_conn,  # type: ignore[no-untyped-def]
) -> None:
    settings.PROPELLER_API_URL = "http://127.0.0.1:9/v2"
    settings.PROPELLER_TOKEN_URL = "http://127.0.0.1:9/oauth2/token"
    log_in(page, "olivia", "operator-pass-123")
    page.goto("/status/")
    expect(page.get_by_text("Something Propel Admin needs is not working")).to_be_visible()
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("Connection failed.")).to_be_visible()
    screenshot(page, "status-failing")
