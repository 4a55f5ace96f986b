"""Uploads, mapping templates, import runs and their staged contact rows."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models


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
    # The first rows, read in the upload request, so pages never re-parse the file.
    preview = models.JSONField(default=list)  # [{"number": n, "cells": [...]}]

    mapping = models.JSONField(default=dict, blank=True)  # a mapping.MappingSpec as a dict
    suggestions = models.JSONField(default=list)  # why each column got its target
    template = models.ForeignKey(
        "MappingTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

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

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    VALIDATING = "validating", "Checking rows"
    VALIDATED = "validated", "Checked"
    REJECTED = "rejected", "File could not be read"


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

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Run #{self.pk} of {self.upload}"

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.VALIDATED, RunStatus.REJECTED)


class RowStatus(models.TextChoices):
    INVALID = "invalid", "Invalid"
    PENDING = "pending", "Ready to send"
    SENDING = "sending", "Sending"
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class ContactRow(models.Model):
    """One data row of the file, staged with its payload and fate. Written in bulk."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()  # as the user sees it in the file
    cells = models.JSONField()  # the original cells, in header order
    payload = models.JSONField(null=True)  # what would be / was sent
    contact_id = models.BigIntegerField(null=True)
    status = models.CharField(max_length=12, choices=RowStatus.choices)
    errors = models.JSONField(default=list)  # [{field, column, message}]

    class Meta:
        indexes = [
            models.Index(fields=["run", "status", "row_number"], name="row_run_status"),
            models.Index(fields=["run", "row_number"], name="row_run_number"),
            models.Index(fields=["run", "contact_id"], name="row_run_contact"),
        ]

    def __str__(self) -> str:
        return f"Row {self.row_number} of run #{self.run_id}"
