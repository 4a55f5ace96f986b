"""Enqueueing RQ jobs: ids only, and only once the transaction that made them commits."""

from __future__ import annotations

import logging
from collections.abc import Callable

import django_rq
from django.db import transaction

logger = logging.getLogger(__name__)

JOB_TIMEOUT = 6 * 3600  # a million-row file may take a while; the lease logic guards crashes


def enqueue_on_commit(task: Callable[..., object], *ids: int, queue: str = "default") -> None:
    """Enqueue `task(*ids)` after the current transaction commits (at once outside one)."""
    if not all(isinstance(i, int) for i in ids):
        raise TypeError("RQ jobs carry ids only")

    def send() -> None:
        job = django_rq.get_queue(queue).enqueue(task, *ids, job_timeout=JOB_TIMEOUT)
        logger.info("enqueued %s%s as job %s", task.__name__, ids, job.id)

    transaction.on_commit(send)
