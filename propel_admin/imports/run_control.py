"""Starting, planning, pausing, resuming, cancelling and finishing a run (services)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from propel_admin.audit.actions import RUN_EVENT_ACTIONS
from propel_admin.audit.services import audit_record
from propel_admin.imports import jobs
from propel_admin.imports.models import (
    SEND_ACTIVE,
    SEND_DONE,
    Batch,
    BatchStatus,
    ContactRow,
    ImportRun,
    RowStatus,
    RunEvent,
    RunStatus,
)

logger = logging.getLogger(__name__)

NOT_CHECKED = "Check the rows first: only a finished check can be sent."
RUN_PURGED = (
    "The rows of this run were deleted on {date} by the retention policy: "
    "upload the file again to send it."
)
NOTHING_TO_SEND = "No row is ready to send: every row has a problem."
CANARY_DONE = "The first {count} rows were sent as a trial. Check them, then continue or cancel."
PLAN_CHUNK = 500  # batches written per transaction while planning


class RunNotStartable(ValueError):
    """The run cannot be started; the message says why."""


def _event(run_id: int, user: User | None, action: str, detail: str = "") -> None:
    """The run page's timeline entry and the audit trail's, in the caller's transaction."""
    RunEvent.objects.create(run_id=run_id, user=user, action=action, detail=detail[:500])
    audit_record(user=user, action=RUN_EVENT_ACTIONS[action], obj=("run", run_id), detail=detail)


def run_start(*, run_id: int, user: User, canary: int | None = None) -> ImportRun:
    """Start sending a checked run. Starting twice (double click, two tabs) starts it once."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status in SEND_ACTIVE or run.status in SEND_DONE:
            return run
        if run.purged_at is not None:
            raise RunNotStartable(RUN_PURGED.format(date=run.purged_at.strftime("%d %b %Y")))
        if run.status != RunStatus.VALIDATED:
            raise RunNotStartable(NOT_CHECKED)
        if run.rows_valid == 0:
            raise RunNotStartable(NOTHING_TO_SEND)
        run.status = RunStatus.STARTING
        run.send_started_by = user
        run.send_started_at = timezone.now()
        run.api_url = settings.PROPELLER_API_URL
        run.batch_size = settings.PROPELLER_BATCH_SIZE
        run.canary_size = canary if canary and canary < run.rows_valid else None
        run.rows_to_send = run.rows_valid
        run.save()
        detail = f"trial of {run.canary_size} rows first" if run.canary_size else "all valid rows"
        _event(run.pk, user, "start", f"{detail}, to {run.api_url}")
        _enqueue_plan_on_commit(run.pk)
    return run


def _enqueue_plan_on_commit(run_id: int) -> None:
    transaction.on_commit(lambda: jobs.enqueue_plan(run_id))


def run_plan(*, run_id: int) -> None:
    """Group the run's unplanned ready rows into batches and queue one job per batch.

    Safe to repeat after a crash, and to run twice at once: each chunk of batches is made
    under a lock on the run, from the rows that still have no batch at that moment, so two
    planners share the work instead of planning the same rows twice.
    """
    planned, after = 0, 0
    while made := _plan_chunk(run_id, after):
        count, after = made
        planned += count
    with transaction.atomic():
        changed = ImportRun.objects.filter(pk=run_id, status=RunStatus.STARTING).update(
            status=RunStatus.SENDING
        )
        if changed:
            transaction.on_commit(lambda: batches_enqueue(run_id=run_id))
    logger.info("run %s planned: %d batches", run_id, planned)
    if not planned:
        run_finish_if_done(run_id=run_id)


def _plan_chunk(run_id: int, after: int) -> tuple[int, int] | None:
    """Up to PLAN_CHUNK batches of the rows still unplanned: how many were made and the last
    row planned, or None when none was left. Rows are planned in file order, so every row
    up to `after` (the last row of this planner's previous chunk) has a batch already."""
    with transaction.atomic():
        # The lock: PostgreSQL waits here; on SQLite the transaction itself is exclusive.
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.STARTING:
            return None
        size = run.batch_size or settings.PROPELLER_BATCH_SIZE
        limit = _canary_limit(run)
        take = size * PLAN_CHUNK if limit is None else min(limit, size * PLAN_CHUNK)
        numbers = list(
            ContactRow.objects.filter(
                run=run, status=RowStatus.PENDING, batch__isnull=True, row_number__gt=after
            )
            .order_by("row_number")
            .values_list("row_number", flat=True)[:take]
        )
        next_number = (Batch.objects.filter(run=run).aggregate(n=Max("number"))["n"] or 0) + 1
        spans = [numbers[i : i + size] for i in range(0, len(numbers), size)]
        for offset, span in enumerate(spans):
            batch = Batch.objects.create(run=run, number=next_number + offset, rows=len(span))
            ContactRow.objects.filter(
                run=run, status=RowStatus.PENDING, batch__isnull=True,
                row_number__gte=span[0], row_number__lte=span[-1],
            ).update(batch=batch)  # fmt: skip
        return (len(spans), numbers[-1]) if numbers else None


def _canary_limit(run: ImportRun) -> int | None:
    """How many more rows the trial may send, or None when there is no trial (any more)."""
    if not run.canary_size:
        return None
    planned = ContactRow.objects.filter(run=run, batch__isnull=False).count()
    return max(run.canary_size - planned, 0)


def batches_enqueue(*, run_id: int, only_due: bool = True) -> int:
    """Queue a job for each waiting batch of a sending run (ids only)."""
    now = timezone.now()
    waiting = Batch.objects.filter(run_id=run_id, status=BatchStatus.PENDING)
    if only_due:
        waiting = waiting.filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
    ids = list(waiting.order_by("number").values_list("id", flat=True))
    jobs.enqueue_batches(ids)
    return len(ids)


def run_pause(
    *, run_id: int, user: User | None, reason: str, resume_in: float | None = None
) -> bool:
    """Stop taking new batches; in-flight batches finish. False if the run is not sending."""
    resume_at = timezone.now() + timedelta(seconds=resume_in) if resume_in else None
    with transaction.atomic():
        changed = ImportRun.objects.filter(
            pk=run_id, status__in=[RunStatus.SENDING, RunStatus.STARTING]
        ).update(status=RunStatus.PAUSED, paused_reason=reason[:500], resume_at=resume_at)
        if changed:
            _event(run_id, user, "pause", reason)
    return bool(changed)


def run_resume(*, run_id: int, user: User | None) -> bool:
    """Carry on sending (after a pause, or after a trial: then the other rows are planned)."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.PAUSED:
            return False
        unplanned = ContactRow.objects.filter(
            run=run, status=RowStatus.PENDING, batch__isnull=True
        ).exists()
        run.status = RunStatus.STARTING if unplanned else RunStatus.SENDING
        if unplanned:
            run.canary_size = None  # the trial is over: send the rest
        run.paused_reason = ""
        run.resume_at = None
        run.consecutive_failures = 0
        run.save()
        _event(run.pk, user, "resume", "" if user else "after the cool-off")
        if unplanned:
            _enqueue_plan_on_commit(run.pk)
        else:
            # Resume means now: batches still waiting out a backoff would refuse their job.
            Batch.objects.filter(run=run, status=BatchStatus.PENDING).update(not_before=None)
            transaction.on_commit(lambda: batches_enqueue(run_id=run.pk, only_due=False))
    return True


def run_cancel(*, run_id: int, user: User) -> bool:
    """Cancel the rows not yet sent; batches already on their way still finish."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status not in SEND_ACTIVE:
            return False
        waiting = ContactRow.objects.filter(run=run, status=RowStatus.PENDING)
        count = waiting.update(status=RowStatus.CANCELLED)
        Batch.objects.filter(run=run, status=BatchStatus.PENDING).update(
            status=BatchStatus.CANCELLED
        )
        run.status = RunStatus.CANCELLED
        run.rows_cancelled = F("rows_cancelled") + count
        run.send_finished_at = timezone.now()
        run.save()
        _event(run.pk, user, "cancel", f"{count} rows not sent")
    return True


def run_finish_if_done(*, run_id: int) -> None:
    """Close a sending run once no batch is left, or pause it after its trial."""
    unfinished = [BatchStatus.PENDING, BatchStatus.SENDING]
    if Batch.objects.filter(run_id=run_id, status__in=unfinished).exists():
        return  # the common case, answered without taking a write lock
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.SENDING:
            return
        if Batch.objects.filter(
            run=run, status__in=[BatchStatus.PENDING, BatchStatus.SENDING]
        ).exists():
            return
        unplanned = ContactRow.objects.filter(run=run, status=RowStatus.PENDING, batch__isnull=True)
        if run.canary_size and unplanned.exists():
            run.status = RunStatus.PAUSED
            run.paused_reason = CANARY_DONE.format(count=run.canary_size)
            run.save(update_fields=["status", "paused_reason"])
            _event(run.pk, None, "pause", run.paused_reason)
            return
        run.status = RunStatus.FINISHED_FAILURES if run.rows_failed else RunStatus.FINISHED
        run.send_finished_at = timezone.now()
        run.rate_limited_until = None
        run.save(update_fields=["status", "send_finished_at", "rate_limited_until"])
    logger.info("run %s finished: %s", run_id, run.status)
