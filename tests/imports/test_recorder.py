"""PropelWorker's background writes: a batch job returns once its HTTP call is answered,
its outcome is written on the recorder's thread, and everything is written by the end."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from django.db import connection, transaction
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
BULK = "/v2/contacts/bulk/id"


def _planned_batch(client: Client, run_worker, operator, rows: int = 5) -> Batch:  # type: ignore[no-untyped-def]
    """The run's first batch, planned but not sent (no worker runs the batch jobs)."""
    client.force_login(operator)
    lines = [f"{500 + i},Name {i},n{i}@example.com,1" for i in range(rows)]
    run = checked_run(client, run_worker, lines, HEADER)
    run_control.run_start(run_id=run.pk, user=operator)
    run_control.run_plan(run_id=run.pk)  # the batch is made here; no worker sends it
    return Batch.objects.filter(run=run).order_by("number").first()  # type: ignore[return-value]


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


# --- Chains: one job sends the run's next batches, claiming each during the previous call --
def _planned_batches(client: Client, run_worker, operator, settings) -> list[Batch]:  # type: ignore[no-untyped-def]
    settings.PROPELLER_BATCH_SIZE = 5
    batch = _planned_batch(client, run_worker, operator, rows=15)
    return list(Batch.objects.filter(run_id=batch.run_id).order_by("number"))


def test_one_job_sends_the_runs_next_batches_and_their_own_jobs_find_nothing_to_do(
    client: Client,
    operator,
    sandbox,
    run_worker,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    first, _second, third = _planned_batches(client, run_worker, operator, settings)
    with recording_in_background():
        batch_sending.batch_send(batch_id=first.pk)
    run = ImportRun.objects.get(pk=first.run_id)
    assert (run.status, run.rows_created) == (RunStatus.FINISHED, 15)
    assert (
        list(Batch.objects.filter(run=run).values_list("status", "attempts"))
        == [(BatchStatus.DONE, 1)] * 3
    )
    assert sandbox.stats()["requests"][BULK] == {"200": 3}  # one call per batch
    batch_sending.batch_send(batch_id=third.pk)  # its own job, later: claimed already
    assert Batch.objects.get(pk=third.pk).attempts == 1


@pytest.mark.parametrize("action", ["pause", "cancel"])
def test_a_batch_claimed_ahead_is_not_sent_once_the_run_stops(
    client: Client,
    operator,
    sandbox,
    run_worker,
    settings,
    monkeypatch,
    action,  # type: ignore[no-untyped-def]
) -> None:
    first, second, _third = _planned_batches(client, run_worker, operator, settings)
    claim_next = batch_sending._claim_next

    def claim_then_stop(run_id: int):  # type: ignore[no-untyped-def]
        claimed = claim_next(run_id)  # the next batch, while the first one is on its way
        if action == "pause":
            run_control.run_pause(run_id=run_id, user=operator, reason="lunch")
        else:
            run_control.run_cancel(run_id=run_id, user=operator)
        return claimed

    monkeypatch.setattr(batch_sending, "_claim_next", claim_then_stop)
    with recording_in_background():
        batch_sending.batch_send(batch_id=first.pk)
    batches = {b.pk: b for b in Batch.objects.filter(run_id=first.run_id)}
    assert batches[first.pk].status == BatchStatus.DONE  # already on its way: finished
    given_back = batches[second.pk]
    rows = ContactRow.objects.filter(batch=given_back)
    assert (given_back.claim, given_back.attempts) == ("", 0)  # as if never claimed
    assert set(rows.values_list("attempts", flat=True)) == {0}
    if action == "pause":
        assert given_back.status == BatchStatus.PENDING
        assert set(rows.values_list("status", flat=True)) == {RowStatus.PENDING}
    else:
        assert given_back.status == BatchStatus.CANCELLED
        assert set(rows.values_list("status", flat=True)) == {RowStatus.CANCELLED}
        assert ImportRun.objects.get(pk=first.run_id).rows_cancelled == 10
    assert sandbox.stats()["requests"][BULK] == {"200": 1}


def test_two_claims_of_one_batch_at_once_give_it_to_one(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    """Chains of several workers reach for the same free batch. On PostgreSQL a claim
    written as UPDATE ... WHERE id IN (SELECT ...) let the second one win too after
    waiting for the first one's lock (make test-services runs this on PostgreSQL)."""
    batch = _planned_batch(client, run_worker, operator)
    found: dict[str, str | None] = {}

    def second_claim() -> None:
        try:
            found["second"] = batch_sending._claim(batch.pk)
        finally:
            connection.close()

    with transaction.atomic():  # the first claim holds its lock until this block ends
        found["first"] = batch_sending._claim(batch.pk)
        other = threading.Thread(target=second_claim)
        other.start()
        time.sleep(0.5)  # the second claim is waiting for the lock by now
    other.join(timeout=30)
    assert found["first"] is not None
    assert found["second"] is None
    assert Batch.objects.get(pk=batch.pk).attempts == 1
