"""Roles in Chromium: a Viewer reads a run without buttons; an Operator has them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from propel_admin.core.roles import ROLE_TOO_LOW
from propel_admin.imports.models import RunStatus
from tests.browser.conftest import log_in, screenshot
from tests.factories import run_make, upload_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_viewer_reads_a_run_and_is_told_why_uploads_are_closed(
    page: Page, operator, viewer, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    run = run_make(upload_make(operator), operator, status=RunStatus.FINISHED)

    log_in(page, "victor", "viewer-pass-123")
    expect(page.locator("#user-role")).to_have_text("Viewer")
    expect(page.get_by_role("link", name="Uploads")).to_have_count(0)
    page.get_by_role("link", name="Runs").click()
    page.get_by_role("link", name=f"#{run.pk}", exact=True).click()
    expect(page.get_by_role("heading", name=f"Run #{run.pk}: contacts.csv")).to_be_visible()
    expect(page.get_by_role("link", name="Results (CSV)")).to_have_count(0)
    expect(page.get_by_role("link", name="Every row and its outcome")).to_be_visible()
    screenshot(page, "roles-viewer-run")

    response = page.goto("/uploads/")
    assert response is not None
    assert response.status == 403
    expect(page.locator("#denied-reason")).to_have_text(ROLE_TOO_LOW.format(role="Viewer"))
    screenshot(page, "roles-viewer-refused")


def test_an_operator_has_the_run_buttons(page: Page, operator, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    run = run_make(upload_make(operator), operator, status=RunStatus.FINISHED)
    log_in(page, "olivia", "operator-pass-123")
    expect(page.locator("#user-role")).to_have_text("Operator")
    page.goto(f"/runs/{run.pk}/")
    expect(page.get_by_role("link", name="Results (CSV)")).to_be_visible()
