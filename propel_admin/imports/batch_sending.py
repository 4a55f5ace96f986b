"""Sending one batch: claim it, respect the shared limits, call Propeller, record each row.

The claim (a lease with a token) is taken in the database before anything is sent, and
the outcome is written only while that claim still holds, so two workers never record
the same batch and no row ends with two outcomes. Re-sending a batch is safe: the
endpoint upserts by id.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta

import django_rq
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from redis.exceptions import RedisError

from propel_admin.core.propeller_client import get_propeller_client
from propel_admin.imports import jobs, pii, recorder, run_control
from propel_admin.imports.failures import failure_key
from propel_admin.imports.models import (
    Batch,
    BatchStatus,
    ContactRow,
    ImportRun,
    RowStatus,
    RunStatus,
)
from propel_admin.imports.throttle import Throttle
from propel_admin.propeller import (
    AuthenticationError,
    BulkResult,
    ForbiddenError,
    PropellerClient,
    PropellerError,
    RateLimitedError,
    UnexpectedResponseError,
    normalize_key,
)
from propel_admin.propeller.errors import RequestRejectedError

logger = logging.getLogger(__name__)

UNEXPECTED = "Unexpected response from Propeller: the outcome of this row is unknown"
EXCERPT_BYTES = 2000
SLOT_WAIT_SECONDS = 5.0
CHAIN_BATCHES = 50  # batches one job may send before leaving the rest to their own jobs
CHAIN_SECONDS = 60.0  # well inside the queue's job timeout
NEXT_CANDIDATES = 4  # free batches tried when chaining (other chains take some first)
CREDENTIALS_PAUSE = (
    "Propeller refused the credentials ({problem}). Fix PROPELLER_CLIENT_ID / "
    "PROPELLER_CLIENT_SECRET or the key's scopes, then resume."
)
FAILURES_PAUSE = (
    "{count} batches in a row could not be sent (last: {problem}). "
    "Resumes by itself after a cool-off, or resume it now."
)

_clients: dict[tuple[str, str], PropellerClient] = {}


def _client() -> PropellerClient:
    """One client (one keep-alive session) per worker process and configuration."""
    key = (settings.PROPELLER_API_URL, settings.PROPELLER_CLIENT_ID)
    if key not in _clients:
        _clients[key] = get_propeller_client()
    return _clients[key]


def lease_seconds() -> float:
    """Longer than one batch can take with every retry the client makes."""
    per_try = settings.PROPELLER_TIMEOUT + settings.PROPELLER_BACKOFF_CAP
    return per_try * settings.PROPELLER_MAX_ATTEMPTS + settings.PROPELLER_RETRY_AFTER_CAP + 30


def _throttle() -> Throttle:
    return Throttle(
        django_rq.get_connection("default"),
        name=settings.PROPELLER_CLIENT_ID,
        per_second=settings.PROPELLER_MAX_REQUESTS_PER_SECOND,
        concurrency=settings.PROPELLER_MAX_CONCURRENCY,
        slot_lease_seconds=lease_seconds(),
    )


@dataclass
class Outcome:
    """What happened to the rows of one batch."""

    rows: list[ContactRow]
    created: int = 0
    updated: int = 0
    failed: int = 0
    last: BulkResult | None = None
    changed: list[ContactRow] = field(default_factory=list)

    def fail(self, row: ContactRow, message: str, excerpt: str = "") -> None:
        row.status, row.message, row.response_excerpt = RowStatus.FAILED, message[:2000], excerpt
        row.failure_key = failure_key(row.message)
        self.failed += 1
        self.changed.append(row)


def batch_send(*, batch_id: int) -> None:
    """The RQ job for one batch, then for the run's next pending batches (a chain).

    While a batch's HTTP call is in flight (on the worker's HTTP thread), the next pending
    batch of the run is claimed, and the previous outcome is handed to recorder.record()
    (the recorder's thread writes it): a worker's requests follow each other with almost
    no database time, or contention for the GIL, in between. The chain ends when the run
    has no free batch left, is no longer sending, something went wrong, or after
    CHAIN_BATCHES / CHAIN_SECONDS. A batch sent by a chain finds its own job with nothing
    to do (the claim decides).
    """
    close_old_connections()
    claim = _claim(batch_id)
    if claim is None:
        return
    batch = Batch.objects.select_related("run").get(pk=batch_id)
    deadline = time.monotonic() + CHAIN_SECONDS
    left = CHAIN_BATCHES
    throttle = _throttle()
    rows: list[ContactRow] | None = None  # those of a batch claimed ahead, loaded then
    later = _Later()
    try:
        while True:
            left -= 1
            chain = left > 0 and time.monotonic() < deadline
            try:
                sent, upcoming = _send_in_slot(batch, claim, throttle, rows, later, chain=chain)
            except BaseException:
                # Redis away, a bug: give the batch back now, not when its lease runs out.
                _release(batch, claim, delay=0)
                raise
            if sent is None:  # given back (deferred, no slot) or paused: nothing to record
                later.flush()
                run_control.run_finish_if_done(run_id=batch.run_id)
            else:
                later.hold(batch, claim, *sent)
            if upcoming is None or not _still_sending(*upcoming[:2]):
                return
            batch, claim, rows = upcoming
    finally:
        later.flush()


class _Later:
    """The last batch's outcome, handed to the recorder once the next call is out (the
    recorder's thread then runs while this one waits for the answer), or when the chain
    ends."""

    def __init__(self) -> None:
        self._args: tuple[Batch, str, Outcome, float] | None = None

    def hold(self, batch: Batch, claim: str, outcome: Outcome, seconds: float) -> None:
        self.flush()
        self._args = (batch, claim, outcome, seconds)

    def flush(self) -> None:
        if self._args is not None:
            args, self._args = self._args, None
            recorder.record(_record_and_finish, *args)


Ahead = tuple[Batch, str, list[ContactRow]]  # a batch claimed ahead, its claim, its rows


def _send_in_slot(
    batch: Batch,
    claim: str,
    throttle: Throttle,
    rows: list[ContactRow] | None,
    later: _Later,
    *,
    chain: bool,
) -> tuple[tuple[Outcome, float] | None, Ahead | None]:
    """(outcome and seconds, or None when the batch was given back unsent; the next batch
    claimed meanwhile, or None)."""
    slot = _take_slot(throttle)
    if slot is None:
        _release(batch, claim, delay=1.0)
        return None, None
    try:
        return _send(batch, claim, throttle, rows, later, chain=chain)
    finally:
        # Redis away: the outcome (and a batch claimed ahead) must not be dropped for a
        # slot, which frees itself when its lease runs out.
        with contextlib.suppress(RedisError):
            throttle.release_slot(slot)


def _http_thread() -> ThreadPoolExecutor:
    """The worker's one thread for Propeller calls (one request in flight per worker)."""
    global _http
    if _http is None:
        _http = ThreadPoolExecutor(max_workers=1, thread_name_prefix="propel-http")
    return _http


_http: ThreadPoolExecutor | None = None


def _claim_next(run_id: int) -> Ahead | None:
    """Claim the run's first free pending batch, if there is one, and load its rows."""
    now = timezone.now()
    free = (
        Batch.objects.filter(run_id=run_id, status=BatchStatus.PENDING)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .order_by("number")
        .values_list("pk", flat=True)[:NEXT_CANDIDATES]
    )
    for batch_id in free:  # another worker's chain may take one first
        claim = _claim(batch_id)
        if claim is not None:
            batch = Batch.objects.select_related("run").get(pk=batch_id)
            return batch, claim, _rows(batch)
    return None


def _still_sending(batch: Batch, claim: str) -> bool:
    """Before sending a batch claimed during the previous call: is its run still sending?
    If not (paused or cancelled meanwhile), the batch is given back, unsent."""
    status = ImportRun.objects.filter(pk=batch.run_id).values_list("status", flat=True).first()
    if status == RunStatus.SENDING:
        return True
    _give_back(batch, claim, cancelled=status == RunStatus.CANCELLED)
    return False


def _give_back(batch: Batch, claim: str, *, cancelled: bool = False) -> None:
    """A batch claimed ahead and never sent: its claim undone, attempts included. Cancelled
    with its run, or pending again with a job of its own (its first job may have run
    already and found it claimed)."""
    status = RowStatus.CANCELLED if cancelled else RowStatus.PENDING
    with transaction.atomic():
        owned = Batch.objects.filter(pk=batch.pk, claim=claim, status=BatchStatus.SENDING).update(
            status=BatchStatus.CANCELLED if cancelled else BatchStatus.PENDING,
            claim="",
            lease_until=None,
            attempts=F("attempts") - 1,
        )
        if not owned:
            return
        count = ContactRow.objects.filter(batch=batch, status=RowStatus.SENDING).update(
            status=status, attempts=F("attempts") - 1
        )
        if cancelled:
            ImportRun.objects.filter(pk=batch.run_id).update(
                rows_cancelled=F("rows_cancelled") + count
            )
            return
    with contextlib.suppress(RedisError):  # else the reconciler queues it again
        jobs.enqueue_batches([batch.pk])


def _claim(batch_id: int) -> str | None:
    """Take the batch's lease if it is free (or expired) and its run is sending."""
    now = timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        # The run's status through Exists, not a join: Django turns an UPDATE with a join
        # into `WHERE id IN (SELECT ...)`, and PostgreSQL does not re-check such a
        # subquery after waiting for a concurrent claim of the same batch, so both would
        # win. Conditions on the batch's own columns are re-checked: one claim wins.
        sending = ImportRun.objects.filter(pk=OuterRef("run_id"), status=RunStatus.SENDING)
        taken = Batch.objects.filter(
            Q(status=BatchStatus.PENDING) | Q(status=BatchStatus.SENDING, lease_until__lt=now),
            Q(not_before__isnull=True) | Q(not_before__lte=now),
            Exists(sending),
            pk=batch_id,
        ).update(
            status=BatchStatus.SENDING,
            claim=token,
            lease_until=now + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
            sent_at=now,
        )
        if not taken:
            return None
        # Written before the call, so a crash leaves a trace, not a gap.
        ContactRow.objects.filter(
            batch_id=batch_id, status__in=[RowStatus.PENDING, RowStatus.SENDING]
        ).update(status=RowStatus.SENDING, attempts=F("attempts") + 1)
    return token


def _take_slot(throttle: Throttle) -> str | None:
    deadline = time.monotonic() + SLOT_WAIT_SECONDS
    while True:
        slot = throttle.acquire_slot()
        if slot is not None or time.monotonic() > deadline:
            return slot
        time.sleep(0.05)


def _wait_for_rate(throttle: Throttle) -> None:
    while (wait := throttle.wait_for_rate()) > 0:
        time.sleep(min(wait, 1.0))


def _rows(batch: Batch) -> list[ContactRow]:
    """The claimed batch's rows, with only what sending reads or writes (a deferred field
    read later would cost a query)."""
    fields = ("pk", "row_number", "payload", "status", "action", "propeller_id", "message")
    return list(
        ContactRow.objects.filter(batch=batch, status=RowStatus.SENDING)
        .only(*fields, "response_excerpt", "failure_key")
        .order_by("row_number")
    )


def _send(
    batch: Batch,
    claim: str,
    throttle: Throttle,
    rows: list[ContactRow] | None,
    later: _Later,
    *,
    chain: bool,
) -> tuple[tuple[Outcome, float] | None, Ahead | None]:
    """Send the batch on the HTTP thread; meanwhile hand the last outcome to the recorder
    and claim the next batch if `chain`."""
    if rows is None:
        rows = _rows(batch)
    outcome = Outcome(rows)
    started = time.monotonic()
    call = _http_thread().submit(_send_rows, rows, outcome, throttle)
    try:
        later.flush()
        upcoming = _claim_next(batch.run_id) if chain else None
    except BaseException:
        wait([call])  # the call ends before its batch is given back
        raise
    try:
        call.result()
    except RateLimitedError as exc:
        _defer(batch, claim, exc, delay=exc.retry_after or 1.0, rate_limited=True)
    except (AuthenticationError, ForbiddenError) as exc:
        _release(batch, claim, delay=0)
        run_control.run_pause(
            run_id=batch.run_id, user=None, reason=CREDENTIALS_PAUSE.format(problem=exc.kind)
        )
    except PropellerError as exc:  # retryable ones the client gave up on
        _defer(batch, claim, exc, delay=_backoff(batch.attempts))
    except BaseException:
        if upcoming is not None:
            _give_back(*upcoming[:2])
        raise
    else:
        return (outcome, time.monotonic() - started), upcoming
    if upcoming is not None:  # the batch was given back: end the chain here
        _give_back(*upcoming[:2])
    return None, None


def _send_rows(rows: list[ContactRow], outcome: Outcome, throttle: Throttle) -> None:
    """Send rows; on a 400 that names rows, fail those and send the rest; else split."""
    if not rows:
        return
    _wait_for_rate(throttle)
    try:
        # Social security numbers are opened here, for the request only (pii.py).
        result = _client().bulk_upsert_contacts([pii.open_payload(row.payload) for row in rows])
    except RequestRejectedError as exc:
        named = {i for i in exc.contact_indexes if 0 <= i < len(rows)}
        if named:
            for index in sorted(named):
                outcome.fail(rows[index], "; ".join(exc.contact_indexes[index]))
            _send_rows([r for i, r in enumerate(rows) if i not in named], outcome, throttle)
        elif len(rows) == 1:
            outcome.fail(rows[0], "; ".join(exc.messages) or str(exc))
        else:
            half = len(rows) // 2
            _send_rows(rows[:half], outcome, throttle)
            _send_rows(rows[half:], outcome, throttle)
        return
    except UnexpectedResponseError as exc:
        if exc.retryable:
            raise
        for row in rows:
            outcome.fail(row, UNEXPECTED, (exc.body_excerpt or "")[:EXCERPT_BYTES])
        return
    _apply(rows, result, outcome)


def _apply(rows: list[ContactRow], result: BulkResult, outcome: Outcome) -> None:
    """Match each answer to its row by key (the contact id), never by position."""
    outcome.last = result
    for row in rows:
        answer = result.by_key.get(normalize_key((row.payload or {}).get("id")))
        if answer is None:
            outcome.fail(row, UNEXPECTED)
        elif answer.success:
            action = (answer.action or "").lower()
            row.status = RowStatus.CREATED if action == "create" else RowStatus.UPDATED
            row.action, row.propeller_id, row.message = action, answer.propeller_id, ""
            row.failure_key = ""
            outcome.created += action == "create"
            outcome.updated += action != "create"
            outcome.changed.append(row)
        else:
            outcome.fail(row, answer.error or "Propeller did not say why")


def _record_and_finish(batch: Batch, claim: str, outcome: Outcome, seconds: float) -> None:
    try:
        _record(batch, claim, outcome, seconds)
    except BaseException:
        _release(batch, claim, delay=0)  # sent again later: the endpoint upserts by id
        raise
    run_control.run_finish_if_done(run_id=batch.run_id)


def _record(batch: Batch, claim: str, outcome: Outcome, seconds: float) -> None:
    sent = len(outcome.rows)
    if outcome.created + outcome.updated + outcome.failed != sent:  # every row, once
        raise AssertionError(f"batch {batch.pk}: {sent} rows sent, outcomes do not add up")
    result = outcome.last
    with transaction.atomic():
        owned = Batch.objects.filter(pk=batch.pk, claim=claim, status=BatchStatus.SENDING).update(
            status=BatchStatus.DONE,
            finished_at=timezone.now(),
            http_status=result.status_code if result else 400,
            request_id=(result.request_id or "")[:100] if result else "",
            duration_ms=int(seconds * 1000),
            error="",
        )
        if not owned:  # our lease ran out and another worker has the batch now
            logger.warning("batch %s: lease lost before recording; dropping this outcome", batch.pk)
            return
        _save_rows(outcome.changed)
        ImportRun.objects.filter(pk=batch.run_id).update(
            rows_created=F("rows_created") + outcome.created,
            rows_updated=F("rows_updated") + outcome.updated,
            rows_failed=F("rows_failed") + outcome.failed,
            consecutive_failures=0,
        )


def _save_rows(rows: list[ContactRow]) -> None:
    """Write the rows' outcomes. bulk_update's CASE expressions cost ~50 ms of Python per
    100 rows while holding the write lock, so: on PostgreSQL one UPDATE ... FROM (VALUES
    ...) (half the time of 100 pipelined UPDATEs), on SQLite one executemany."""
    if not rows:
        return
    table = ContactRow._meta.db_table
    params = [
        (r.pk, r.status, r.action, r.propeller_id, r.message, r.response_excerpt, r.failure_key)
        for r in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            marks = ", ".join(["(%s::bigint, %s, %s, %s::bigint, %s, %s, %s)"] * len(params))
            cursor.execute(
                f"UPDATE {table} AS t SET status = v.status, action = v.action, "  # noqa: S608
                "propeller_id = v.propeller_id, message = v.message, "
                "response_excerpt = v.excerpt, failure_key = v.failure_key "
                f"FROM (VALUES {marks}) AS v(id, status, action, propeller_id, message, "
                "excerpt, failure_key) WHERE t.id = v.id",
                [value for row in params for value in row],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET status = %s, action = %s, propeller_id = %s, "  # noqa: S608
                "message = %s, response_excerpt = %s, failure_key = %s WHERE id = %s",
                [(*row[1:], row[0]) for row in params],
            )


def _backoff(attempts: int) -> float:
    return min(settings.PROPELLER_BACKOFF_CAP * 4, 2.0 ** min(attempts, 10))


def _release(batch: Batch, claim: str, *, delay: float) -> None:
    """Give the batch back unsent; it is picked up again after `delay` seconds."""
    not_before = timezone.now() + timedelta(seconds=delay) if delay else None
    with transaction.atomic():
        owned = Batch.objects.filter(pk=batch.pk, claim=claim, status=BatchStatus.SENDING).update(
            status=BatchStatus.PENDING, claim="", lease_until=None, not_before=not_before
        )
        if owned:
            ContactRow.objects.filter(batch=batch, status=RowStatus.SENDING).update(
                status=RowStatus.PENDING
            )
    if owned and delay:
        jobs.enqueue_batch_later(batch.pk, delay)


def _defer(
    batch: Batch, claim: str, error: PropellerError, *, delay: float, rate_limited: bool = False
) -> None:
    """Give the batch back after a failure; pause the run after too many in a row."""
    Batch.objects.filter(pk=batch.pk, claim=claim).update(
        error=f"{error.kind}: {error}"[:500], http_status=error.status_code
    )
    _release(batch, claim, delay=delay)
    until = timezone.now() + timedelta(seconds=delay)
    if rate_limited:
        ImportRun.objects.filter(pk=batch.run_id).update(rate_limited_until=until)
        return
    ImportRun.objects.filter(pk=batch.run_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    run = ImportRun.objects.get(pk=batch.run_id)
    if run.consecutive_failures >= settings.RUN_PAUSE_AFTER_FAILED_BATCHES:
        reason = FAILURES_PAUSE.format(count=run.consecutive_failures, problem=error.kind)
        run_control.run_pause(
            run_id=run.pk, user=None, reason=reason, resume_in=settings.RUN_COOL_OFF_SECONDS
        )
