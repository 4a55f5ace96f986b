"""Reviewing runs in Chromium: the history filters, the run page's charts and error groups,
and finding a failed contact from the lookup box down to its error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from propel_admin.imports.models import ImportRun, Upload
from tests.browser.conftest import log_in, screenshot
from tests.imports.conftest import sent_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


HEADER = "Contact ID,First name,Last name,Email,Company ID"


def test_an_operator_finds_a_failed_contact_and_reviews_the_runs(
    page: Page,
    operator,
    sandbox,
    run_worker,
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROPELLER_BATCH_SIZE = 10
    client = Client()
    client.force_login(operator)
    rows = [f"{8000 + i},Ann{i},Lee,a{i}@example.com,{1 + i % 3}" for i in range(80)]
    rows += [f"{8100 + i},Orphan{i},Kay,o{i}@example.com,{999990 + i}" for i in range(6)]
    rows += ["8200,Dup,Row,dup@example.com,1", "8201,No,Mail,not-an-email,1"]
    first = sent_run(client, run_worker, operator, rows, HEADER, "weekly-march.csv")
    second = sent_run(
        client, run_worker, operator, rows[:20] + rows[80:83], HEADER, "weekly-april.csv"
    )
    ImportRun.objects.filter(pk=second.pk).update(parent=first)
    assert (first.rows_created, first.rows_failed, first.rows_invalid) == (81, 6, 1)

    log_in(page, "olivia", "operator-pass-123")
    page.get_by_role("link", name="Contacts").click()
    expect(page.locator("#lookup-prompt")).to_be_visible()
    page.get_by_label("Contact id or e-mail address").fill("8102")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#contact-rows tbody tr")).to_have_count(2)
    expect(page.locator("#contact-rows")).to_contain_text("weekly-april.csv")
    expect(page.locator("#contact-rows")).to_contain_text("Failed")
    screenshot(page, "contact-lookup")
    page.get_by_role("link", name=f"Row 84 of run #{first.pk}").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Row 84: Failed"))).to_be_visible()
    expect(page.locator("#row-message")).to_have_text(
        "Propeller said: Parent resource [Company] with id [999992] not found"
    )
    expect(page.locator("#other-runs-table")).to_contain_text(f"#{second.pk}")
    screenshot(page, "contact-row-other-runs")

    page.goto("/contacts/?q=not+a+contact")
    expect(page.locator("#lookup-error")).to_contain_text("Search by a contact id")

    page.get_by_role("link", name="Runs").click()
    expect(page.locator("#runs tbody tr")).to_have_count(2)
    expect(page.locator("#runs")).to_contain_text(f"re-run of #{first.pk}")
    expect(page.locator("#runs")).to_contain_text(f"re-runs: #{second.pk}")
    screenshot(page, "runs-history")
    page.get_by_label("File name contains").fill("march")
    page.get_by_label("Sort").select_option(label="Most failed first")
    page.get_by_role("button", name="Show runs").click()
    expect(page.locator("#runs tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"file_name=march"))
    page.get_by_label("From").fill("2001-02-03")
    page.get_by_label("To").fill("2001-01-01")
    page.get_by_role("button", name="Show runs").click()
    expect(page.locator("#filters-ignored")).to_contain_text("after the “to” date")
    screenshot(page, "runs-history-bad-filter")
    page.get_by_role("link", name="Clear the filters").click()
    expect(page.locator("#runs tbody tr")).to_have_count(2)

    page.get_by_role("link", name=f"#{first.pk}", exact=True).first.click()
    expect(page.locator("#outcome-legend")).to_contain_text("Failed 6")
    expect(page.locator("#failure-groups > li")).to_have_count(1)
    expect(page.locator("#failure-groups")).to_contain_text("6 rows")
    expect(page.locator("#throughput-summary")).to_contain_text("rows/s")
    screenshot(page, "run-review")
    page.get_by_role("link", name="Show these rows").click()
    expect(page.locator("#group-filter")).to_be_visible()
    expect(page.locator("#rows-table tbody tr")).to_have_count(6)
    screenshot(page, "run-rows-group")


def test_an_ignored_bsn_column_is_hidden_on_the_row_page(
    page: Page,
    operator,
    sandbox,
    run_worker,
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """A file's "BSN" column that the mapping ignores still holds social security numbers:
    the row page hides it (and its value is encrypted in the database)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client()
    client.force_login(operator)
    content = (
        b"Contact ID,First name,Email,Company ID,BSN,Geboortedatum\n"
        b"8300,Ann,ann@example.com,1,123456782,01/02/1980\n"
    )
    client.post(reverse("imports:upload-list"), {"file": SimpleUploadedFile("bsn.csv", content)})
    upload = Upload.objects.get()
    mapping = dict(upload.mapping)
    mapping["columns"] = [
        {**c, "target": None} if c["header"] in ("BSN", "Geboortedatum") else c
        for c in mapping["columns"]
    ]
    Upload.objects.filter(pk=upload.pk).update(mapping=mapping)  # both columns ignored
    client.post(reverse("imports:upload-check", args=[upload.pk]))
    run_worker()
    run = ImportRun.objects.get()

    log_in(page, "olivia", "operator-pass-123")
    page.goto(f"/runs/{run.pk}/rows/2/")
    cells = page.locator("main")
    expect(cells).to_contain_text("8300")
    expect(cells).not_to_contain_text("123456782")
    expect(cells).not_to_contain_text("1980")
    expect(cells).to_contain_text("•••")
    screenshot(page, "row-ignored-bsn-hidden")
