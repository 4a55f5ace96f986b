"""Correcting a failed row and re-running failures, in Chromium, with a real worker process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from propel_admin.imports import pii, run_control
from propel_admin.imports.models import ContactRow, ImportRun
from tests.browser.conftest import log_in, screenshot
from tests.imports.conftest import checked_run
from tests.workers import worker_env, worker_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _failed_run(operator, run_worker) -> ImportRun:  # type: ignore[no-untyped-def]
    """Rows 2-9 created; 7100 and 7200/7201 name unknown companies; 7300 a refused key."""
    client = Client()
    client.force_login(operator)
    rows = [f"{7000 + i},Ann{i},Lee,a{i}@example.com,3" for i in range(8)]
    rows += ["7100,Noor,Visser,noor@example.com,777777"]
    rows += ["7200,Piet,Bakker,piet@example.com,888888", "7201,Sem,Bakker,sem@example.com,888888"]
    rows += ["7300,Tess,Smit,tess@example.com,3"]
    run = checked_run(client, run_worker, rows, "Contact ID,First name,Last name,Email,Company ID")
    refused = ContactRow.objects.get(run=run, contact_id=7300)
    refused.payload = {**refused.payload, "company": "Smit BV"}  # as if the mapping let it by
    refused.save()
    run_control.run_start(run_id=run.pk, user=operator)
    run_worker()
    run.refresh_from_db()
    assert (run.rows_created, run.rows_failed) == (8, 4)
    return run


def test_an_operator_fixes_a_failed_row_reruns_it_and_then_reruns_a_group(
    page: Page,
    operator,
    sandbox,
    run_worker,
    settings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    run = _failed_run(operator, run_worker)
    log_in(page, "olivia", "operator-pass-123")
    page.goto(f"/runs/{run.pk}/")
    expect(page.locator("#rerun-panel")).to_contain_text("4 failed rows can be sent again")
    expect(page.locator("#failure-groups li.group")).to_have_count(2)
    expect(page.get_by_role("button", name="Re-run this group")).to_have_count(2)
    screenshot(page, "rerun-parent-failed")

    # Find contact 7100 among the failed rows and read why it failed.
    page.get_by_role("link", name="only the failed rows").click()
    expect(page.locator("#rows-table tbody tr")).to_have_count(4)
    page.get_by_label("Choose row 11 to re-run").check()
    page.get_by_label("Choose row 12 to re-run").check()
    screenshot(page, "rerun-failed-rows")
    page.get_by_role("button", name="Re-run the chosen rows").click()
    expect(page.locator("#rerun-scope")).to_have_text("The rows you chose: 11, 12")
    expect(page.get_by_role("button", name="Re-run 2 rows")).to_be_visible()
    page.go_back()
    page.get_by_label("Contact id, email or name").fill("7100")
    page.get_by_role("button", name="Show rows").click()
    expect(page.locator("#rows-table tbody tr")).to_have_count(1)
    page.locator("#rows-table tbody a").first.click()
    expect(page.locator("#row-message")).to_have_text(
        "Propeller said: Parent resource [Company] with id [777777] not found"
    )

    # Correct it inline: a wrong value first, then the right company.
    page.get_by_label("Company ID").fill("three")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.locator("#fix-notice")).to_have_text(re.compile("The row was not saved"))
    expect(page.get_by_label("Company ID")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "rerun-row-fix-error")
    page.get_by_label("Company ID").fill("3")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.locator("#fix-notice")).to_contain_text("Row 10 corrected (Company ID)")
    expect(page.locator("#fix-payload")).to_contain_text('"id": 3')
    screenshot(page, "rerun-row-fixed")

    page.get_by_role("button", name="Re-run this row").click()
    expect(page.locator("#rerun-count")).to_contain_text("1 failed row will be checked again")
    expect(page.locator("#rerun-count")).to_contain_text("It was corrected by hand")
    expect(page.locator("#rerun-summary")).to_contain_text(sandbox.api_url)
    screenshot(page, "rerun-confirm-row")
    page.get_by_role("button", name="Re-run 1 row").click()
    expect(page.locator("#rerun-of")).to_contain_text(f"Re-run of run #{run.pk}")
    expect(page.locator("hgroup")).to_contain_text("A re-run starts sending by itself")
    child = ImportRun.objects.get(parent=run)

    env = worker_env(sandbox, MEDIA_ROOT=str(tmp_path / "media"),
                     PROPELLER_MAX_REQUESTS_PER_SECOND="1000")  # fmt: skip
    with worker_process(env):
        expect(page.locator("#run-state")).to_contain_text("Finished", timeout=30_000)
        expect(page.locator("#count-created")).to_have_text("1")
        screenshot(page, "rerun-child-finished")

        page.get_by_role("link", name=f"run #{run.pk}").first.click()
        expect(page.locator("#rerun-fixed")).to_contain_text("1 of the 4 failed rows was")
        expect(page.locator("#rerun-children")).to_contain_text(f"Run #{child.pk}: Finished")
        expect(page.locator("#rerun-panel")).to_contain_text("3 failed rows can be sent again")
        screenshot(page, "rerun-parent-one-fixed")

        # A colleague created company 888888 in Propeller: re-run that error group only.
        sandbox.add_companies(ids=[888888])
        group = page.locator("#failure-groups li.group", has_text="Parent resource [Company]")
        group.get_by_role("button", name="Re-run this group").click()
        expect(page.locator("#rerun-count")).to_contain_text("2 failed rows will be checked again")
        expect(page.locator("#rerun-group")).to_contain_text("Parent resource [Company] with id")
        expect(page.locator("#rerun-left-out")).to_contain_text("1 row of this choice was re-run")
        screenshot(page, "rerun-confirm-group")
        page.get_by_role("button", name="Re-run 2 rows").click()
        expect(page.locator("#run-state")).to_contain_text("Finished", timeout=30_000)
        expect(page.locator("#count-created")).to_have_text("2")
        page.get_by_role("link", name=f"run #{run.pk}").first.click()
    expect(page.locator("#rerun-fixed")).to_contain_text("3 of the 4 failed rows were fixed")
    expect(page.locator("#rerun-children li")).to_have_count(2)
    expect(page.locator("#rerun-panel")).to_contain_text("1 failed row can be sent again")
    # Only the group with a row left to re-run still offers it.
    groups = page.locator("#failure-groups li.group")
    expect(groups.filter(has_text="extraneous key [company]").get_by_role("button")).to_have_count(
        1
    )
    expect(groups.filter(has_text="Parent resource [Company]").get_by_role("button")).to_have_count(
        0
    )
    screenshot(page, "rerun-parent-three-fixed")
    assert sandbox.get_contact(7100)["parent"] == {"id": 3}
    assert sandbox.get_contact(7201)["parent"] == {"id": 888888}


def test_a_hidden_cell_can_be_replaced_but_not_read(
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
    header = "Contact ID,First name,Email,Company ID,SSN,Date of birth"
    rows = ["7400,Ida,ida@example.com,777777,123-45-6789,28/08/1993"]
    run = checked_run(client, run_worker, rows, header)
    run_control.run_start(run_id=run.pk, user=operator)
    run_worker()
    log_in(page, "olivia", "operator-pass-123")
    page.goto(f"/runs/{run.pk}/rows/2/")
    expect(page.get_by_label("SSN")).to_have_value("")
    expect(page.get_by_label("SSN")).to_have_attribute("placeholder", "••• (hidden)")
    expect(page.locator("#row-fix-panel")).to_contain_text("Hidden: type a new value to replace")
    page.get_by_label("Company ID").fill("3")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.locator("#fix-notice")).to_contain_text("Row 2 corrected (Company ID)")
    expect(page.locator("#fix-payload")).to_contain_text('"ssn": "•••"')
    assert "123-45-6789" not in page.content()
    assert "28/08/1993" not in page.content()
    screenshot(page, "rerun-row-fix-hidden")
    row = ContactRow.objects.get(run=run, row_number=2)
    opened = pii.open_cells(row.fixed_cells)
    assert opened == ["7400", "Ida", "ida@example.com", "3", "123-45-6789", "28/08/1993"]
    assert pii.is_sealed(row.fixed_cells[4])  # the SSN is stored encrypted
