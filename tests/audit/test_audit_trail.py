"""The audit trail: what each action writes, in its own transaction, with who and where."""

from __future__ import annotations

from io import StringIO
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from propel_admin.audit import actions
from propel_admin.audit.models import AuditEvent
from propel_admin.audit.services import audit_record
from propel_admin.imports import mapping_edit, run_control
from propel_admin.imports.models import ImportRun, MappingTemplate, RunEvent, RunStatus, Upload
from propel_admin.mapping import MappingSpec
from propel_admin.mapping.spec import ColumnRule
from tests.factories import run_make, upload_make

HEADER = "Contact ID,First name,Last name,Email,BSN,Date of birth"
ROWS = [
    "5001,Ann,Smith,ann@example.com,123456782,01/02/1980",
    "5002,Bob,Jones,bob@example.com,223456782,15/03/1975",
    "5003,Cid,Brown,cid@example.com,,",
]
PII = ["123456782", "223456782", "1980", "1975", "ann@example.com", "Smith"]


def _trail() -> list[tuple[str, str, str, int | None]]:
    return list(
        AuditEvent.objects.order_by("id").values_list(
            "action", "username", "object_type", "object_id"
        )
    )


def _spec(*targets: tuple[str, str]) -> dict[str, object]:
    rules = (ColumnRule(i, header, target) for i, (header, target) in enumerate(targets))
    return MappingSpec(tuple(rules), {}).to_dict()


def _mapping_form(upload: Upload, **targets: str) -> dict[str, str]:
    """The mapping form as the page posts it, with some columns' targets changed."""
    data = {"constant-slots": "0"}
    for column in upload.mapping["columns"]:
        i, target = column["index"], column["target"] or ""
        data[f"col-{i}-shown"] = target
        data[f"col-{i}-target"] = targets.get(column["header"], target)
        for transform in ("trim", "gender", "language", "phone"):
            if column.get(transform):
                data[f"col-{i}-{transform}"] = "on"
        if column.get("date_format"):
            data[f"col-{i}-date_format"] = column["date_format"]
    return data


@pytest.mark.django_db(transaction=True)
@pytest.mark.services
def test_a_full_flow_leaves_the_expected_events_in_order(
    client: Client, operator, run_worker
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    content = ("\n".join([HEADER, *ROWS]) + "\n").encode()
    client.post(reverse("imports:upload-list"), {"file": SimpleUploadedFile("weekly.csv", content)})
    upload = Upload.objects.get()
    unchanged = client.post(
        reverse("imports:upload-mapping", args=[upload.pk]), _mapping_form(upload)
    )
    assert unchanged.status_code == 200  # the page saves on every edit: no change, no event
    changed = _mapping_form(upload, **{"Last name": "middleName"})
    client.post(reverse("imports:upload-mapping", args=[upload.pk]), changed)
    client.post(reverse("imports:upload-template-save", args=[upload.pk]), {"name": "Weekly"})
    template = MappingTemplate.objects.get()
    client.post(reverse("imports:upload-check", args=[upload.pk]))
    run_worker()
    run = ImportRun.objects.get()
    assert run.status == RunStatus.VALIDATED
    for action in ("start", "pause", "resume"):
        client.post(reverse(f"runs:run-{action}", args=[run.pk]))
    response = client.get(reverse("runs:run-export", args=[run.pk, "results", "csv"]))
    assert b"".join(response.streaming_content)

    assert _trail() == [
        ("upload.create", "olivia", "upload", upload.pk),
        ("mapping.change", "olivia", "upload", upload.pk),
        ("template.create", "olivia", "template", template.pk),
        ("run.check", "olivia", "run", run.pk),
        ("run.start", "olivia", "run", run.pk),
        ("run.pause", "olivia", "run", run.pk),
        ("run.resume", "olivia", "run", run.pk),
        ("export.download", "olivia", "run", run.pk),
    ]
    events = list(AuditEvent.objects.order_by("id"))
    assert {e.user_id for e in events} == {operator.pk}
    assert {e.ip for e in events} == {"127.0.0.1"}
    assert "“Last name” → middleName" in events[1].detail
    assert events[0].detail.startswith("weekly.csv (")
    assert events[7].detail == "results (csv)"
    # The run page's timeline is still written alongside.
    assert list(RunEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "start", "pause", "resume",
    ]  # fmt: skip
    for event in events:
        assert not any(value in event.detail for value in PII), event.detail


@pytest.mark.django_db
def test_template_edits_renames_and_deletes_are_recorded(  # type: ignore[no-untyped-def]
    client: Client, operator, admin_user
) -> None:
    client.force_login(admin_user)  # an operator saves templates; an Admin manages them
    upload = upload_make(operator)
    upload.mapping = _spec(("Contact ID", "id"), ("Email", "email"), ("BSN", "ssn"))
    upload.save()
    template = mapping_edit.template_create(name="CRM", upload=upload, user=operator)
    data = {"name": "CRM v2", "col-0-target": "id", "col-1-target": "email", "col-2-target": "",
            "constant-slots": "0"}  # fmt: skip
    response = client.post(reverse("templates:template-edit", args=[template.pk]), data)
    assert response.status_code == 302
    client.post(reverse("templates:template-delete", args=[template.pk]))
    assert not MappingTemplate.objects.exists()
    assert _trail() == [
        ("template.create", "olivia", "template", template.pk),
        ("template.update", "ada", "template", template.pk),
        ("template.delete", "ada", "template", template.pk),
    ]
    update, delete = AuditEvent.objects.order_by("id")[1:]
    assert update.detail == "renamed “CRM” to “CRM v2”; “BSN” → not sent"
    assert delete.detail == "“CRM v2”"


@pytest.mark.django_db
def test_a_refused_change_leaves_no_event(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    upload = upload_make(operator)
    upload.mapping = _spec(("Contact ID", "id"))
    upload.save()
    mapping_edit.template_create(name="CRM", upload=upload, user=operator)
    with pytest.raises(ValueError, match="exists already"):
        mapping_edit.template_create(name="crm", upload=upload, user=operator)
    assert AuditEvent.objects.filter(action=actions.TEMPLATE_CREATE).count() == 1


@pytest.mark.django_db
def test_an_event_that_cannot_be_written_undoes_its_change(operator) -> None:  # type: ignore[no-untyped-def]
    run = run_make(upload_make(operator), operator, status=RunStatus.SENDING)
    with (
        mock.patch("propel_admin.imports.run_control.audit_record", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        run_control.run_pause(run_id=run.pk, user=operator, reason="by hand")
    run.refresh_from_db()
    assert run.status == RunStatus.SENDING
    assert not RunEvent.objects.exists()


@pytest.mark.django_db
def test_automatic_pauses_are_recorded_as_the_system(operator) -> None:  # type: ignore[no-untyped-def]
    run = run_make(upload_make(operator), operator, status=RunStatus.SENDING)
    run_control.run_pause(run_id=run.pk, user=None, reason="5 batches failed in a row")
    event = AuditEvent.objects.get()
    assert (event.action, event.username, event.user_id, event.ip) == (
        "run.pause", "system", None, None,
    )  # fmt: skip
    assert event.detail == "5 batches failed in a row"


@pytest.mark.django_db
def test_reading_the_file_again_is_recorded(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    client.post(
        reverse("imports:upload-list"),
        {"file": SimpleUploadedFile("c.csv", b"Contact ID;Email\n1;a@example.com\n")},
    )
    upload = Upload.objects.get()
    data = {"encoding": "utf-8", "delimiter": ";", "sheet": "", "header_row": "1"}
    client.post(reverse("imports:upload-read-options", args=[upload.pk]), data)
    event = AuditEvent.objects.get(action=actions.UPLOAD_REREAD)
    assert (event.object_type, event.object_id, event.username) == ("upload", upload.pk, "olivia")
    assert "separator ';'" in event.detail
    assert "a@example.com" not in event.detail


@pytest.mark.django_db
def test_export_results_on_the_command_line_is_recorded(operator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = run_make(upload_make(operator), operator)
    call_command("export_results", str(run.pk), "--output", str(tmp_path / "out.csv"),
                 "--reveal-pii", stderr=StringIO())  # fmt: skip
    event, reveal = AuditEvent.objects.order_by("id")
    assert event.action == actions.EXPORT_DOWNLOAD
    assert event.username.endswith("(command line)")
    assert event.user_id is None
    assert event.detail == "results (csv), social security numbers and dates of birth shown"
    assert (reveal.action, reveal.username, reveal.detail) == (
        actions.PII_REVEAL, event.username, "in the results (csv) export",
    )  # fmt: skip


@pytest.mark.django_db
def test_unknown_actions_are_refused(operator) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="unknown audit action"):
        audit_record(user=operator, action="run.explode")
    # The actions built elsewhere exist as constants.
    for code in (actions.RUN_RERUN, actions.ROW_FIX, actions.PII_REVEAL):
        audit_record(user=operator, action=code, obj=("run", 1))
    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db
def test_downloading_the_invalid_rows_is_recorded(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    run = run_make(upload_make(operator), operator, status=RunStatus.VALIDATED)
    client.force_login(operator)
    response = client.get(reverse("runs:run-invalid-download", args=[run.pk, "csv"]))
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert (event.action, event.object_id, event.detail) == (
        actions.EXPORT_DOWNLOAD, run.pk, "invalid rows (csv)",
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
@pytest.mark.services
def test_an_import_sent_and_re_run_leaves_one_trail(  # type: ignore[no-untyped-def]
    client: Client, operator, admin_user, sandbox, run_worker
) -> None:
    """Upload, check, send (one row fails: its company is unknown), export, re-run the
    failed row once the company exists, and an admin shows the row's personal data."""
    client.force_login(operator)
    header = "Contact ID,First name,Email,Company ID,BSN,Date of birth"
    rows = ["7001,Ann,ann@example.com,1,123456782,01/02/1980",
            "7002,Bob,bob@example.com,424242,223456782,15/03/1975"]  # fmt: skip
    content = ("\n".join([header, *rows]) + "\n").encode()
    client.post(reverse("imports:upload-list"), {"file": SimpleUploadedFile("weekly.csv", content)})
    upload = Upload.objects.get()
    client.post(reverse("imports:upload-check", args=[upload.pk]))
    run_worker()
    run = ImportRun.objects.get()
    client.post(reverse("runs:run-start", args=[run.pk]), {"mode": "all"})
    run_worker()
    run.refresh_from_db()
    assert (run.status, run.rows_created, run.rows_failed) == (RunStatus.FINISHED_FAILURES, 1, 1)
    export = client.get(reverse("runs:run-export", args=[run.pk, "failures", "csv"]))
    assert b"".join(export.streaming_content)
    sandbox.add_companies(ids=[424242])
    client.post(reverse("runs:rerun-confirm", args=[run.pk]), {"mapping": "run"})
    run_worker()
    child = ImportRun.objects.get(parent=run)
    assert (child.status, child.rows_created) == (RunStatus.FINISHED, 1)
    client.force_login(admin_user)
    assert client.post(reverse("runs:row-reveal", args=[child.pk, 3])).status_code == 200

    assert _trail() == [
        ("upload.create", "olivia", "upload", upload.pk),
        ("run.check", "olivia", "run", run.pk),
        ("run.start", "olivia", "run", run.pk),
        ("export.download", "olivia", "run", run.pk),
        ("run.rerun", "olivia", "run", run.pk),
        ("run.start", "olivia", "run", child.pk),  # the child run starts by itself
        ("pii.reveal", "ada", "run", child.pk),
    ]
    events = list(AuditEvent.objects.order_by("id"))
    assert events[3].detail == "failures (csv)"
    assert events[4].detail.endswith(f"as run #{child.pk}")
    assert events[6].detail == "row 3: dateOfBirth, ssn"
    for event in events:
        assert not any(value in event.detail for value in PII), event.detail
    page = client.get(reverse("audit:audit-list")).content.decode()  # the admin's page
    assert page.count("weekly.csv") == 2  # the upload and the check name the file
    assert f"as run #{child.pk}" in page
