"""Social security numbers sealed at rest, opened only where needed; keys rotated."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from propel_admin.imports import pii
from propel_admin.imports.models import ContactRow, Upload
from tests.imports.conftest import checked_run

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
HEADER = "Contact ID,First name,Email,Company ID,SSN,Date of birth"


def test_a_sealed_value_is_marked_and_opens_with_any_listed_key(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PII_ENCRYPTION_KEYS = [OLD]
    sealed = pii.seal("123-45-6789")
    assert sealed.startswith("enc:v1:")
    assert "123-45-6789" not in sealed
    assert pii.seal("123-45-6789") != sealed  # a fresh IV each time
    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]
    assert pii.open_value(sealed) == "123-45-6789"
    assert pii.open_value("plain") == "plain"
    assert pii.open_value(None) is None
    settings.PII_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(pii.PiiUnreadable, match="cannot be decrypted"):
        pii.open_value(sealed)


def test_the_sealer_seals_only_non_empty_ssn_cells_and_the_payload_ssn() -> None:
    sealer = pii.Sealer([1])
    cells = sealer.cells(["7", "123456782", "x"])
    assert cells[0] == "7"
    assert cells[2] == "x"
    assert pii.is_sealed(cells[1])
    assert sealer.cells(["7", "", "x"]) == ["7", "", "x"]
    assert sealer.cells(cells) == cells  # never sealed twice
    payload = sealer.payload({"id": 7, "ssn": "123456782"})
    assert pii.open_payload(payload) == {"id": 7, "ssn": "123456782"}
    assert pii.Sealer.for_columns([]) is None  # no SSN column: nothing to do per row


@pytest.mark.django_db(transaction=True)
def test_the_check_stores_ssns_sealed_and_leaves_files_without_one_alone(
    client: Client,
    operator,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    row_text = "9001,Ann,a@example.com,1,123-45-6789,28/02/1980"
    run = checked_run(client, run_worker, [row_text], HEADER)
    row = ContactRow.objects.get(run=run)
    assert row.cells[:4] == ["9001", "Ann", "a@example.com", "1"]
    assert row.cells[5] == "28/02/1980"  # dates of birth are masked, not sealed
    assert pii.open_value(row.cells[4]) == "123-45-6789"
    assert pii.open_payload(row.payload)["ssn"] == "123-45-6789"
    with connection.cursor() as cursor:
        cursor.execute("SELECT cells, payload FROM imports_contactrow")
        raw = repr(cursor.fetchall())
        cursor.execute("SELECT preview FROM imports_upload")
        preview = repr(cursor.fetchall())
    assert "123-45-6789" not in raw + preview
    assert Upload.objects.get(pk=run.upload_id).preview[0]["cells"][4] == "123-45-6789"

    no_ssn = "Contact ID,First name,Email,Company ID"
    plain = checked_run(client, run_worker, ["9002,Bo,b@example.com,1"], no_ssn)
    assert ContactRow.objects.get(run=plain).cells == ["9002", "Bo", "b@example.com", "1"]


@pytest.mark.django_db(transaction=True)
def test_rotate_pii_key_reseals_with_the_first_key_and_can_be_run_again(
    client: Client,
    operator,
    run_worker,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.PII_ENCRYPTION_KEYS = [OLD]
    client.force_login(operator)
    rows = [f"{9100 + i},N{i},n{i}@example.com,1,12345678{i},28/02/1980" for i in range(5)]
    checked_run(client, run_worker, rows, HEADER)
    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]

    out = StringIO()
    call_command("rotate_pii_key", "--dry-run", stdout=out)
    assert "Would re-encrypt 10 values in 5 rows and 1 upload previews" in out.getvalue()
    call_command("rotate_pii_key", stdout=(out := StringIO()))
    assert "Re-encrypted 10 values in 5 rows and 1 upload previews" in out.getvalue()
    call_command("rotate_pii_key", stdout=(out := StringIO()))
    assert "Re-encrypted 0 values in 0 rows and 0 upload previews" in out.getvalue()

    settings.PII_ENCRYPTION_KEYS = [NEW]  # the old key can go now
    opened = [pii.open_payload(r.payload)["ssn"] for r in ContactRow.objects.order_by("row_number")]
    assert opened == [f"12345678{i}" for i in range(5)]
    assert Upload.objects.get().preview[0]["cells"][4] == "123456780"


@pytest.mark.django_db
def test_the_mapping_page_hides_ssn_and_birth_dates_in_samples_rows_and_json(
    client: Client,
    operator,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    content = f"{HEADER}\n9201,Ann,a@example.com,1,123-45-6789,28/08/1993\n"
    file = SimpleUploadedFile("p.csv", content.encode())
    client.post(reverse("imports:upload-list"), {"file": file})
    upload = Upload.objects.get()
    page = client.get(reverse("imports:upload-detail", args=[upload.pk])).content.decode()
    assert "a@example.com" in page  # samples and JSON are there
    assert "123-45-6789" not in page
    assert "28/08/1993" not in page
    assert "&quot;ssn&quot;: &quot;•••&quot;" in page  # the JSON preview
    assert "&quot;dateOfBirth&quot;: &quot;•••&quot;" in page


def test_rows_and_uploads_are_not_in_the_django_admin_unmasked() -> None:
    for model in (ContactRow, Upload):
        model_admin = admin.site._registry.get(model)
        if model_admin is not None:  # registered later: the JSON fields must stay out
            shown = set(model_admin.get_fields(None))  # type: ignore[arg-type]
            assert not shown & {"cells", "fixed_cells", "payload", "preview"}


def test_a_row_seals_its_cell_and_payload_ssn_with_one_encryption() -> None:
    sealer = pii.Sealer([1])
    payload = {"id": 7, "ssn": "123456782"}
    cells = sealer.row(["7", "123456782"], payload)
    assert pii.is_sealed(cells[1])
    assert payload["ssn"] == cells[1]  # the same token: the same value, encrypted once
    trimmed = {"id": 7, "ssn": "123456782"}
    cells = sealer.row(["7", " 123456782 "], trimmed)  # a transform changed it: its own token
    assert trimmed["ssn"] != cells[1]
    assert pii.open_value(trimmed["ssn"]) == "123456782"
    assert pii.open_value(cells[1]) == " 123456782 "


def test_a_cell_sealed_before_stays_sealed_under_a_mapping_without_ssn() -> None:
    """A re-run with a template that no longer maps the column to `ssn` keeps it encrypted."""
    before = ["1", pii.seal("123-45-6789"), "x"]
    cells = pii.sealed_as_before(before, pii.open_cells(before) or [])
    assert cells[0] == "1"
    assert cells[2] == "x"
    assert pii.is_sealed(cells[1])
    assert pii.open_value(cells[1]) == "123-45-6789"
