"""Every main page works under the Content-Security-Policy: Chromium reports no violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Page, expect

from propel_admin.imports.models import ImportRun, MappingTemplate
from tests.browser.conftest import log_in, screenshot
from tests.imports.conftest import sent_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch_for_violations(page: Page) -> list[str]:
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            found.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(f"{page.url}: {error}"))
    return found


def _sent_run(client: Client, operator, run_worker) -> ImportRun:  # type: ignore[no-untyped-def]
    rows = [f"{700 + i},Ann{i},Lee,a{i}@example.com,1" for i in range(12)]
    rows.append("799,Bad,Mail,not-an-email,1")
    header = "Contact ID,First name,Last name,Email,Company ID"
    return sent_run(client, run_worker, operator, rows, header, "week.csv")


def test_the_main_pages_raise_no_policy_violations(
    page: Page,
    operator,
    sandbox,
    run_worker,
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client()
    client.force_login(operator)
    run = _sent_run(client, operator, run_worker)
    upload = run.upload
    template = MappingTemplate.objects.create(
        name="Weekly", header_signature="x", headers=[], mapping={}, created_by=operator
    )
    # The template editor is an Admin's page: lend the operator that one permission.
    operator.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    violations = _watch_for_violations(page)

    response = page.goto("/login/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    log_in(page, "olivia", "operator-pass-123")
    expect(page.get_by_role("heading", name="Welcome, olivia")).to_be_visible()
    pages = [
        reverse("imports:upload-list"),
        reverse("imports:upload-detail", args=[upload.pk]),
        reverse("runs:run-list"),
        reverse("runs:run-detail", args=[run.pk]),
        reverse("runs:run-rows", args=[run.pk]),
        reverse("runs:run-row", args=[run.pk, 2]),
        reverse("contacts:contact-lookup") + "?q=700",
        reverse("templates:template-list"),
        reverse("templates:template-edit", args=[template.pk]),
        reverse("account"),
        reverse("password_change"),
        reverse("audit:audit-list"),  # the 403 page
    ]
    for path in pages:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    page.goto(reverse("runs:run-detail", args=[run.pk]))
    expect(page.get_by_text("Created").first).to_be_visible()
    screenshot(page, "csp-run-detail")

    page.goto(reverse("status"))
    page.get_by_role("button", name="Test connection").click()  # an htmx request
    expect(page.get_by_text("Connection works.")).to_be_visible()
    page.goto(reverse("imports:upload-detail", args=[upload.pk]))
    page.wait_for_load_state("networkidle")
    screenshot(page, "csp-upload-detail")
    assert violations == []

    # The watch is not blind: an inline style is refused and reported.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    page.wait_for_timeout(200)
    assert any("style" in text for text in violations), violations


def test_log_out_everywhere_from_the_account_page(
    page: Page, browser, operator, live_server
) -> None:  # type: ignore[no-untyped-def]
    other = browser.new_context(base_url=live_server.url)
    phone = other.new_page()
    log_in(phone, "olivia", "operator-pass-123")
    expect(phone.get_by_role("heading", name="Welcome, olivia")).to_be_visible()

    violations = _watch_for_violations(page)
    log_in(page, "olivia", "operator-pass-123")
    page.get_by_role("link", name="olivia").click()
    expect(page.get_by_text("You have 2 active sessions")).to_be_visible()
    screenshot(page, "account")
    page.get_by_role("button", name="Log out everywhere").click()
    expect(page.get_by_text("You were logged out everywhere (2 sessions ended).")).to_be_visible()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    phone.goto("/uploads/")
    expect(phone.get_by_role("heading", name="Log in")).to_be_visible()
    other.close()
    assert violations == []


def test_a_locked_out_login_says_how_long_to_wait(page: Page, operator, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 2
    settings.LOGIN_COOLOFF_MINUTES = 15
    log_in(page, "olivia", "wrong password")
    expect(page.get_by_role("alert")).to_contain_text("didn't match")
    log_in(page, "olivia", "wrong again")
    expect(page.get_by_role("alert")).to_have_text(
        "Too many failed attempts; try again in 15 minutes or ask an administrator to unlock "
        "your account."
    )
    screenshot(page, "login-locked-out")
    log_in(page, "olivia", "operator-pass-123")
    expect(page.get_by_role("alert")).to_contain_text("Too many failed attempts")


def test_the_admin_pages_used_to_unlock_people_raise_no_violations(
    page: Page, superuser, operator, redis_conn
) -> None:  # type: ignore[no-untyped-def]
    violations = _watch_for_violations(page)
    log_in(page, "root", "superuser-pass-123")
    expect(page.get_by_role("heading", name="Welcome, root")).to_be_visible()
    for path in [
        "/admin/",
        "/admin/axes/accessattempt/",
        f"/admin/auth/user/{operator.pk}/change/",
        "/admin/rq/",
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    screenshot(page, "csp-rq-dashboard")
    assert violations == []
