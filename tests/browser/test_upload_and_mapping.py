"""The upload-and-mapping flow as an operator does it, in Chromium."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LATIN1_SEMICOLON = (
    "Klantnummer;Voornaam;Achternaam;E-mail;Geslacht;Bedrijfsnaam\r\n"
    "1001;José;Müller;jose@example.com;Man;Acme BV\r\n"
    "1002;Renée;Dubois;renee(at)example.com;Vrouw;Acme BV\r\n"
    "1003;Zoë;Janssen;zoe@example.com;Vrouw;Acme BV\r\n"
).encode("cp1252")


def _workbook(path: Path) -> Path:
    """A notes sheet first, then the data below a title block."""
    book = Workbook()
    notes = book.active
    notes.title = "Read me"
    notes.append(["This export was made by the sales team."])
    notes.append(["Questions? Ask Sam."])
    data = book.create_sheet("Contacts")
    data.append(["Contacts export"])
    data.append(["Made on 2026-11-27"])
    data.append([])
    data.append(["Contact ID", "First Name", "Last Name", "Email", "Date of birth"])
    data.append([2001, "Ada", "Lovelace", "ada@example.com", "10/12/1815"])
    data.append([2002, "Alan", "Turing", "alan@example.com", "23/06/1912"])
    data.append([2003, "Grace", "Hopper", "grace@", "09/12/1906"])
    book.save(path)
    return path


def _choose(page: Page, path: Path) -> None:
    page.goto("/uploads/")
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="Upload and read").click()


def test_an_operator_uploads_maps_saves_a_template_and_checks_the_rows(
    page: Page,
    operator,
    run_worker,
    tmp_path: Path,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    log_in(page, "olivia", "operator-pass-123")
    page.goto("/uploads/")
    expect(page.get_by_text("Drop a file here")).to_be_visible()
    screenshot(page, "upload-empty")

    csv_path = tmp_path / "klanten.csv"
    csv_path.write_bytes(LATIN1_SEMICOLON)
    _choose(page, csv_path)
    expect(page.get_by_role("heading", name="klanten.csv")).to_be_visible()
    expect(page.get_by_text("“;”")).to_be_visible()
    expect(page.get_by_role("cell", name="Renée").first).to_be_visible()
    expect(page.locator("#col-5-target")).to_have_value("")  # Bedrijfsnaam: not accepted
    expect(page.get_by_text("Not accepted by this endpoint: company names")).to_be_visible()

    # "Klantnummer" is left alone on purpose (a customer number is rarely the contact
    # id): the operator picks it, changes another target and adds a constant.
    expect(page.locator("#col-0-target")).to_have_value("")
    # Quick successive changes, without waiting for the page: none may be lost.
    page.locator("#col-0-target").select_option("id")
    page.locator("#col-2-target").select_option("middleName")
    page.locator("#const-0-field").select_option("parent.id")
    page.locator("#const-0-value").fill("42")
    page.locator("#const-0-value").press("Enter")  # Enter updates, never leaves the page
    expect(page.locator("#const-1-field")).to_be_visible()  # a fresh slot for the next one
    expect(page.locator("#preview")).to_contain_text('"id": 42')
    expect(page.locator("#preview")).to_contain_text("Email is not a valid email address")
    expect(page.locator("#preview-counts")).to_have_text("2 of 3 preview rows pass every check.")
    screenshot(page, "mapping")

    page.get_by_label("Save this mapping as a template").fill("Dutch CRM export")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_text("Saved the mapping as template “Dutch CRM export”")).to_be_visible()

    # Next week's file with the same columns gets the template.
    again = tmp_path / "klanten-week-2.csv"
    again.write_bytes(LATIN1_SEMICOLON.replace(b"1001", b"1004"))
    _choose(page, again)
    expect(page.locator("#template-applied")).to_contain_text("Dutch CRM export")
    expect(page.locator("#col-0-target")).to_have_value("id")
    expect(page.locator("#col-2-target")).to_have_value("middleName")

    page.get_by_role("button", name="Check all rows").click()
    expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
    run_worker()
    expect(page.locator("#count-valid")).to_have_text("2")
    expect(page.locator("#count-invalid")).to_have_text("1")
    expect(page.locator("#error-groups")).to_contain_text("Email is not a valid email address")
    screenshot(page, "check-summary")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Invalid rows (Excel)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active.values)
    assert rows[0][-2:] == ("Row in file", "Problems")
    assert rows[1][1] == "Renée"


def test_a_workbook_with_a_notes_sheet_and_a_title_block(
    page: Page,
    operator,
    tmp_path: Path,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    log_in(page, "olivia", "operator-pass-123")
    _choose(page, _workbook(tmp_path / "export.xlsx"))
    expect(page.get_by_role("heading", name="export.xlsx")).to_be_visible()
    expect(page.get_by_text("Contacts (of 2 sheets)")).to_be_visible()
    expect(page.get_by_text("row 4", exact=True)).to_be_visible()
    expect(page.locator("#col-0-target")).to_have_value("id")
    expect(page.locator("#preview")).to_contain_text('"dateOfBirth": "•••"')  # hidden
    screenshot(page, "mapping-workbook")

    page.get_by_text("Read it differently").click()
    page.get_by_label("Sheet").select_option("Read me")
    page.get_by_role("button", name="Read again").click()
    expect(page.get_by_text("The file was read again with your choices.")).to_be_visible()
    expect(page.get_by_text("Read me (of 2 sheets)")).to_be_visible()


def test_an_unreadable_file_is_explained(page: Page, operator, tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    log_in(page, "olivia", "operator-pass-123")
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    _choose(page, legacy)
    expect(page.get_by_role("alert")).to_contain_text("old-style Excel file (.xls")
    screenshot(page, "upload-rejected")
