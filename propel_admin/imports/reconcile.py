"""The reconciler: the database is the record, Redis only carries work.

It queues again what a crash or an emptied Redis left behind: batches whose lease ran
out, waiting batches whose job vanished, runs stuck planning; it resumes runs whose
cool-off is over and closes runs with no batch left. Safe to run anywhere, any number
of times (claims are atomic).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import django_rq
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from propel_admin.imports import jobs, run_control
from propel_admin.imports.models import (
    Batch,
    BatchStatus,
    ContactRow,
    ImportRun,
    RowStatus,
    RunStatus,
)

logger = logging.getLogger(__name__)

ALIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
# A pending batch is, by the database's word, being sent by no one: a job RQ still calls
# "started" either claims it within moments (a second job is then a no-op) or died with
# its worker, which RQ notices only after its heartbeat TTL and a maintenance pass.
BATCH_ALIVE = ALIVE - {JobStatus.STARTED}
MAX_CHECKS = 5000


@dataclass
class Report:
    expired: int = 0
    requeued: int = 0
    replanned: int = 0
    resumed: int = 0
    restaged: int = 0


def reconcile() -> Report:
    report = Report()
    report.expired = _expire_leases()
    report.requeued = _requeue_lost_batches()
    report.replanned = _replan_stuck_runs()
    report.resumed = _resume_cooled_off_runs()
    report.restaged = _restage_stuck_reruns()
    for run_id in ImportRun.objects.filter(status=RunStatus.SENDING).values_list("pk", flat=True):
        run_control.run_finish_if_done(run_id=run_id)
    ImportRun.objects.filter(rate_limited_until__lt=timezone.now()).update(rate_limited_until=None)
    if report.expired or report.requeued or report.replanned or report.resumed or report.restaged:
        logger.info("reconciled: %s", report)
    return report


def _expire_leases() -> int:
    """Batches whose worker died (lease over) are given back, their rows too."""
    now = timezone.now()
    expired = list(
        Batch.objects.filter(status=BatchStatus.SENDING, lease_until__lt=now).values_list(
            "pk", flat=True
        )
    )
    for batch_id in expired:
        with transaction.atomic():
            freed = Batch.objects.filter(
                pk=batch_id, status=BatchStatus.SENDING, lease_until__lt=now
            ).update(status=BatchStatus.PENDING, claim="", lease_until=None, not_before=None)
            if freed:
                ContactRow.objects.filter(batch_id=batch_id, status=RowStatus.SENDING).update(
                    status=RowStatus.PENDING
                )
    return len(expired)


def _requeue_lost_batches() -> int:
    """Waiting, due batches of sending runs whose RQ job is gone (Redis emptied, ...)."""
    now = timezone.now()
    due = Batch.objects.filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now),
        status=BatchStatus.PENDING,
        run__status=RunStatus.SENDING,
    ).values_list("pk", flat=True)[:MAX_CHECKS]
    connection = django_rq.get_connection("default")
    lost = [
        batch_id
        for batch_id in due
        if not _job_alive(connection, jobs.batch_job_id(batch_id), alive=BATCH_ALIVE)
    ]
    jobs.enqueue_batches(lost)
    return len(lost)


def _job_alive(connection: object, job_id: str, alive: set[JobStatus] = ALIVE) -> bool:
    try:
        job = Job.fetch(job_id, connection=connection)  # type: ignore[arg-type]
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in alive


def _replan_stuck_runs() -> int:
    """Runs left in "starting" whose planning job is gone."""
    connection = django_rq.get_connection("default")
    count = 0
    for run_id in ImportRun.objects.filter(status=RunStatus.STARTING).values_list("pk", flat=True):
        if not _job_alive(connection, jobs.plan_job_id(run_id)):
            jobs.enqueue_plan(run_id)
            count += 1
    return count


def _resume_cooled_off_runs() -> int:
    due = ImportRun.objects.filter(status=RunStatus.PAUSED, resume_at__lte=timezone.now())
    return sum(
        run_control.run_resume(run_id=pk, user=None) for pk in due.values_list("pk", flat=True)
    )


def _restage_stuck_reruns() -> int:
    """Re-runs still being prepared whose job is gone (it starts over, copying the rows)."""
    connection = django_rq.get_connection("default")
    stuck = ImportRun.objects.filter(
        parent__isnull=False, status__in=[RunStatus.QUEUED, RunStatus.VALIDATING]
    ).values_list("pk", flat=True)
    count = 0
    for run_id in stuck:
        if not _job_alive(connection, jobs.rerun_stage_job_id(run_id)):
            jobs.enqueue_rerun_stage(run_id)
            count += 1
    return count
