"""manage.py purge: old, idle runs lose their rows and files, keep counts and history."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from propel_admin.audit.models import AuditEvent
from propel_admin.imports import retention, run_control
from propel_admin.imports.models import (
    Batch,
    ContactRow,
    ImportRun,
    RunEvent,
    RunStatus,
    Upload,
)
from propel_admin.imports.result_exports import RUN_PURGED as EXPORT_REFUSED
from tests.factories import CSV, run_make, upload_make
from tests.imports.conftest import stored_files

pytestmark = pytest.mark.django_db


def _purge(*args: str) -> str:
    out = StringIO()
    call_command("purge", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def runs(operator):  # type: ignore[no-untyped-def]
    """An old finished run (5 rows), an old paused one, and a recent one, each its own file."""
    old = run_make(upload_make(operator, age_days=100), operator, age_days=100, rows=5)
    event = RunEvent.objects.create(run=old, user=operator, action="start")
    RunEvent.objects.filter(pk=event.pk).update(at=old.created_at)
    paused = run_make(
        upload_make(operator, age_days=100), operator, age_days=100, status=RunStatus.PAUSED
    )
    recent = run_make(upload_make(operator, age_days=100), operator, age_days=10)
    return old, paused, recent


def test_a_dry_run_counts_and_changes_nothing(runs, media_root: Path) -> None:  # type: ignore[no-untyped-def]
    before = (ContactRow.objects.count(), Batch.objects.count(), len(stored_files(media_root)))
    out = _purge("--older-than", "90", "--dry-run")
    assert out.strip() == (
        f"Would delete (idle for more than 90 days): 1 run (5 rows, 3 batches), "
        f"1 upload ({len(CSV)} bytes of files)"
    )
    assert (ContactRow.objects.count(), Batch.objects.count(), len(stored_files(media_root))) == (
        before
    )
    assert not ImportRun.objects.filter(purged_at__isnull=False).exists()
    assert not Upload.objects.filter(purged_at__isnull=False).exists()
    assert not AuditEvent.objects.exists()


def test_it_deletes_old_rows_and_files_and_keeps_counts_history_and_the_rest(
    runs, media_root: Path
) -> None:  # type: ignore[no-untyped-def]
    old, paused, recent = runs
    audit_before = AuditEvent.objects.create(username="x", action="run.start", object_type="run")
    out = _purge("--older-than", "90")
    assert "Deleted (idle for more than 90 days): 1 run (5 rows, 3 batches), 1 upload" in out

    old.refresh_from_db()
    assert old.purged_at is not None
    assert (old.rows_read, old.rows_created, old.status) == (5, 5, RunStatus.FINISHED)
    assert not ContactRow.objects.filter(run=old).exists()
    assert not Batch.objects.filter(run=old).exists()
    assert RunEvent.objects.filter(run=old).count() == 1
    upload = Upload.objects.get(pk=old.upload_id)
    assert upload.purged_at is not None
    assert (upload.original_name, upload.size, len(upload.sha256)) == ("contacts.csv", len(CSV), 64)
    assert len(stored_files(media_root)) == 2  # the paused run's file and the recent one's

    for kept in (paused, recent):  # active, or touched within the 90 days
        kept.refresh_from_db()
        assert kept.purged_at is None
        assert ContactRow.objects.filter(run=kept).count() == 3
        assert kept.upload.purged_at is None

    assert AuditEvent.objects.filter(pk=audit_before.pk).exists()
    events = AuditEvent.objects.filter(action="purge").order_by("id")
    assert [(e.object_type, e.object_id, e.username) for e in events] == [
        ("run", old.pk, "retention policy"),
        ("upload", upload.pk, "retention policy"),
    ]
    assert events[0].detail.startswith(f"5 rows of run {old.pk} deleted")
    assert _purge("--older-than", "90").startswith("Deleted (idle for more than 90 days): 0 runs")


def test_a_recent_event_keeps_an_old_run(operator) -> None:  # type: ignore[no-untyped-def]
    run = run_make(upload_make(operator, age_days=100), operator, age_days=100)
    RunEvent.objects.create(run=run, user=operator, action="resume")  # today
    _purge("--older-than", "90")
    run.refresh_from_db()
    assert run.purged_at is None
    assert ContactRow.objects.filter(run=run).count() == 3


def test_rows_are_deleted_in_chunks(operator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(retention, "CHUNK", 4)
    run = run_make(upload_make(operator, age_days=100), operator, age_days=100, rows=11)
    statements: list[str] = []
    from django.db import connection

    with connection.execute_wrapper(
        lambda execute, sql, *a: statements.append(sql) or execute(sql, *a)
    ):
        totals = retention.purge(days=90)
    assert (totals.runs, totals.rows) == (1, 11)
    row_deletes = [s for s in statements if s.startswith("DELETE FROM imports_contactrow")]
    assert len(row_deletes) == 3  # 4 + 4 + 3
    assert not ContactRow.objects.filter(run=run).exists()


def test_a_purge_stopped_half_way_is_finished_next_time(operator) -> None:  # type: ignore[no-untyped-def]
    run = run_make(upload_make(operator, age_days=100), operator, age_days=100)
    assert retention.run_mark_purged(run_id=run.pk, days=90)  # then the process died
    assert ContactRow.objects.filter(run=run).exists()
    assert "3 rows" in _purge("--older-than", "90", "--dry-run")
    _purge("--older-than", "90")
    assert not ContactRow.objects.filter(run=run).exists()
    assert AuditEvent.objects.filter(action="purge", object_type="run").count() == 1


def test_too_few_days_are_refused_with_exit_2(runs) -> None:  # type: ignore[no-untyped-def]
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("purge", "--older-than", "0", stdout=StringIO(), stderr=err)
    assert exit_info.value.code == 2
    assert err.getvalue().strip() == (
        "purge: --older-than must be a whole number of days, at least 1 (got 0)"
    )
    assert not ImportRun.objects.filter(purged_at__isnull=False).exists()


def test_the_default_is_retention_days(runs, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETENTION_DAYS = 5
    assert "2 runs" in _purge("--dry-run")  # the old one and the one of 10 days ago


def test_pages_of_a_purged_run_say_so_and_refuse_exports_and_sending(
    client: Client, operator
) -> None:  # type: ignore[no-untyped-def]
    run = run_make(upload_make(operator, age_days=100), operator, age_days=100)
    checked = run_make(run.upload, operator, age_days=100, status=RunStatus.VALIDATED)
    retention.purge(days=90)
    run.refresh_from_db()
    client.force_login(operator)
    notice = f"Rows deleted on {run.purged_at:%d %b %Y} by the retention policy"
    assert notice in client.get(reverse("runs:run-detail", args=[run.pk])).content.decode()
    rows_page = client.get(reverse("runs:run-rows", args=[run.pk])).content.decode()
    assert notice in rows_page
    assert "No row matches" not in rows_page
    row = client.get(reverse("runs:run-row", args=[run.pk, 2]))
    assert row.status_code == 302
    export = client.get(reverse("runs:run-export", args=[run.pk, "results", "csv"]), follow=True)
    assert EXPORT_REFUSED.split(",")[0].format(date=f"{run.purged_at:%d %b %Y}") in (
        export.content.decode()
    )
    assert not AuditEvent.objects.filter(action="export.download").exists()
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("export_results", str(run.pk), stdout=StringIO(), stderr=err)
    assert "retention policy" in err.getvalue()
    with pytest.raises(run_control.RunNotStartable, match="retention policy"):
        run_control.run_start(run_id=checked.pk, user=operator)
    upload_page = client.get(reverse("imports:upload-detail", args=[run.upload_id]))
    assert "The file was deleted on" in upload_page.content.decode()
    assert 'id="check-button"' not in upload_page.content.decode()
    assert "Read again" not in upload_page.content.decode()
    check = client.post(reverse("imports:upload-check", args=[run.upload_id]), follow=True)
    assert "upload it again" in check.content.decode()
    assert ImportRun.objects.count() == 2


def test_a_newer_re_run_keeps_its_rows_when_its_parent_is_purged(operator) -> None:  # type: ignore[no-untyped-def]
    parent = run_make(upload_make(operator, age_days=100), operator, age_days=100)
    child = run_make(parent.upload, operator, age_days=1)
    ImportRun.objects.filter(pk=child.pk).update(parent=parent)
    for parent_row, child_row in zip(
        ContactRow.objects.filter(run=parent).order_by("row_number"),
        ContactRow.objects.filter(run=child).order_by("row_number"),
        strict=True,
    ):
        ContactRow.objects.filter(pk=child_row.pk).update(retry_of=parent_row)
    retention.purge(days=90)
    parent.refresh_from_db()
    assert parent.purged_at is not None
    assert not ContactRow.objects.filter(run=parent).exists()
    assert ContactRow.objects.filter(run=child, retry_of__isnull=True).count() == 3
    assert Upload.objects.get(pk=parent.upload_id).purged_at is None  # the re-run is recent
