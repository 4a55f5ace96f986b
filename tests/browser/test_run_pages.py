"""Starting a run and following it live, in Chromium, with a real worker process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from propel_admin.imports.models import ImportRun, Upload
from propel_admin.sandbox.faults import FaultConfig
from tests.browser.conftest import log_in, screenshot
from tests.workers import worker_env, worker_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _checked_run(operator, run_worker, rows: int) -> ImportRun:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(operator)
    lines = ["Contact ID,First name,Last name,Email,Company ID"]
    lines += [f"{7000 + i},Ann{i},Lee,a{i}@example.com,3" for i in range(rows)]
    lines.append("7999,Broken,Row,broken-email,3")
    content = ("\n".join(lines) + "\n").encode()
    client.post(reverse("imports:upload-list"), {"file": SimpleUploadedFile("weekly.csv", content)})
    upload = Upload.objects.get()
    client.post(reverse("imports:upload-check", args=[upload.pk]))
    run_worker()
    return ImportRun.objects.get()


def test_an_operator_starts_a_run_watches_it_pauses_resumes_and_sees_it_finish(
    page: Page,
    operator,
    sandbox,
    run_worker,
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROPELLER_BATCH_SIZE = 5
    run = _checked_run(operator, run_worker, rows=60)
    sandbox.set_faults(FaultConfig(latency_ms=350))
    log_in(page, "olivia", "operator-pass-123")
    page.goto(f"/runs/{run.pk}/")
    expect(page.get_by_role("heading", name="Send to Propeller")).to_be_visible()
    expect(page.locator("#start-panel")).to_contain_text("60 rows ready to send")
    screenshot(page, "run-confirm")
    page.get_by_role("button", name="Start sending").click()
    expect(page.locator("#run-state")).to_contain_text("Starting")

    env = worker_env(sandbox, MEDIA_ROOT=str(tmp_path / "media"), PROPELLER_BATCH_SIZE="5",
                     PROPELLER_MAX_REQUESTS_PER_SECOND="1000")  # fmt: skip
    with worker_process(env):
        expect(page.locator("#run-state")).to_contain_text("Sending", timeout=20_000)
        expect(page.locator("#progress-line")).to_contain_text(
            re.compile(r"^[1-9]\d? of 60 rows done"), timeout=20_000
        )
        screenshot(page, "run-sending")
        page.get_by_role("button", name="Pause").click()
        expect(page.locator("#run-state")).to_contain_text("Paused by olivia")
        expect(page.get_by_role("button", name="Resume")).to_be_visible()
        page.wait_for_timeout(1500)  # the batch in flight lands; no new one starts
        done = ImportRun.objects.get().rows_created
        page.wait_for_timeout(2500)  # more than a poll of the page
        assert ImportRun.objects.get().rows_created == done < 60
        expect(page.locator("#count-created")).to_have_text(str(done))
        screenshot(page, "run-paused")
        page.get_by_role("button", name="Resume").click()
        expect(page.locator("#run-state")).to_contain_text("Finished", timeout=30_000)
    expect(page.locator("#count-created")).to_have_text("60")
    expect(page.locator("#count-failed")).to_have_text("0")
    expect(page.locator("#batches")).to_contain_text("200")
    screenshot(page, "run-finished")

    # What happened to contact 7005?
    page.get_by_role("link", name="Every row and its outcome").click()
    page.get_by_label("Contact id, email or name").fill("7005")
    page.get_by_role("button", name="Show rows").click()
    expect(page.locator("#rows-table tbody tr")).to_have_count(1)
    expect(page.locator("#rows-table")).to_contain_text("a5@example.com")
    screenshot(page, "run-rows")
    page.locator("#rows-table tbody a").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Row 7: Created"))).to_be_visible()
    expect(page.locator("#row-payload")).to_contain_text('"id": 7005')
    screenshot(page, "run-row")

    page.get_by_role("link", name="Runs").click()
    expect(page.locator("#runs")).to_contain_text("Finished")
    screenshot(page, "runs-list")
