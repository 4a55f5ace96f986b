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

from propel_admin.audit.actions import PII_REVEAL
from propel_admin.audit.models import AuditEvent
from propel_admin.imports import pii
from propel_admin.imports.models import ContactRow, ImportRun, RunStatus, Upload
from tests.imports.conftest import checked_run, mapping_post

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
@pytest.mark.services  # read back with raw SQL: PostgreSQL too in CI
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
@pytest.mark.services  # raw SQL over the stored rows: PostgreSQL too in CI
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


NAMED = "Contact ID,First name,Email,Company ID,BSN,Date of birth"
NAMED_ROWS = [
    "9301,Ann,a@example.com,1,123-45-6789,28/02/1980",
    "9302,Bo,not-an-email,1,987654321,01/03/1975",  # invalid: in the invalid rows export
]
NAMED_VALUES = ("123-45-6789", "28/02/1980", "987654321", "01/03/1975")


def _text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8-sig")


def _checked_unmapped(client: Client, run_worker) -> ImportRun:  # type: ignore[no-untyped-def]
    """NAMED_ROWS checked with "BSN" and "Date of birth" mapped to nothing (ignored)."""
    content = "\n".join([NAMED, *NAMED_ROWS]) + "\n"
    client.post(
        reverse("imports:upload-list"), {"file": SimpleUploadedFile("n.csv", content.encode())}
    )
    upload = Upload.objects.order_by("-id").first()
    assert upload is not None
    data = mapping_post(upload, {4: "", 5: ""})
    client.post(reverse("imports:upload-mapping", args=[upload.pk]), data, HTTP_HX_REQUEST="true")
    client.post(reverse("imports:upload-check", args=[upload.pk]))
    run_worker()
    run = ImportRun.objects.get(upload=upload)
    assert run.status == RunStatus.VALIDATED
    assert [c["target"] for c in run.mapping["columns"]][4:] == [None, None]
    return run


@pytest.mark.django_db(transaction=True)
def test_columns_named_like_an_ssn_or_birth_date_but_not_mapped_are_sealed_and_hidden(
    client: Client,
    operator,
    admin_user,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    run = _checked_unmapped(client, run_worker)
    with connection.cursor() as cursor:
        cursor.execute("SELECT cells, payload FROM imports_contactrow")
        raw = repr(cursor.fetchall())
    assert "123-45-6789" not in raw
    assert "987654321" not in raw
    rows = {r.row_number: r for r in ContactRow.objects.filter(run=run)}
    assert pii.open_value(rows[2].cells[4]) == "123-45-6789"
    assert "ssn" not in rows[2].payload  # not mapped: never sent
    assert rows[3].status == "invalid"

    pages = {
        f"row {n}": client.get(reverse("runs:run-row", args=[run.pk, n])).content.decode()
        for n in (2, 3)
    }
    pages["rows"] = client.get(reverse("runs:run-rows", args=[run.pk])).content.decode()
    pages["results export"] = _text(
        client.get(reverse("runs:run-export", args=[run.pk, "results", "csv"]))
    )
    pages["invalid rows export"] = _text(
        client.get(reverse("runs:run-invalid-download", args=[run.pk, "csv"]))
    )
    for name, text in pages.items():
        for value in NAMED_VALUES:
            assert value not in text, f"{value} in the {name}"
        assert pii.PREFIX not in text, name
    assert "a@example.com" in pages["row 2"]
    assert pages["row 2"].count("•••") >= 2
    assert "9301,Ann,a@example.com,1,•••,•••," in pages["results export"]
    assert "9302,Bo,not-an-email,1,•••,•••,3," in pages["invalid rows export"]

    client.force_login(admin_user)  # allowed, and asking: shown (and recorded)
    row_page = client.get(reverse("runs:run-row", args=[run.pk, 2])).content.decode()
    assert "Show social security number and date of birth" in row_page
    shown = client.post(reverse("runs:row-reveal", args=[run.pk, 2])).content.decode()
    assert "123-45-6789" in shown
    assert "28/02/1980" in shown
    assert AuditEvent.objects.get(action=PII_REVEAL).detail == "row 2: dateOfBirth, ssn"
    export = reverse("runs:run-export", args=[run.pk, "results", "csv"]) + "?pii=show"
    assert "9301,Ann,a@example.com,1,123-45-6789,28/02/1980," in _text(client.get(export))


@pytest.mark.django_db(transaction=True)
def test_a_reuploaded_export_gets_the_hidden_values_of_columns_not_mapped_back_sealed(
    client: Client,
    operator,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    run = _checked_unmapped(client, run_worker)
    export = _text(client.get(reverse("runs:run-export", args=[run.pk, "results", "csv"])))
    header, *lines = export.strip().splitlines()
    again = checked_run(client, run_worker, lines, header)
    assert [c["target"] for c in again.mapping["columns"]][4:6] == [None, None]  # the run's
    row = ContactRow.objects.get(run=again, row_number=2)
    assert pii.is_sealed(row.cells[4])
    assert pii.open_value(row.cells[4]) == "123-45-6789"  # the original, not the mask
    assert row.cells[5] == "28/02/1980"
    assert row.errors == []
