"""The RQ jobs of a run, with ids derived from the database rows they work on.

A deterministic job id lets the reconciler ask RQ whether a batch's or a run's job is
still alive, and makes enqueueing the same batch twice harmless (the claim decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import django_rq

ENQUEUE_CHUNK = 1000


def batch_job_id(batch_id: int) -> str:
    return f"batch-{batch_id}"


def plan_job_id(run_id: int) -> str:
    return f"run-plan-{run_id}"


def enqueue_batches(batch_ids: Sequence[int]) -> None:
    """One job per batch, sent to Redis a thousand at a time."""
    from propel_admin.imports.tasks import batch_send_task  # tasks imports the services

    queue = django_rq.get_queue("default")
    jobs = [queue.prepare_data(batch_send_task, (i,), job_id=batch_job_id(i)) for i in batch_ids]
    for start in range(0, len(jobs), ENQUEUE_CHUNK):
        queue.enqueue_many(jobs[start : start + ENQUEUE_CHUNK])


def enqueue_batch_later(batch_id: int, delay: float) -> None:
    from propel_admin.imports.tasks import batch_send_task

    queue = django_rq.get_queue("default")
    queue.enqueue_in(
        timedelta(seconds=delay), batch_send_task, batch_id, job_id=batch_job_id(batch_id)
    )


def enqueue_plan(run_id: int) -> None:
    from propel_admin.imports.tasks import run_plan_task

    django_rq.get_queue("default").enqueue(run_plan_task, run_id, job_id=plan_job_id(run_id))


def rerun_stage_job_id(run_id: int) -> str:
    return f"rerun-stage-{run_id}"


def enqueue_rerun_stage(run_id: int) -> None:
    """The job that copies a re-run's rows, checks them and starts sending."""
    from propel_admin.imports.tasks import rerun_stage_task

    django_rq.get_queue("default").enqueue(
        rerun_stage_task, run_id, job_id=rerun_stage_job_id(run_id)
    )
