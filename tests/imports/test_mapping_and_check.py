from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from propel_admin.imports.models import ContactRow, ImportRun, MappingTemplate, RowStatus, Upload
from propel_admin.mapping import messages as mapping_messages

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

CONTACTS = (
    "Contact ID,Given name,Surname,E-mail Address,Company,DOB,Sex\n"
    "1001,Ann,Smith,ann@example.com,Acme,28/08/1993,Female\n"
    "1002,Bob,Jones,not-an-email,Acme,31/02/1990,Male\n"
    "1001,Cleo,Brown,cleo@example.com,Acme,01/01/1980,F\n"
    ",Dan,White,dan@example.com,Acme,,M\n"
    '1005,=HYPERLINK("x"),Evil,eve@example.com,Acme,,\n'
)


def _upload(client: Client, name: str = "contacts.csv", content: str = CONTACTS) -> Upload:
    client.post(
        reverse("imports:upload-list"), {"file": SimpleUploadedFile(name, content.encode())}
    )
    return Upload.objects.order_by("-id").first()  # type: ignore[return-value]


def _targets(upload: Upload) -> dict[str, str | None]:
    return {c["header"]: c["target"] for c in upload.mapping["columns"]}


def test_suggestions_are_stored_with_reasons_and_company_is_never_sent(
    client: Client,
    operator,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    upload = _upload(client)
    assert _targets(upload) == {
        "Contact ID": "id",
        "Given name": "firstName",
        "Surname": "lastName",
        "E-mail Address": "email",
        "Company": None,
        "DOB": "dateOfBirth",
        "Sex": "gender",
    }
    page = client.get(reverse("imports:upload-detail", args=[upload.pk])).content.decode()
    assert "Not accepted by this endpoint" in page
    assert "Preview: what would be sent" in page


def test_changing_a_target_and_adding_a_constant_updates_the_preview(
    client: Client,
    operator,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    upload = _upload(client)
    data = {"constant-slots": "1", "const-0-field": "parent.id", "const-0-value": "42"}
    for column in upload.mapping["columns"]:
        i = column["index"]
        data[f"col-{i}-target"] = column["target"] or ""
        data[f"col-{i}-shown"] = column["target"] or ""
        data[f"col-{i}-trim"] = "on"
        if column["target"] == "gender":
            data[f"col-{i}-gender"] = "on"
    data["col-2-target"] = "middleName"  # Surname -> middle name, deliberately
    response = client.post(reverse("imports:upload-mapping", args=[upload.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    upload.refresh_from_db()
    assert _targets(upload)["Surname"] == "middleName"
    assert upload.mapping["constants"] == {"parent.id": "42"}
    assert '"parent": {\n  "id": 42\n }' in html.replace("&quot;", '"')
    assert "Email is not a valid email address" in html
    assert "Duplicate of row 2" in html


def test_checking_all_rows_stages_every_row_and_groups_problems(
    client: Client,
    operator,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    upload = _upload(client)
    response = client.post(reverse("imports:upload-check", args=[upload.pk]))
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("runs:run-detail", args=[run.pk])
    run_worker()
    run.refresh_from_db()
    assert run.status == "validated"
    assert (run.rows_read, run.rows_valid, run.rows_invalid) == (5, 2, 3)
    rows = {r.row_number: r for r in ContactRow.objects.filter(run=run)}
    assert set(rows) == {2, 3, 4, 5, 6}
    assert rows[2].status == RowStatus.PENDING
    assert rows[2].payload == {
        "id": 1001,
        "firstName": "Ann",
        "lastName": "Smith",
        "dateOfBirth": "28/08/1993",
        "gender": "f",
        "email": "ann@example.com",
    }
    assert rows[4].status == RowStatus.INVALID  # duplicate of row 2
    messages = {g["message"]: g for g in run.error_groups}
    assert messages[mapping_messages.ID_MISSING]["example_rows"] == [5]
    assert messages[mapping_messages.EMAIL_INVALID]["count"] == 1

    page = client.get(reverse("runs:run-detail", args=[run.pk])).content.decode()
    assert "ready to send" in page
    assert mapping_messages.EMAIL_INVALID in page

    download = client.get(reverse("runs:run-invalid-download", args=[run.pk, "csv"]))
    text = b"".join(download.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [*upload.headers, "Row in file", "Problems"]
    assert [row[-2] for row in table[1:]] == ["3", "4", "5"]
    assert "Duplicate of row 2" in table[2][-1]


def test_formula_cells_are_neutralised_in_downloads(
    client: Client,
    operator,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    content = 'Contact ID,Given name,E-mail Address\n=1+1,=HYPERLINK("x"),@bad\n'
    upload = _upload(client, content=content)
    client.post(reverse("imports:upload-check", args=[upload.pk]))
    run_worker()
    run = ImportRun.objects.get()
    download = client.get(reverse("runs:run-invalid-download", args=[run.pk, "csv"]))
    text = b"".join(download.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[:3] == ["'=1+1", '\'=HYPERLINK("x")', "'@bad"]
    xlsx = client.get(reverse("runs:run-invalid-download", args=[run.pk, "xlsx"]))
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].startswith("attachment;")


def test_a_saved_template_is_applied_to_a_file_with_the_same_columns(
    client: Client,
    operator,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    upload = _upload(client)
    upload.mapping["columns"][2]["target"] = "middleName"
    upload.mapping["constants"] = {"source": "CRM"}
    upload.save()
    client.post(reverse("imports:upload-template-save", args=[upload.pk]), {"name": "Sales export"})
    template = MappingTemplate.objects.get()
    assert template.name == "Sales export"

    reordered = (
        "Surname,Contact ID,Given name,E-mail Address,Company,DOB,Sex\nX,7,Y,y@example.com,A,,\n"
    )
    second = _upload(client, "next-week.csv", reordered)
    assert second.template == template
    assert _targets(second)["Surname"] == "middleName"
    assert second.mapping["constants"] == {"source": "CRM"}
    page = client.get(reverse("imports:upload-detail", args=[second.pk])).content.decode()
    assert "its mapping was applied" in page

    again = client.post(
        reverse("imports:upload-template-save", args=[second.pk]),
        {"name": "sales EXPORT"},
        follow=True,
    )
    assert "A template with this name exists already." in again.content.decode()
