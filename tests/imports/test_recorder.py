"""PropelWorker's background writes: a batch job returns once its HTTP call is answered,
its outcome is written on the recorder's thread, and everything is written by the end."""

from __future__ import annotations

import logging
import threading

import pytest
from django.test import Client

from propel_admin.imports import batch_sending, run_control
from propel_admin.imports.models import (
    Batch,
    BatchStatus,
    ContactRow,
    ImportRun,
    RowStatus,
    RunStatus,
)
from propel_admin.imports.recorder import recording_in_background
from tests.imports.conftest import checked_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

HEADER = "Contact ID,First name,Email,Company ID"


def _planned_batch(client: Client, run_worker, operator) -> Batch:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    rows = [f"{500 + i},Name {i},n{i}@example.com,1" for i in range(5)]
    run = checked_run(client, run_worker, rows, HEADER)
    run_control.run_start(run_id=run.pk, user=operator)
    run_control.run_plan(run_id=run.pk)  # the batch is made here; no worker sends it
    return Batch.objects.get(run=run)


def test_the_job_returns_before_its_outcome_is_written_and_leaving_writes_it(
    client: Client,
    operator,
    sandbox,
    run_worker,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    batch = _planned_batch(client, run_worker, operator)
    job_returned = threading.Event()
    record = batch_sending._record

    def record_after_the_job(*args):  # type: ignore[no-untyped-def]
        job_returned.wait(timeout=10)  # inline, this would hold the job for 10 s
        record(*args)

    monkeypatch.setattr(batch_sending, "_record", record_after_the_job)
    with recording_in_background():
        batch_sending.batch_send(batch_id=batch.pk)
        batch.refresh_from_db()
        assert batch.status == BatchStatus.SENDING  # answered, not yet written
        job_returned.set()
    batch.refresh_from_db()
    run = ImportRun.objects.get(pk=batch.run_id)
    assert batch.status == BatchStatus.DONE
    assert (run.status, run.rows_created) == (RunStatus.FINISHED, 5)
    assert set(ContactRow.objects.filter(run=run).values_list("status", flat=True)) == {
        RowStatus.CREATED
    }


def test_a_failed_background_write_gives_the_batch_back_and_is_logged(
    client: Client,
    operator,
    sandbox,
    run_worker,
    monkeypatch,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    batch = _planned_batch(client, run_worker, operator)

    def broken_record(*args):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr(batch_sending, "_record", broken_record)
    with caplog.at_level(logging.ERROR), recording_in_background():
        batch_sending.batch_send(batch_id=batch.pk)  # the job itself does not fail
    batch.refresh_from_db()
    assert (batch.status, batch.claim) == (BatchStatus.PENDING, "")  # sent again later
    rows = ContactRow.objects.filter(run_id=batch.run_id)
    assert set(rows.values_list("status", flat=True)) == {RowStatus.PENDING}
    assert "writing a batch's outcome failed" in caplog.text
