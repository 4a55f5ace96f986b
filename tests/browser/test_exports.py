"""Downloading a run's results and failures in Chromium, and uploading a fixed file again."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from propel_admin.imports.models import ImportRun
from tests.browser.conftest import log_in, screenshot
from tests.imports.conftest import sent_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "Contact ID,First name,Email,Company ID,BSN"
ROWS = [
    "8001,Ann,ann@example.com,1,123456782",
    "8002,Bob,bob@example.com,999999,223456782",  # unknown company: Propeller refuses it
    "8003,Cid,not-an-email,1,",  # invalid: never sent
]


def _sent_run(operator, run_worker) -> ImportRun:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(operator)
    run = sent_run(client, run_worker, operator, ROWS, HEADER)
    return run


def test_an_operator_downloads_the_exports_and_uploads_the_fixed_failures(
    page: Page,
    operator,
    sandbox,
    run_worker,
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    run = _sent_run(operator, run_worker)
    log_in(page, "olivia", "operator-pass-123")
    page.goto(f"/runs/{run.pk}/")
    downloads = page.locator("#downloads")
    expect(downloads.get_by_role("heading", name="Downloads")).to_be_visible()
    expect(page.locator("#export-results")).to_contain_text("3")
    expect(page.locator("#export-failures")).to_contain_text("1")
    screenshot(page, "run-downloads")

    with page.expect_download() as results:
        page.get_by_role("link", name="Results (CSV)").click()
    results_path = tmp_path / results.value.suggested_filename
    results.value.save_as(results_path)
    assert results_path.name == f"c-results-run-{run.pk}.csv"
    lines = list(csv.reader(results_path.read_text(encoding="utf-8-sig").splitlines()))
    assert [line[0] for line in lines[1:]] == ["8001", "8002", "8003"]
    assert lines[1][4] == "•••"

    with page.expect_download() as failures:
        page.get_by_role("link", name="Failures (Excel)").click()
    fixed = tmp_path / failures.value.suggested_filename
    failures.value.save_as(fixed)
    book = openpyxl.load_workbook(fixed)
    sheet = book.active
    assert [c.value for c in sheet[2]][:5] == ["8002", "Bob", "bob@example.com", "999999", "•••"]
    sheet.cell(row=2, column=4, value="2")  # the operator fixes the company id
    book.save(fixed)

    page.goto("/uploads/")
    page.set_input_files("#id_file", str(fixed))
    page.get_by_role("button", name="Upload and read").click()
    expect(page.get_by_text(f"As in run #{run.pk}").first).to_be_visible()
    expect(page.get_by_text("Added by a Propel Admin export: never sent").first).to_be_visible()
    screenshot(page, "reupload-mapping")
    page.get_by_role("button", name="Check all rows").click()
    run_worker()
    page.reload()
    expect(page.locator("#count-valid")).to_have_text("1")
    page.get_by_role("button", name="Start sending").click()
    run_worker()
    page.reload()
    expect(page.locator("#count-created")).to_have_text("1")
    screenshot(page, "reupload-sent")
    assert sandbox.get_contact(8002)["ssn"] == "223456782"
