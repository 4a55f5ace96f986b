"""Uploads, mapping templates, import runs and their staged contact rows."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import models

from propel_admin.imports.pii import SealedJSONField


def upload_path(instance: Upload, filename: str) -> str:
    """A generated storage name: the uploaded name is never used as a path."""
    suffix = PurePath(filename).suffix.lower()
    safe_suffix = suffix if suffix in (".csv", ".tsv", ".txt", ".xlsx", ".xlsm") else ""
    return f"uploads/{uuid.uuid4().hex}{safe_suffix}"


class Upload(models.Model):
    """A file as received, with what was detected about it and its current mapping."""

    file = models.FileField(upload_to=upload_path, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    # What the readers detected (or the operator chose), as parsing.ReadOptions fields.
    file_format = models.CharField(max_length=10)
    read_options = models.JSONField(default=dict)
    headers = models.JSONField(default=list)
    sheets = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    # The first rows, read in the upload request, so pages never re-parse the file. Sealed
    # as a whole (pii.py): which column holds social security numbers is not known yet.
    preview = SealedJSONField(default=list)  # [{"number": n, "cells": [...]}]

    mapping = models.JSONField(default=dict, blank=True)  # a mapping.MappingSpec as a dict
    suggestions = models.JSONField(default=list)  # why each column got its target
    template = models.ForeignKey(
        "MappingTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The retention policy deleted the stored file (name, size and sha256 are kept).
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} (#{self.pk})"


class MappingTemplate(models.Model):
    """A saved mapping, applied automatically to uploads whose headers match."""

    name = models.CharField(max_length=120, unique=True)
    header_signature = models.CharField(max_length=64, db_index=True)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        # Applying and saving new templates is operating; renaming, editing and deleting
        # the ones others rely on is for Admins.
        permissions = [("manage_templates", "Can rename, edit and delete mapping templates")]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    # The check (dry run)
    QUEUED = "queued", "Queued"
    VALIDATING = "validating", "Checking rows"
    VALIDATED = "validated", "Checked"
    REJECTED = "rejected", "File could not be read"
    # Sending
    STARTING = "starting", "Starting"
    SENDING = "sending", "Sending"
    PAUSED = "paused", "Paused"
    FINISHED = "finished", "Finished"
    FINISHED_FAILURES = "finished_failures", "Finished with failures"
    CANCELLED = "cancelled", "Cancelled"


CHECKING = frozenset({RunStatus.QUEUED, RunStatus.VALIDATING})
SEND_ACTIVE = frozenset({RunStatus.STARTING, RunStatus.SENDING, RunStatus.PAUSED})
SEND_DONE = frozenset({RunStatus.FINISHED, RunStatus.FINISHED_FAILURES, RunStatus.CANCELLED})


class ImportRun(models.Model):
    """One pass over an upload with one mapping: the dry run now, sending later."""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="runs")
    mapping = models.JSONField()  # the MappingSpec snapshot this run used
    read_options = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    error = models.TextField(blank=True)  # why the file could not be read, for people

    # Counters kept on the run so pages never count rows per request.
    rows_read = models.PositiveBigIntegerField(default=0)
    rows_valid = models.PositiveBigIntegerField(default=0)
    rows_invalid = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    warnings = models.JSONField(default=list)
    error_groups = models.JSONField(default=list)  # [{message, count, example_rows}]

    # Sending (all counters kept here, updated with each batch).
    send_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    send_started_at = models.DateTimeField(null=True, blank=True)
    send_finished_at = models.DateTimeField(null=True, blank=True)
    api_url = models.CharField(max_length=300, blank=True)
    batch_size = models.PositiveIntegerField(default=0)
    canary_size = models.PositiveIntegerField(null=True, blank=True)  # send N rows, then wait
    rows_to_send = models.PositiveBigIntegerField(default=0)
    rows_created = models.PositiveBigIntegerField(default=0)
    rows_updated = models.PositiveBigIntegerField(default=0)
    rows_failed = models.PositiveBigIntegerField(default=0)
    rows_cancelled = models.PositiveBigIntegerField(default=0)
    paused_reason = models.CharField(max_length=500, blank=True)
    resume_at = models.DateTimeField(null=True, blank=True)  # automatic resume after a cool-off
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    # A re-run of some of this run's failed rows is a child run of the same upload.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # Which of the parent's failed rows the re-run takes ({"group": key, "rows": [numbers]}),
    # kept for the job that copies them.
    rerun_scope = models.JSONField(null=True, blank=True)
    # The retention policy deleted the run's rows and batches (counters and events are kept).
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The roles (core.roles) are built from these: Viewer sees, Operator acts.
        permissions = [
            ("view_runs", "Can see runs, their rows and outcomes, and look up contacts"),
            (
                "operate_runs",
                "Can upload, map, check, send, pause, resume, cancel, re-run, fix rows, export",
            ),
        ]

    def __str__(self) -> str:
        return f"Run #{self.pk} of {self.upload}"

    @property
    def is_finished(self) -> bool:
        """The check has ended (whatever happened since)."""
        return self.status not in CHECKING

    @property
    def is_sending(self) -> bool:
        return self.status in SEND_ACTIVE

    @property
    def is_done(self) -> bool:
        return self.status in SEND_DONE

    @property
    def rows_done(self) -> int:
        return self.rows_created + self.rows_updated + self.rows_failed + self.rows_cancelled


class BatchStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Batch(models.Model):
    """Up to PROPELLER_BATCH_SIZE rows sent in one request (RQ job id: batch-<id>).

    The database is the record: a batch whose lease ran out, or whose RQ job vanished,
    is queued again by the reconciler.
    """

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    rows = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)  # deferred (rate limit, backoff)
    attempts = models.PositiveIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True)  # who holds the lease right now
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=100, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="batch_run_number"),
        ]
        indexes = [
            models.Index(fields=["status", "lease_until"], name="batch_status_lease"),
            models.Index(fields=["run", "status", "number"], name="batch_run_status"),
            models.Index(fields=["run", "-sent_at"], name="batch_run_recent"),
        ]

    def __str__(self) -> str:
        return f"Batch {self.number} of run #{self.run_id}"


class RunEvent(models.Model):
    """Who did what to a run, and when (start, pause, resume, cancel; automatic ones too)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )  # None: the system (e.g. paused after repeated failures)
    action = models.CharField(max_length=20)
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} of run #{self.run_id}"


class RowStatus(models.TextChoices):
    INVALID = "invalid", "Invalid"
    PENDING = "pending", "Ready to send"
    SENDING = "sending", "Sending"
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class StagedJSONField(models.JSONField):
    """A JSONField without SQLite's `CHECK (JSON_VALID(...))`.

    Staging writes these columns with raw SQL from orjson's output (staging.py, reruns.py),
    so the check could never fail there, yet SQLite parsed every value again on insert:
    about a third of the insert's cost for a million rows. PostgreSQL's jsonb has no such
    check either way.
    """

    def db_check(self, connection: Any) -> str | None:
        return None


class ContactRow(models.Model):
    """One data row of the file, staged with its payload and fate. Written in bulk."""

    # No index of their own for the two keys: the composite indexes below start with them,
    # and every index slows the staging of a million rows.
    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    row_number = models.PositiveIntegerField()  # as the user sees it in the file
    cells = StagedJSONField()  # the original cells, in header order
    payload = StagedJSONField(null=True)  # what would be / was sent
    contact_id = models.BigIntegerField(null=True)
    email = models.CharField(max_length=254, blank=True, db_default="")  # lower case, for lookup
    status = models.CharField(max_length=12, choices=RowStatus.choices)
    errors = StagedJSONField(default=list)  # [{field, column, message}]
    # What sending did
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    # db_default: staging.RowWriter inserts rows with raw SQL that leaves these out.
    action = models.CharField(max_length=20, blank=True, db_default="")  # create / update
    propeller_id = models.BigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True, db_default="")  # Propeller's text for a failed row
    response_excerpt = models.TextField(blank=True, db_default="")  # unexpected answer, capped
    attempts = models.PositiveSmallIntegerField(db_default=0)
    # Propeller's message with ids and numbers folded (failures.failure_key): the error group.
    failure_key = models.CharField(max_length=255, blank=True, db_default="")
    # In a re-run, the parent run's row this one retries.
    retry_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retries",
        db_index=False,  # the partial index below: most rows retry nothing
    )
    # An operator's correction of a failed row's cells (header order), used by its next
    # re-run; `cells` keeps what the file said. Null: never corrected.
    fixed_cells = models.JSONField(null=True, blank=True)

    class Meta:
        permissions = [("view_pii", "Can see social security numbers and dates of birth")]
        constraints = [
            # A row is retried by at most one row that is waiting, sent or failed: two
            # re-runs started at once (double click, two tabs) cannot both take it.
            models.UniqueConstraint(
                fields=["retry_of"],
                name="row_one_live_retry",
                condition=models.Q(retry_of__isnull=False)
                & ~models.Q(status__in=["invalid", "cancelled", "skipped"]),
            ),
        ]
        indexes = [
            models.Index(fields=["contact_id"], name="row_contact"),
            models.Index(
                fields=["retry_of"], name="row_retry_of", condition=models.Q(retry_of__isnull=False)
            ),
            # Not the rows waiting to be sent: indexing a million random e-mails while a
            # file is checked cost a quarter of its speed. They enter it when sent.
            models.Index(
                fields=["email"],
                name="row_email",
                condition=~models.Q(email="") & ~models.Q(status="pending"),
            ),
            # The failed rows of a run, by error group. status too: SQLite then counts the
            # groups from the index alone. id too: the run page counts the failed rows no
            # re-run has taken (reruns.rerun_candidates, an anti-join on id); without id
            # PostgreSQL read every failed row from the table for it, ~39k scattered pages
            # per count for a million-row run (SQLite's indexes hold the rowid anyway).
            models.Index(
                fields=["run", "failure_key", "row_number", "status", "id"],
                name="row_run_failure",
                condition=models.Q(status="failed"),
            ),
            models.Index(fields=["batch", "status"], name="row_batch_status"),
            models.Index(fields=["run", "status", "row_number"], name="row_run_status"),
            models.Index(fields=["run", "row_number"], name="row_run_number"),
            models.Index(fields=["run", "contact_id"], name="row_run_contact"),
        ]

    def __str__(self) -> str:
        return f"Row {self.row_number} of run #{self.run_id}"
