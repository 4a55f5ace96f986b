"""Results and failures exports of a real run, and a fixed failures file uploaded again."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from propel_admin.audit.actions import PII_REVEAL
from propel_admin.audit.models import AuditEvent
from propel_admin.imports import mapping_edit, result_exports, run_control
from propel_admin.imports.models import ContactRow, ImportRun, RowStatus, RunStatus, Upload
from propel_admin.imports.roundtrip import EXPORT_COLUMNS, HIDDEN_NOT_FOUND
from tests.imports.conftest import checked_run, sent_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

HEADER = "Contact ID,First name,Email,Company ID,BSN,Date of birth"
ROWS = [
    "5001,Ann,ann@example.com,1,123456782,01/02/1980",
    "5002,=HYPERLINK(1),bob@example.com,999999,223456782,15/03/1975",  # unknown company
    "5003,Cid,not-an-email,1,,",  # invalid: never sent
    "5004,Dee,dee@example.com,888888,323456782,20/12/1990",  # unknown company
    "5005,Eve,eve@example.com,2,,",
]


def _sent_run(client: Client, run_worker, operator) -> ImportRun:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    run = sent_run(client, run_worker, operator, ROWS, HEADER)
    assert (run.rows_created, run.rows_failed, run.rows_invalid) == (2, 2, 1)
    return run


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    data = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _url(run: ImportRun, kind: str, file_format: str) -> str:
    return reverse("runs:run-export", args=[run.pk, kind, file_format])


def test_the_results_export_has_every_row_its_outcome_and_hides_pii(
    client: Client,
    operator,
    sandbox,
    run_worker,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(result_exports, "CHUNK", 2)  # several keyset chunks
    run = _sent_run(client, run_worker, operator)
    response = client.get(_url(run, "results", "csv"))
    assert response.status_code == 200
    assert "results-run" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == [*HEADER.split(","), *EXPORT_COLUMNS]
    assert [r[-1] for r in rows[1:]] == ["2", "3", "4", "5", "6"]  # every row, in file order
    assert {r[-2] for r in rows[1:]} == {str(run.pk)}
    by_id = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_id["5001"]["Status"] == "Created"
    assert by_id["5001"]["Action"] == "create"
    assert by_id["5001"]["Propeller ID"].isdigit()
    assert by_id["5001"]["BSN"] == by_id["5001"]["Date of birth"] == "•••"
    assert by_id["5005"]["BSN"] == ""  # an empty cell stays empty
    assert by_id["5002"]["Status"] == "Failed"
    assert by_id["5002"]["Message"] == "Parent resource [Company] with id [999999] not found"
    assert by_id["5002"]["First name"] == "'=HYPERLINK(1)"  # formula neutralised
    assert by_id["5003"]["Status"] == "Invalid"
    assert by_id["5003"]["Message"].startswith("Email: ")


def test_the_failures_export_has_only_the_refused_rows_and_pii_for_those_allowed(
    client: Client,
    operator,
    superuser,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, run_worker, operator)
    rows = _xlsx(client.get(_url(run, "failures", "xlsx")))
    assert [r[0] for r in rows[1:]] == ["5002", "5004"]
    assert rows[1][4] == "•••"
    client.force_login(superuser)
    rows = _xlsx(client.get(_url(run, "failures", "xlsx")))
    assert rows[1][4:6] == ["•••", "•••"]  # hidden by default, even for those allowed
    rows = _xlsx(client.get(_url(run, "failures", "xlsx") + "?pii=show"))
    assert rows[1][4:6] == ["223456782", "15/03/1975"]  # opened: stored sealed
    client.force_login(operator)
    rows = _xlsx(client.get(_url(run, "failures", "xlsx") + "?pii=show"))
    assert rows[1][4:6] == ["•••", "•••"]  # asking is not enough without view_pii
    assert client.get(_url(run, "all", "csv")).status_code == 404
    assert client.get(_url(run, "results", "pdf")).status_code == 404


def test_the_run_page_offers_the_downloads_with_counts(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, run_worker, operator)
    page = client.get(reverse("runs:run-detail", args=[run.pk])).content.decode()
    assert "Downloads" in page
    assert _url(run, "failures", "xlsx") in page
    assert "<td>5</td>" in page
    assert "<td>2</td>" in page
    assert "Failures are only the rows Propeller refused" in page


def test_an_export_too_big_for_excel_is_offered_as_csv_only(
    client: Client,
    operator,
    sandbox,
    run_worker,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, run_worker, operator)
    settings.EXPORT_XLSX_MAX_ROWS = 4  # 5 results, 2 failures
    page = client.get(reverse("runs:run-detail", args=[run.pk])).content.decode()
    assert _url(run, "results", "xlsx") not in page
    assert "Too many rows for Excel here: use the CSV" in page
    assert _url(run, "failures", "xlsx") in page
    response = client.get(_url(run, "results", "xlsx"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("runs:run-detail", args=[run.pk])
    assert "5 rows are too many for an Excel download here (at most 4)" in response.content.decode()
    assert client.get(_url(run, "results", "csv")).status_code == 200


def _upload_xlsx(client: Client, rows: list[list[str]], name: str = "fixed.xlsx") -> Upload:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    response = client.post(
        reverse("imports:upload-list"), {"file": SimpleUploadedFile(name, data.getvalue())}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Upload.objects.order_by("-id").first()  # type: ignore[return-value]


def test_a_fixed_failures_export_goes_through_with_the_hidden_values_restored(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, run_worker, operator)
    rows = _xlsx(client.get(_url(run, "failures", "xlsx")))
    assert rows[1][4] == rows[2][4] == "•••"
    rows[1][3] = "3"  # the operator fixes the company ids in Excel
    rows[2][3] = "4"
    rows[1][1] = "Bob"
    upload = _upload_xlsx(client, rows)

    targets = {c["header"]: c["target"] for c in upload.mapping["columns"]}
    original = {c["header"]: c["target"] for c in run.mapping["columns"]}
    assert targets == {**original, **dict.fromkeys(EXPORT_COLUMNS)}
    assert f"As in run #{run.pk}" in str(upload.suggestions)

    client.post(reverse("imports:upload-check", args=[upload.pk]))
    run_worker()
    again = ImportRun.objects.order_by("-id").first()
    assert again is not None
    assert again.status == RunStatus.VALIDATED
    assert (again.rows_valid, again.rows_invalid) == (2, 0)
    run_control.run_start(run_id=again.pk, user=operator)
    run_worker()
    again.refresh_from_db()
    assert (again.rows_created, again.rows_failed) == (2, 0)
    stored = sandbox.get_contact(5002)
    assert stored["ssn"] == "223456782"  # the original value, never the mask
    assert stored["dateOfBirth"] == "15/03/1975"
    assert stored["parent"] == {"id": 3}
    assert sandbox.get_contact(5004)["ssn"] == "323456782"

    # Its own results export has one set of outcome columns, not two.
    header = _csv(client.get(_url(again, "results", "csv")))[0]
    assert header == [*HEADER.split(","), *EXPORT_COLUMNS]


def test_a_hidden_value_whose_original_row_is_gone_makes_the_row_invalid(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, run_worker, operator)
    rows = _xlsx(client.get(_url(run, "failures", "xlsx")))
    rows[1][3] = rows[2][3] = "3"
    rows[1][-1] = "999"  # no such row in the run
    upload = _upload_xlsx(client, rows)
    client.post(reverse("imports:upload-check", args=[upload.pk]))
    run_worker()
    again = ImportRun.objects.order_by("-id").first()
    assert again is not None
    assert (again.rows_valid, again.rows_invalid) == (1, 1)
    bad = ContactRow.objects.get(run=again, status=RowStatus.INVALID)
    texts = [e["text"] for e in bad.errors]
    assert HIDDEN_NOT_FOUND.format(label="Social security number") in texts
    assert HIDDEN_NOT_FOUND.format(label="Date of birth") in texts
    assert "•••" not in str(bad.payload)


def test_an_export_matches_the_template_of_the_original_file() -> None:
    headers = HEADER.split(",")
    exported = [*headers, *EXPORT_COLUMNS]
    assert mapping_edit.header_signature(exported) == mapping_edit.header_signature(headers)
    # Without the reference columns a "Status" column is the customer's own data.
    assert mapping_edit.header_signature([*headers, "Status"]) != mapping_edit.header_signature(
        headers
    )


def test_failed_rows_are_grouped_by_their_folded_message_on_the_run_page(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, run_worker, operator)  # two unknown companies: 999999 and 888888
    page = client.get(reverse("runs:run-detail", args=[run.pk])).content.decode()
    assert '<strong class="group-count">2 rows</strong>' in page
    assert "<code>Parent resource [Company] with id [&lt;n&gt;] not found</code>" in page
    assert page.count('<li class="group">') == 1


def test_the_invalid_rows_download_hides_pii_too(
    client: Client,
    operator,
    superuser,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    run = checked_run(client, run_worker, ["5101,Ann,bad-email,1,123456782,01/02/1980"], HEADER)
    url = reverse("runs:run-invalid-download", args=[run.pk, "csv"])
    assert _csv(client.get(url))[1][4:6] == ["•••", "•••"]
    client.force_login(superuser)
    assert _csv(client.get(url))[1][4:6] == ["•••", "•••"]
    assert _csv(client.get(url + "?pii=show"))[1][4:6] == ["123456782", "01/02/1980"]
    reveal = AuditEvent.objects.get(action=PII_REVEAL)
    assert (reveal.username, reveal.detail) == ("root", "in the invalid rows (csv) export")


def test_an_export_of_an_unknown_run_still_ignores_the_added_columns(
    client: Client,
    operator,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    header = [*HEADER.split(","), *EXPORT_COLUMNS]
    row = ["6001", "Ann", "ann@example.com", "1", "•••", "", "Failed", "", "", "x", "424242", "2"]
    upload = _upload_xlsx(client, [header, row])
    targets = {c["header"]: c["target"] for c in upload.mapping["columns"]}
    assert targets["Contact ID"] == "id"
    assert targets["BSN"] == "ssn"
    assert all(targets[name] is None for name in EXPORT_COLUMNS)
    assert upload.suggestions[-1]["message"] == "Added by a Propel Admin export: never sent"
