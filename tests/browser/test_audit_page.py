"""The audit page in Chromium: a superuser follows the nav link and filters to one run."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from propel_admin.audit import actions
from propel_admin.audit.services import audit_record
from propel_admin.imports import run_control
from propel_admin.imports.models import RunStatus
from tests.browser.conftest import log_in, screenshot
from tests.factories import run_make, upload_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_superuser_filters_the_audit_trail_to_one_run(
    page: Page, operator, superuser, redis_conn, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    first = run_make(upload_make(operator), operator, status=RunStatus.SENDING)
    other = run_make(upload_make(operator), operator, status=RunStatus.SENDING)
    audit_record(user=operator, action=actions.UPLOAD_CREATE, obj=first.upload, detail="a.csv")
    run_control.run_pause(run_id=first.pk, user=operator, reason="Paused by olivia")
    run_control.run_pause(run_id=other.pk, user=None, reason="5 batches failed in a row")
    run_control.run_resume(run_id=first.pk, user=operator)
    run_control.run_cancel(run_id=first.pk, user=superuser)

    log_in(page, "root", "superuser-pass-123")
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(page.locator("#audit-events tbody tr")).to_have_count(5)

    page.get_by_label("Object").fill(f"run {first.pk}")
    page.get_by_role("button", name="Show events").click()
    rows = page.locator("#audit-events tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Run cancelled")
    expect(rows.nth(0)).to_contain_text("root")
    expect(rows.nth(1)).to_contain_text("Run resumed")
    expect(rows.nth(2)).to_contain_text("Paused by olivia")
    expect(page.get_by_text("5 batches failed in a row")).to_have_count(0)
    expect(page.get_by_role("link", name="Clear the filters")).to_be_visible()
    screenshot(page, "audit-one-run")

    page.get_by_role("link", name=f"run {first.pk}").first.click()
    expect(page.get_by_role("heading", name=f"Run #{first.pk}: contacts.csv")).to_be_visible()


def test_an_operator_has_no_audit_link_and_is_refused(page: Page, operator) -> None:  # type: ignore[no-untyped-def]
    log_in(page, "olivia", "operator-pass-123")
    expect(page.get_by_role("link", name="Uploads")).to_be_visible()
    expect(page.get_by_role("link", name="Audit")).to_have_count(0)
    response = page.goto("/audit/")
    assert response is not None
    assert response.status == 403


def test_a_purged_run_says_its_rows_were_deleted(page: Page, operator, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from propel_admin.imports import retention

    settings.MEDIA_ROOT = tmp_path / "media"
    run = run_make(upload_make(operator, age_days=100), operator, age_days=100, rows=40)
    retention.purge(days=90)
    log_in(page, "olivia", "operator-pass-123")
    page.goto(f"/runs/{run.pk}/")
    expect(page.locator("#run-purged")).to_contain_text("by the retention policy")
    expect(page.get_by_role("link", name="Results (CSV)")).to_have_count(0)
    screenshot(page, "run-purged")
