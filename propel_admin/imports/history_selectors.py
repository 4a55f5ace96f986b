"""Reads for reviewing runs: the history list, a run's charts and error groups, a contact's
rows across runs. Writes live in services.py."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    When,
)
from django.utils import timezone

from propel_admin.imports import charts
from propel_admin.imports.models import Batch, BatchStatus, ContactRow, ImportRun, RowStatus

HISTORY_PAGE = 50
SORTS: dict[str, tuple[str, list[Any]]] = {
    "newest": ("Newest first", ["-created_at", "-id"]),
    "oldest": ("Oldest first", ["created_at", "id"]),
    "duration": ("Longest first", [F("duration").desc(nulls_last=True), "-id"]),
    "rows": ("Most rows first", ["-rows_read", "-id"]),
    "failed": ("Most failed first", ["-rows_failed", "-id"]),
}


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def run_history(
    *,
    status: str = "",
    person: AbstractBaseUser | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    file_name: str = "",
    sort: str = "newest",
) -> QuerySet[ImportRun]:
    """Runs matching the filters, with their duration and their re-runs, in one page's queries."""
    runs = ImportRun.objects.select_related("upload", "created_by", "send_started_by")
    if status:
        runs = runs.filter(status=status)
    if person is not None:
        runs = runs.filter(Q(created_by=person) | Q(send_started_by=person))
    if date_from:
        runs = runs.filter(created_at__gte=_day_start(date_from))
    if date_to:
        runs = runs.filter(created_at__lt=_day_start(date_to + timedelta(days=1)))
    if file_name:
        runs = runs.filter(upload__original_name__icontains=file_name)
    sending = ExpressionWrapper(
        F("send_finished_at") - F("send_started_at"), output_field=DurationField()
    )
    checking = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    runs = runs.annotate(
        duration=Case(
            When(send_started_at__isnull=False, then=sending),
            default=checking,
            output_field=DurationField(),
        )
    ).prefetch_related(
        Prefetch("children", queryset=ImportRun.objects.only("id", "parent_id").order_by("id"))
    )
    return runs.order_by(*SORTS.get(sort, SORTS["newest"])[1])


def run_outcomes(*, run: ImportRun) -> list[charts.Segment]:
    """The run's rows by outcome, from its counters (no row is counted)."""
    waiting = max(run.rows_valid - run.rows_done, 0)
    return charts.stacked_bar(
        [
            ("created", "Created", run.rows_created),
            ("updated", "Updated", run.rows_updated),
            ("failed", "Failed", run.rows_failed),
            ("cancelled", "Cancelled", run.rows_cancelled),
            ("invalid", "Invalid", run.rows_invalid),
            ("waiting", "Waiting" if run.send_started_at else "Ready to send", waiting),
        ]
    )


def run_rates(*, run: ImportRun) -> tuple[float | None, float | None]:
    """Seconds the run took (sending, or the check) and rows per second, None while unknown."""
    duration = getattr(run, "duration", None)
    if duration is None:
        return None, None
    seconds = max(duration.total_seconds(), 0.001)
    if run.send_started_at:
        rows = run.rows_created + run.rows_updated + run.rows_failed
    else:
        rows = run.rows_read
    return seconds, rows / seconds


def history_rows(*, runs: list[ImportRun]) -> list[dict[str, Any]]:
    """What each line of the history shows, from the already loaded runs."""
    lines = []
    for run in runs:
        seconds, rate = run_rates(run=run)
        lines.append(
            {
                "run": run,
                "seconds": seconds,
                "rate": rate,
                "outcomes": run_outcomes(run=run),
                "children": [child.pk for child in run.children.all()],
            }
        )
    return lines


def run_throughput(*, run: ImportRun) -> charts.Throughput | None:
    """Rows finished per second over the run, bucketed from its batches."""
    points = (
        Batch.objects.filter(run=run, status=BatchStatus.DONE, finished_at__isnull=False)
        .values_list("finished_at", "rows")
        .iterator(chunk_size=2000)
    )
    return charts.throughput(points, start=run.send_started_at, end=run.send_finished_at)


def failure_groups(*, run: ImportRun, limit: int = 10) -> dict[str, Any]:
    """The run's failed rows grouped by failure_key, biggest first, with examples.

    Grouped on the key, not the message: messages carry ids, so a million-row run can have
    thousands of them. The partial index of failed rows (row_run_failure) answers the
    counts from the index alone, so the example text comes from the five
    example rows, not from every row of the group.
    """
    failed = ContactRow.objects.filter(run=run, status=RowStatus.FAILED)
    counted = (
        failed.values("failure_key").annotate(count=Count("*")).order_by("-count", "failure_key")
    )
    groups = list(counted[: limit + 1])
    for group in groups[:limit]:
        examples = list(
            failed.filter(failure_key=group["failure_key"])
            .order_by("row_number")
            .values_list("row_number", "message")[:5]
        )
        group["example_rows"] = [number for number, _ in examples]
        group["example"] = examples[0][1] if examples else ""
    return {"groups": groups[:limit], "more": len(groups) > limit}


CONTACT_ROWS_CAP = 200
OTHER_RUNS_CAP = 20
CONTACT_FIELDS = ("run_id", "row_number", "contact_id", "email", "status", "action",
                  "propeller_id", "message", "errors", "payload")  # fmt: skip


def _contact_rows(rows: QuerySet[ContactRow]) -> QuerySet[ContactRow]:
    return (
        rows.select_related("run__upload")
        .only(*CONTACT_FIELDS, "run__created_at", "run__status", "run__upload__original_name")
        .order_by("-run__created_at", "-run_id", "-row_number")
    )


def contact_other_rows(*, row: ContactRow, limit: int = OTHER_RUNS_CAP) -> dict[str, Any]:
    """Every other row with this row's contact id, newest run first, capped."""
    if row.contact_id is None:
        return {"rows": [], "more": False}
    others = ContactRow.objects.filter(contact_id=row.contact_id).exclude(pk=row.pk)
    found = list(_contact_rows(others)[: limit + 1])
    return {"rows": found[:limit], "more": len(found) > limit}


def contact_rows(
    *, contact_id: int | None = None, email: str = "", limit: int = CONTACT_ROWS_CAP
) -> dict[str, Any]:
    """Every row of a contact (by id, or by lower-cased e-mail), newest run first, capped."""
    if contact_id is not None:
        rows = ContactRow.objects.filter(contact_id=contact_id)
    elif email.strip():
        # The partial index skips empty e-mails and rows waiting to be sent (see models);
        # saying so lets the database use it. Those rows are found by contact id.
        rows = ContactRow.objects.filter(email=email.strip().lower()).exclude(email="")
        rows = rows.exclude(status=RowStatus.PENDING)
    else:
        return {"rows": [], "more": False}
    found = list(_contact_rows(rows)[: limit + 1])
    return {"rows": found[:limit], "more": len(found) > limit}
