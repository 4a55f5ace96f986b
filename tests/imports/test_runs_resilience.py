"""Sending runs with real worker processes: many workers, faults, crashes, an emptied Redis.

Workers are `manage.py rqworker` processes on the test database and Redis, talking to the
sandbox over loopback HTTP. The database is the record: every test ends by checking that
each row has exactly one outcome, that the counters add up, and that the sandbox holds
every sent contact exactly as it was mapped.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from rq import Worker

from propel_admin.core import embedded_redis
from propel_admin.imports import batch_sending, reconcile, run_control
from propel_admin.imports.models import (
    Batch,
    BatchStatus,
    ContactRow,
    ImportRun,
    RowStatus,
    RunEvent,
    RunStatus,
)
from propel_admin.sandbox.faults import FaultConfig
from propel_admin.sandbox.server import SandboxServer
from tests.imports.conftest import checked_run
from tests.imports.processes import Processes, child_env, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.services,
    pytest.mark.slow,
]

HEADER = "Contact ID,First name,Last name,Email,Company ID"
UNKNOWN_PARENT = "Parent resource [Company] with id [999999] not found"
SENT = (RowStatus.CREATED, RowStatus.UPDATED, RowStatus.FAILED)


# --- fixtures and helpers -------------------------------------------------------------
@pytest.fixture
def processes(
    sandbox: SandboxServer, media_root: Path, redis_conn: redis.Redis, tmp_path: Path
) -> Iterator[Processes]:
    """Start worker/reconciler processes; every one is stopped however the test ends."""
    env = child_env(sandbox=sandbox, media_root=media_root, redis_url=django_settings.REDIS_URL)
    children = Processes(env, tmp_path / "logs")
    try:
        yield children
    finally:
        children.stop_all()


class PrivateRedis:
    """A redis-server only this test uses, so it can be stopped and restarted empty."""

    def __init__(self) -> None:
        # Short path: unix socket paths are limited to about 100 characters.
        self.directory = Path(tempfile.mkdtemp(prefix="propel-rr-"))
        self.socket = self.directory / "redis.sock"
        self.url = f"unix://{self.socket}?db=0"
        self.process = embedded_redis.start(self.socket, persist=False)

    def restart_empty(self, down_for: float) -> None:
        embedded_redis.stop(self.process)
        time.sleep(down_for)
        self.process = embedded_redis.start(self.socket, persist=False)

    def close(self) -> None:
        embedded_redis.stop(self.process)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def private_redis(settings) -> Iterator[PrivateRedis]:
    """A private Redis; this process's django-rq and token cache use it too."""
    server = PrivateRedis()
    try:
        settings.REDIS_URL = server.url
        settings.RQ_QUEUES = {"default": {"URL": server.url, "DEFAULT_TIMEOUT": 600}}
        yield server
    finally:
        server.close()


def _rows(first_id: int, count: int, company: int | None = None) -> list[str]:
    return [
        f"{first_id + i},First {i},Last {i},c{first_id + i}@example.com,{company or 1 + i % 7}"
        for i in range(count)
    ]


def _checked_run(client: Client, run_worker, rows: list[str]) -> ImportRun:  # type: ignore[no-untyped-def]
    return checked_run(client, run_worker, rows, HEADER)


def _describe(run_id: int, children: Processes | None = None) -> str:
    run = ImportRun.objects.get(pk=run_id)
    batches = dict(
        Batch.objects.filter(run_id=run_id).values_list("status").annotate(n=Count("id"))
    )
    rows = dict(
        ContactRow.objects.filter(run_id=run_id).values_list("status").annotate(n=Count("id"))
    )
    jobs = {}
    connection = redis.Redis.from_url(django_settings.REDIS_URL)
    waiting = Batch.objects.filter(run_id=run_id).exclude(status=BatchStatus.DONE)
    for batch_id in waiting.values_list("pk", flat=True)[:5]:
        status = connection.hget(f"rq:job:batch-{batch_id}", "status")
        jobs[batch_id] = status.decode() if isinstance(status, bytes) else status
    text = (
        f"run {run.status} reason={run.paused_reason!r} created={run.rows_created} "
        f"updated={run.rows_updated} failed={run.rows_failed}\nbatches {batches}\nrows {rows}"
        f"\nRQ status of waiting batches' jobs {jobs}"
    )
    return text + ("\n" + children.report() if children else "")


def _wait_for_status(
    run_id: int, statuses: set[str], *, timeout: float, children: Processes, between=None
) -> ImportRun:
    wait_until(
        lambda: ImportRun.objects.get(pk=run_id).status in statuses,
        timeout=timeout,
        what=f"run status in {sorted(statuses)}",
        between=between,
        describe=lambda: _describe(run_id, children),
    )
    return ImportRun.objects.get(pk=run_id)


def _reconcile_quietly() -> None:
    """One reconciler pass in this process; Redis may be away for a moment."""
    with contextlib.suppress(redis.RedisError):
        reconcile.reconcile()


def _assert_each_row_settled_once(run: ImportRun, sandbox: SandboxServer) -> None:
    """One final outcome per valid row, counters that add up, the sandbox as mapped."""
    run.refresh_from_db()
    assert run.is_done, run.status
    valid = ContactRow.objects.filter(run=run).exclude(status=RowStatus.INVALID)
    by_status = Counter(valid.values_list("status", flat=True))
    assert set(by_status) <= set(SENT), by_status  # nothing left pending or sending
    assert sum(by_status.values()) == run.rows_to_send
    assert run.rows_created + run.rows_updated + run.rows_failed == run.rows_to_send
    # The counters are bumped once per recorded batch: a row recorded twice would show.
    assert (run.rows_created, run.rows_updated, run.rows_failed) == (
        by_status[RowStatus.CREATED],
        by_status[RowStatus.UPDATED],
        by_status[RowStatus.FAILED],
    )
    assert not Batch.objects.filter(run=run).exclude(status=BatchStatus.DONE).exists()
    unbatched = valid.filter(batch__isnull=True).count()
    assert unbatched == 0
    for row in valid.filter(status__in=[RowStatus.CREATED, RowStatus.UPDATED]).iterator():
        assert row.contact_id is not None
        assert row.payload is not None
        stored = sandbox.get_contact(row.contact_id)
        assert stored is not None, f"row {row.row_number}: contact {row.contact_id} missing"
        assert stored["id"] == row.propeller_id
        assert stored["key"] == row.payload["id"]
        fields = {k: v for k, v in row.payload.items() if k != "id"}
        assert {k: stored.get(k) for k in fields} == fields, f"row {row.row_number}"


# --- (a) many workers -----------------------------------------------------------------
def test_four_workers_send_5000_rows_each_exactly_once(
    client: Client, operator, sandbox: SandboxServer, run_worker, processes: Processes, settings
) -> None:
    client.force_login(operator)
    run = _checked_run(client, run_worker, _rows(100_000, 5000))
    assert run.rows_valid == 5000
    run_control.run_start(run_id=run.pk, user=operator)
    for number in range(4):
        processes.worker(f"worker-{number}")

    run = _wait_for_status(run.pk, {RunStatus.FINISHED}, timeout=60, children=processes)
    _assert_each_row_settled_once(run, sandbox)
    assert run.rows_created == 5000
    assert Batch.objects.filter(run=run).count() == 50
    assert not Batch.objects.filter(run=run).exclude(attempts=1).exists()  # sent once each
    stats = sandbox.stats()
    assert (stats["contacts_created"], stats["contacts_updated"]) == (5000, 0)
    # The work was shared: more than one worker process sent batches.
    busy = [w for w in Worker.all(connection=redis.Redis.from_url(settings.REDIS_URL))
            if w.successful_job_count]  # fmt: skip
    assert len(busy) >= 2, [w.name for w in busy]


# --- (b) faults -----------------------------------------------------------------------
def test_every_row_lands_despite_429s_500s_timeouts_and_short_tokens(
    client: Client, operator, sandbox: SandboxServer, run_worker, processes: Processes, settings
) -> None:
    settings.PROPELLER_BATCH_SIZE = 10
    client.force_login(operator)
    run = _checked_run(client, run_worker, _rows(200_000, 600))
    # 2.5 s stalls outlast the workers' 2 s timeout; tokens live 3 s so they are renewed
    # several times during the run (the 10 s would outlive this short run).
    sandbox.set_faults(
        FaultConfig(
            rate_429=0.10, retry_after=0.2, rate_500=0.05, rate_timeout=0.02,
            stall_seconds=2.5, token_ttl=3, latency_ms=30,
        )
    )  # fmt: skip
    run_control.run_start(run_id=run.pk, user=operator)
    for number in range(3):
        processes.worker(f"worker-{number}")
    processes.reconciler()

    run = _wait_for_status(
        run.pk, {RunStatus.FINISHED, RunStatus.FINISHED_FAILURES}, timeout=60, children=processes
    )
    _assert_each_row_settled_once(run, sandbox)
    assert run.rows_failed == 0
    assert run.rows_created + run.rows_updated == 600
    # The sandbox's dice are seeded (conftest), so these 60-odd requests meet every fault.
    faults = sandbox.stats()["faults"]
    assert {"429", "500", "timeout"} <= set(faults), faults
    assert sandbox.stats()["tokens_issued"] >= 2


# --- (c) a worker killed mid-batch ------------------------------------------------------
def _sending(run: ImportRun) -> list[Batch]:
    """The run's batches out on a claim, the first claimed first."""
    return list(Batch.objects.filter(run=run, status=BatchStatus.SENDING).order_by("sent_at", "pk"))


def test_a_worker_killed_mid_batch_loses_no_row(
    client: Client, operator, sandbox: SandboxServer, run_worker, processes: Processes, settings
) -> None:
    settings.PROPELLER_BATCH_SIZE = 10
    client.force_login(operator)
    run = _checked_run(client, run_worker, _rows(300_000, 120))
    sandbox.set_faults(FaultConfig(latency_ms=600))  # each request takes a while
    run_control.run_start(run_id=run.pk, user=operator)
    doomed = processes.worker("doomed")  # alone, so the request in flight is its own
    held: list[Batch] = []

    def doomed_is_waiting_for_propeller() -> bool:
        if not Batch.objects.filter(run=run, status=BatchStatus.DONE).exists():
            return False  # past its token request
        # The batch in flight, and the next one its chain claimed meanwhile (if any).
        before = _sending(run)
        # The sandbox holds the request's body: it will apply it whatever happens next.
        if before and sandbox.stats()["in_flight"] and _sending(run) == before:
            held.extend(before)
        return bool(held)

    wait_until(doomed_is_waiting_for_propeller, timeout=30, what="a batch in flight",
               describe=lambda: _describe(run.pk, processes))  # fmt: skip
    processes.kill(doomed)
    processes.worker("survivor")
    in_flight = held[0]
    for claimed in held:
        batch = Batch.objects.get(pk=claimed.pk)
        assert (batch.status, batch.claim) == (BatchStatus.SENDING, claimed.claim)
        assert (
            ContactRow.objects.filter(batch=batch, status=RowStatus.SENDING).count() == batch.rows
        )
        # The lease outlasts the slowest batch (over 30 s, see lease_seconds()); only the
        # reconciler frees it. Skip that wait for these batches.
        assert batch.lease_until is not None
        assert batch.lease_until > timezone.now() + timedelta(seconds=20)
    expired = timezone.now() - timedelta(seconds=1)
    Batch.objects.filter(pk__in=[b.pk for b in held]).update(lease_until=expired)

    processes.worker("replacement")
    processes.reconciler()
    run = _wait_for_status(run.pk, {RunStatus.FINISHED}, timeout=40, children=processes)
    _assert_each_row_settled_once(run, sandbox)
    for claimed in held:
        assert Batch.objects.get(pk=claimed.pk).attempts == 2
    # The killed request still reached Propeller, so its rows were sent twice: updated. A
    # batch claimed ahead was never sent: created.
    assert set(ContactRow.objects.filter(batch=in_flight).values_list("status", flat=True)) == {
        RowStatus.UPDATED
    }
    assert (run.rows_created, run.rows_updated) == (110, 10)
    assert sandbox.stats()["contacts_created"] == 120  # each contact created once


# --- (d) Redis emptied mid-run -----------------------------------------------------------
def test_a_redis_restarted_empty_mid_run_is_refilled_by_the_reconciler(
    client: Client,
    operator,
    sandbox: SandboxServer,
    run_worker,
    processes: Processes,
    private_redis: PrivateRedis,
    settings,
) -> None:
    settings.PROPELLER_BATCH_SIZE = 10
    processes.env["REDIS_URL"] = private_redis.url
    client.force_login(operator)
    run = _checked_run(client, run_worker, _rows(400_000, 200))
    sandbox.set_faults(FaultConfig(latency_ms=150))
    run_control.run_start(run_id=run.pk, user=operator)
    workers = [processes.worker(f"worker-{number}") for number in range(2)]

    wait_until(
        lambda: Batch.objects.filter(run=run, status=BatchStatus.DONE).count() >= 4,
        timeout=30, what="some batches sent", describe=lambda: _describe(run.pk, processes),
    )  # fmt: skip
    queue_key = "rq:queue:default"
    assert redis.Redis.from_url(private_redis.url).llen(queue_key) > 0  # jobs waiting...
    private_redis.restart_empty(down_for=1.0)
    assert redis.Redis.from_url(private_redis.url).llen(queue_key) == 0  # ...and lost

    def reconcile_and_supervise() -> None:
        """The reconciler in this process; workers that died are replaced (a supervisor's job)."""
        _reconcile_quietly()
        for index, worker in enumerate(workers):
            if worker.process.poll() is not None:
                workers[index] = processes.worker(f"worker-{index}-again")

    run = _wait_for_status(
        run.pk, {RunStatus.FINISHED}, timeout=40, children=processes,
        between=reconcile_and_supervise,
    )  # fmt: skip
    _assert_each_row_settled_once(run, sandbox)
    assert run.rows_created + run.rows_updated == 200


def test_a_batch_claimed_while_redis_is_away_is_given_back_at_once(
    client: Client,
    operator,
    sandbox: SandboxServer,
    run_worker,
    private_redis: PrivateRedis,
    settings,
) -> None:
    settings.PROPELLER_BATCH_SIZE = 10
    client.force_login(operator)
    run = _checked_run(client, run_worker, _rows(450_000, 20))
    run_control.run_start(run_id=run.pk, user=operator)
    run_control.run_plan(run_id=run.pk)
    batch = Batch.objects.filter(run=run).order_by("number").first()
    assert batch is not None
    embedded_redis.stop(private_redis.process)  # the throttle cannot take a slot now

    with pytest.raises(redis.ConnectionError):
        batch_sending.batch_send(batch_id=batch.pk)

    batch.refresh_from_db()
    assert (batch.status, batch.claim, batch.attempts) == (BatchStatus.PENDING, "", 1)
    assert set(ContactRow.objects.filter(batch=batch).values_list("status", flat=True)) == {
        RowStatus.PENDING
    }


# --- (e) and (f) per-row failures ------------------------------------------------------
def test_unknown_parent_companies_fail_only_their_rows(
    client: Client, operator, sandbox: SandboxServer, run_worker, processes: Processes, settings
) -> None:
    settings.PROPELLER_BATCH_SIZE = 10
    client.force_login(operator)
    rows = _rows(500_000, 40)
    rows[5] = rows[5].rsplit(",", 1)[0] + ",999999"
    rows[27] = rows[27].rsplit(",", 1)[0] + ",999999"
    run = _checked_run(client, run_worker, rows)
    run_control.run_start(run_id=run.pk, user=operator)
    processes.worker("worker-0")
    processes.worker("worker-1")

    run = _wait_for_status(run.pk, {RunStatus.FINISHED_FAILURES}, timeout=30, children=processes)
    _assert_each_row_settled_once(run, sandbox)
    assert (run.rows_created, run.rows_failed) == (38, 2)
    failed = ContactRow.objects.filter(run=run, status=RowStatus.FAILED).order_by("row_number")
    assert [(r.row_number, r.message) for r in failed] == [
        (7, UNKNOWN_PARENT),
        (29, UNKNOWN_PARENT),
    ]
    assert sandbox.get_contact(500_005) is None


def test_a_schema_error_fails_only_the_row_it_names(
    client: Client, operator, sandbox: SandboxServer, run_worker, processes: Processes, settings
) -> None:
    settings.PROPELLER_BATCH_SIZE = 10
    client.force_login(operator)
    run = _checked_run(client, run_worker, _rows(600_000, 30))
    bad = ContactRow.objects.get(run=run, row_number=14)
    assert bad.payload is not None
    assert bad.contact_id is not None
    bad.payload = {**bad.payload, "company": "Acme"}  # as if the mapping had let it through
    bad.save()
    run_control.run_start(run_id=run.pk, user=operator)
    processes.worker("worker-0")
    processes.worker("worker-1")

    run = _wait_for_status(run.pk, {RunStatus.FINISHED_FAILURES}, timeout=30, children=processes)
    _assert_each_row_settled_once(run, sandbox)
    assert (run.rows_created, run.rows_failed) == (29, 1)
    bad.refresh_from_db()
    assert (bad.status, bad.message) == (
        RowStatus.FAILED,
        "extraneous key [company] is not permitted",
    )
    assert sandbox.get_contact(bad.contact_id) is None


# --- starting twice -------------------------------------------------------------------
def test_starting_twice_at_once_plans_one_set_of_batches(
    client: Client,
    operator,
    sandbox: SandboxServer,
    run_worker,
    processes: Processes,
    settings,
    tmp_path: Path,
) -> None:
    settings.PROPELLER_BATCH_SIZE = 10
    client.force_login(operator)
    run = _checked_run(client, run_worker, _rows(700_000, 95))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait(5)
            run_control.run_start(run_id=run.pk, user=operator)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    # The planning job run twice at once too, by two processes (as if queued again while
    # it ran): both wait for the same signal, then plan together.
    ready, go = tmp_path / "ready", tmp_path / "go"
    ready.mkdir()
    script = (
        "import os, pathlib, time\n"
        "from propel_admin.imports import run_control\n"
        f"pathlib.Path({str(ready)!r}, str(os.getpid())).touch()\n"
        f"while not pathlib.Path({str(go)!r}).exists(): time.sleep(0.002)\n"
        f"run_control.run_plan(run_id={run.pk})\n"
    )
    planners = [processes.start(f"plan-{n}", "shell", "-c", script) for n in range(2)]
    wait_until(lambda: len(list(ready.iterdir())) == 2, timeout=20, what="both planners ready",
               describe=processes.report)  # fmt: skip
    go.touch()
    codes = [planner.process.wait(30) for planner in planners]
    assert 0 in codes, processes.report()
    processes.worker("worker-0")
    processes.worker("worker-1")

    run = _wait_for_status(run.pk, {RunStatus.FINISHED}, timeout=30, children=processes)
    _assert_each_row_settled_once(run, sandbox)
    assert RunEvent.objects.filter(run=run, action="start").count() == 1
    assert list(Batch.objects.filter(run=run).order_by("number").values_list("number", "rows")) == [
        *[(n, 10) for n in range(1, 10)],
        (10, 5),
    ]
    assert sandbox.stats()["contacts_created"] == 95


# --- pausing after repeated failures, and resuming ------------------------------------
def test_repeated_failed_batches_pause_the_run_until_it_is_resumed(
    client: Client, operator, sandbox: SandboxServer, run_worker, processes: Processes, settings
) -> None:
    settings.PROPELLER_BATCH_SIZE = 10
    client.force_login(operator)
    run = _checked_run(client, run_worker, _rows(800_000, 60))
    sandbox.set_faults(FaultConfig(rate_500=1.0))
    run_control.run_start(run_id=run.pk, user=operator)
    env = {"RUN_PAUSE_AFTER_FAILED_BATCHES": "2", "PROPELLER_MAX_ATTEMPTS": "2",
           "RUN_COOL_OFF_SECONDS": "600"}  # fmt: skip
    processes.worker("worker-0", env=env)
    processes.worker("worker-1", env=env)

    run = _wait_for_status(run.pk, {RunStatus.PAUSED}, timeout=30, children=processes)
    assert re.fullmatch(
        r"\d+ batches in a row could not be sent \(last: server\)\. "
        r"Resumes by itself after a cool-off, or resume it now\.",
        run.paused_reason,
    ), run.paused_reason
    assert run.resume_at is not None
    assert run.resume_at > timezone.now() + timedelta(seconds=500)
    pause = RunEvent.objects.get(run=run, action="pause")
    assert (pause.user, pause.detail) == (None, run.paused_reason)
    wait_until(
        lambda: not Batch.objects.filter(run=run, status=BatchStatus.SENDING).exists(),
        timeout=15, what="in-flight batches given back", describe=lambda: _describe(run.pk),
    )  # fmt: skip
    assert run.rows_done == 0
    assert not ContactRow.objects.filter(run=run).exclude(status=RowStatus.PENDING).exists()

    sandbox.set_faults(FaultConfig())
    assert run_control.run_resume(run_id=run.pk, user=operator)
    # No reconciler: resuming alone must get every waiting batch going again.
    run = _wait_for_status(run.pk, {RunStatus.FINISHED}, timeout=20, children=processes)
    _assert_each_row_settled_once(run, sandbox)
    assert run.rows_created == 60
    assert list(RunEvent.objects.filter(run=run).values_list("action", "user__username")) == [
        ("start", "olivia"),
        ("pause", None),
        ("resume", "olivia"),
    ]


# --- a long Retry-After defers the batch -------------------------------------------------
def test_a_retry_after_beyond_the_cap_defers_batches_without_holding_a_worker(
    client: Client, operator, sandbox: SandboxServer, run_worker, processes: Processes, settings
) -> None:
    settings.PROPELLER_BATCH_SIZE = 10
    client.force_login(operator)
    run = _checked_run(client, run_worker, _rows(900_000, 30))
    sandbox.set_faults(FaultConfig(rate_429=1.0, retry_after=4))  # the workers' cap is 1 s
    run_control.run_start(run_id=run.pk, user=operator)
    processes.worker("worker-0")  # one worker: it must not sleep through each batch's 4 s

    deferred = Batch.objects.filter(run=run, status=BatchStatus.PENDING, not_before__isnull=False)
    wait_until(lambda: deferred.exists(), timeout=15, what="a deferred batch",
               describe=lambda: _describe(run.pk, processes))  # fmt: skip
    first_deferral = time.monotonic()
    wait_until(lambda: deferred.count() == 3, timeout=5, what="3 deferred batches",
               describe=lambda: _describe(run.pk, processes))  # fmt: skip
    assert time.monotonic() - first_deferral < 2  # sleeping out 4 s per batch would take 8
    run.refresh_from_db()
    assert run.status == RunStatus.SENDING
    assert run.rate_limited_until is not None
    assert run.rate_limited_until > timezone.now() + timedelta(seconds=2)
    assert run.consecutive_failures == 0  # being told to wait is not a failure
    assert set(Batch.objects.filter(run=run).values_list("attempts", flat=True)) == {1}
    assert sandbox.stats()["faults"] == {"429": 3}  # one request per batch: no retry loop

    sandbox.set_faults(FaultConfig())
    run = _wait_for_status(
        run.pk, {RunStatus.FINISHED}, timeout=20, children=processes, between=_reconcile_quietly
    )
    _assert_each_row_settled_once(run, sandbox)
    assert run.rows_created == 30
    assert Batch.objects.filter(run=run, attempts=2).count() == 3


def test_the_lease_covers_every_retry_a_batch_can_make(settings) -> None:
    settings.PROPELLER_TIMEOUT = 2
    settings.PROPELLER_BACKOFF_CAP = 0.5
    settings.PROPELLER_MAX_ATTEMPTS = 5
    settings.PROPELLER_RETRY_AFTER_CAP = 1
    slowest = 5 * 2 + 4 * 1  # five timed-out tries with the longest wait between them
    assert batch_sending.lease_seconds() > slowest
