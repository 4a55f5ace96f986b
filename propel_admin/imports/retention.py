"""The retention policy: delete stored files and staged rows of runs idle for too long.

Kept: ImportRun with its counters, RunEvent, the audit trail, and the Upload row with its
name, size and sha256. Deleted: the uploaded file on disk, ContactRow and Batch rows.
Each run is marked first (purged_at and one `purge` audit event, in one transaction),
then its rows are deleted CHUNK at a time, each chunk in its own short transaction, so a
million rows are never one transaction nor in memory. A purge that stops half-way is
finished by the next one (marked runs that still have rows are taken up again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from propel_admin.audit.actions import PURGE
from propel_admin.audit.services import audit_record
from propel_admin.imports.models import (
    CHECKING,
    SEND_ACTIVE,
    Batch,
    ContactRow,
    ImportRun,
    RunEvent,
    Upload,
)
from propel_admin.imports.staging import retries_unlink
from propel_admin.imports.uploading import human_size

logger = logging.getLogger(__name__)

CHUNK = 5000  # rows deleted per transaction
ACTIVE = frozenset(CHECKING | SEND_ACTIVE)  # queued, validating, starting, sending, paused
ACTOR = "retention policy"


@dataclass
class PurgeTotals:
    runs: int = 0
    uploads: int = 0
    rows: int = 0
    batches: int = 0
    bytes: int = 0

    def summary(self) -> str:
        return (
            f"{self.runs} run{'s' * (self.runs != 1)} ({self.rows} rows, "
            f"{self.batches} batches), {self.uploads} upload{'s' * (self.uploads != 1)} "
            f"({human_size(self.bytes)} of files)"
        )


def _cutoff(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


def runs_to_purge(*, days: int) -> QuerySet[ImportRun]:
    """Runs not active and not marked, whose last activity is older than `days` days."""
    cutoff = _cutoff(days)
    recent_event = RunEvent.objects.filter(run=OuterRef("pk"), at__gte=cutoff)
    # The latest of a run's own timestamps: each stage ends after the one before it.
    last = Coalesce("send_finished_at", "send_started_at", "finished_at", "created_at")
    return (
        ImportRun.objects.filter(purged_at__isnull=True, created_at__lt=cutoff)
        .exclude(status__in=ACTIVE)
        .alias(last_activity=last)
        .filter(last_activity__lt=cutoff)
        .exclude(Exists(recent_event))
        .order_by("id")
    )


def runs_unfinished() -> QuerySet[ImportRun]:
    """Runs marked purged that still have rows or batches (a purge stopped half-way)."""
    rows = ContactRow.objects.filter(run=OuterRef("pk"))
    batches = Batch.objects.filter(run=OuterRef("pk"))
    return ImportRun.objects.filter(purged_at__isnull=False).filter(Exists(rows) | Exists(batches))


def uploads_to_purge(*, days: int, runs: QuerySet[ImportRun] | None = None) -> QuerySet[Upload]:
    """Uploads older than `days` whose every run is purged or about to be (`runs`)."""
    cutoff = _cutoff(days)
    kept_runs = ImportRun.objects.filter(upload=OuterRef("pk"), purged_at__isnull=True)
    if runs is not None:
        kept_runs = kept_runs.exclude(pk__in=runs.values("pk"))
    return (
        Upload.objects.filter(purged_at__isnull=True, created_at__lt=cutoff)
        .exclude(Exists(kept_runs))
        .order_by("id")
    )


def purge_preview(*, days: int) -> PurgeTotals:
    """What purge(days) would delete, counted; nothing is changed."""
    runs = runs_to_purge(days=days)
    pending = ImportRun.objects.filter(Q(pk__in=runs.values("pk")) | Q(pk__in=runs_unfinished()))
    uploads = uploads_to_purge(days=days, runs=runs)
    run_ids = pending.values("pk")
    return PurgeTotals(
        runs=runs.count(),
        uploads=uploads.count(),
        rows=ContactRow.objects.filter(run_id__in=run_ids).count(),
        batches=Batch.objects.filter(run_id__in=run_ids).count(),
        bytes=sum(uploads.values_list("size", flat=True)),
    )


def purge(*, days: int) -> PurgeTotals:
    """Delete what the policy says (see the module's docstring); the totals deleted."""
    totals = PurgeTotals()
    for run_id in list(runs_to_purge(days=days).values_list("pk", flat=True)):
        if run_mark_purged(run_id=run_id, days=days):
            totals.runs += 1
    for run_id in list(runs_unfinished().values_list("pk", flat=True)):
        rows, batches = run_rows_delete(run_id=run_id)
        totals.rows += rows
        totals.batches += batches
    for upload_id in list(uploads_to_purge(days=days).values_list("pk", flat=True)):
        size = upload_purge(upload_id=upload_id)
        if size is not None:
            totals.uploads += 1
            totals.bytes += size
    uploads_files_delete()
    logger.info("purge (older than %d days): %s", days, totals.summary())
    return totals


def run_mark_purged(*, run_id: int, days: int) -> bool:
    """Mark one run purged, with its audit event; False if it became active meanwhile."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.purged_at is not None or run.status in ACTIVE:
            return False
        if not runs_to_purge(days=days).filter(pk=run_id).exists():
            return False  # someone touched it since the candidates were listed
        rows = ContactRow.objects.filter(run_id=run_id).count()
        run.purged_at = timezone.now()
        run.save(update_fields=["purged_at"])
        detail = f"{rows} rows of run {run_id} deleted; idle for more than {days} days"
        audit_record(user=None, username=ACTOR, action=PURGE, obj=run, detail=detail)
    return True


def run_rows_delete(*, run_id: int) -> tuple[int, int]:
    """Delete a marked run's rows, then its batches, CHUNK at a time. The counts deleted."""
    retries_unlink(run_id=run_id)
    rows = _delete_chunks(ContactRow._meta.db_table, run_id, "row_number")
    batches = _delete_chunks(Batch._meta.db_table, run_id, "number")
    return rows, batches


def _delete_chunks(table: str, run_id: int, order: str) -> int:
    """DELETE … WHERE id IN (the next CHUNK ids of the run), one transaction each."""
    sql = (
        f"DELETE FROM {table} WHERE id IN "  # noqa: S608 (table names from _meta)
        f"(SELECT id FROM {table} WHERE run_id = %s ORDER BY {order} LIMIT %s)"
    )
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [run_id, CHUNK])
            count = cursor.rowcount
        deleted += count
        if count < CHUNK:
            return deleted


def upload_purge(*, upload_id: int) -> int | None:
    """Mark an upload purged with its audit event, then delete its file; its size, or None."""
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload_id)
        if upload.purged_at is not None:
            return None
        if ImportRun.objects.filter(upload=upload, purged_at__isnull=True).exists():
            return None  # a new check of it started since the candidates were listed
        upload.purged_at = timezone.now()
        upload.save(update_fields=["purged_at"])
        detail = f"file of upload {upload.pk} deleted ({human_size(upload.size)})"
        audit_record(user=None, username=ACTOR, action=PURGE, obj=upload, detail=detail)
    _file_delete(upload)
    return upload.size


def uploads_files_delete() -> None:
    """Delete the files of uploads marked purged whose file is still there (a stopped purge)."""
    for upload in Upload.objects.filter(purged_at__isnull=False).exclude(file=""):
        _file_delete(upload)


def _file_delete(upload: Upload) -> None:
    if upload.file.name:
        upload.file.storage.delete(upload.file.name)  # no error when it is gone already
    Upload.objects.filter(pk=upload.pk).update(file="")
