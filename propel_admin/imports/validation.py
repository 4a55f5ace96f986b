"""The dry run: read every row, map and check it, and stage it as valid or invalid.

Streams the file and writes rows in chunks (staging.RowWriter), so memory stays flat
in the file's size. Safe to run again for the same run: it starts over cleanly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from propel_admin.audit.actions import RUN_CHECK
from propel_admin.audit.services import audit_record
from propel_admin.core.queue import enqueue_on_commit
from propel_admin.imports import pii
from propel_admin.imports.models import ImportRun, RowStatus, RunStatus, Upload
from propel_admin.imports.roundtrip import HiddenValues, without_export_columns
from propel_admin.imports.staging import STATUS_INDEX, RowWriter, StagedRow, rows_delete
from propel_admin.mapping import (
    DuplicateTracker,
    FieldError,
    MappingSpec,
    MappingSpecError,
    compile_mapping,
)
from propel_admin.parsing import FileRejected, ReadOptions, read_rows

logger = logging.getLogger(__name__)

EXAMPLE_ROWS = 5
MAX_GROUPS = 200
HEADERS_CHANGED = (
    "The file's columns no longer match the mapping (was the file read differently?). "
    "Check the mapping and start the check again."
)


class MappingNotReady(ValueError):
    """The upload's mapping cannot be used yet; the message says why."""


@dataclass
class ErrorGroups:
    """Row errors grouped by their constant message, with counts and example rows."""

    groups: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def add(self, row_number: int, error: FieldError) -> None:
        key = (error.field, error.message)
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= MAX_GROUPS:
                return
            group = {"field": error.field, "column": error.column, "message": error.message,
                     "count": 0, "example_rows": []}  # fmt: skip
            self.groups[key] = group
        group["count"] += 1
        if len(group["example_rows"]) < EXAMPLE_ROWS:
            group["example_rows"].append(row_number)

    def ranked(self) -> list[dict[str, Any]]:
        return sorted(self.groups.values(), key=lambda g: (-g["count"], g["message"]))


def run_create(*, upload: Upload, user: User, enqueue: bool = True) -> ImportRun:
    """Start the dry run of an upload with its current mapping (enqueued after commit)."""
    from propel_admin.imports.services import UploadPurged, upload_file_purged

    if upload.purged_at is not None:
        raise UploadPurged(upload_file_purged(upload))
    spec = MappingSpec.from_dict(upload.mapping or {})
    problems = spec.problems(upload.headers)
    if problems:
        raise MappingNotReady("; ".join(p.text for p in problems))
    with transaction.atomic():
        run = ImportRun.objects.create(
            upload=upload,
            mapping=spec.to_dict(),
            read_options=upload.read_options,
            created_by=user,
        )
        detail = f"upload {upload.pk}: {upload.original_name}"
        audit_record(user=user, action=RUN_CHECK, obj=run, detail=detail)
        if enqueue:
            from propel_admin.imports.tasks import run_validate_task

            enqueue_on_commit(run_validate_task, run.pk)
    logger.info("run %s created for upload %s", run.pk, upload.pk)
    return run


def run_validate(*, run_id: int) -> None:
    """The RQ job: read, map, check and stage every row of the run's upload."""
    run = ImportRun.objects.select_related("upload").get(pk=run_id)
    if run.is_finished:
        logger.info("run %s already checked; nothing to do", run_id)
        return
    _start(run)
    try:
        groups, warnings = _stage_rows(run)
    except (FileRejected, MappingSpecError, MappingNotReady) as exc:
        _reject(run, getattr(exc, "message", None) or str(exc))
        return
    except Exception:
        _reject(run, "Checking the file failed unexpectedly. Try again; if it keeps failing, "
                     "tell your administrator (the details are in the worker's log).")  # fmt: skip
        logger.exception("run %s: checking failed", run_id)
        raise
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.VALIDATED,
        finished_at=timezone.now(),
        warnings=warnings,
        error_groups=groups.ranked(),
    )
    logger.info("run %s checked", run_id)


def _start(run: ImportRun) -> None:
    with transaction.atomic():
        rows_delete(run_id=run.pk)  # a retried job starts over
        ImportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.VALIDATING,
            started_at=timezone.now(),
            rows_read=0,
            rows_valid=0,
            rows_invalid=0,
            error="",
        )


def _reject(run: ImportRun, message: str) -> None:
    with transaction.atomic():
        rows_delete(run_id=run.pk)  # nothing half-stored
        ImportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.REJECTED,
            error=message,
            finished_at=timezone.now(),
            rows_read=0,
            rows_valid=0,
            rows_invalid=0,
        )


def _stage_rows(run: ImportRun) -> tuple[ErrorGroups, list[str]]:
    upload = run.upload
    reader = read_rows(
        upload.file.path,
        ReadOptions.from_dict(run.read_options),
        original_name=upload.original_name,
    )
    with reader:
        if list(reader.headers) != list(upload.headers):
            raise MappingNotReady(HEADERS_CHANGED)
        spec = without_export_columns(MappingSpec.from_dict(run.mapping), reader.headers)
        mapper = compile_mapping(spec, reader.headers, duplicates=DuplicateTracker())
        hidden = HiddenValues(reader.headers, spec)  # a re-uploaded export's masked PII
        sealer = pii.sealer_for(spec, reader.headers)  # None without an SSN column: no cost
        groups = ErrorGroups()
        valid, invalid = RowStatus.PENDING.value, RowStatus.INVALID.value
        writer = RowWriter(run.pk, on_flush=lambda rows: _count(run.pk, rows))
        with writer:
            for row in reader:
                cells, lost = hidden.restore(row.cells) if hidden.active else (row.cells, [])
                mapped = mapper.map(cells, row_number=row.number)
                all_errors = [*lost, *mapped.errors] if lost else mapped.errors
                errors = [_error_dict(e) for e in all_errors]
                for error in all_errors:
                    groups.add(row.number, error)
                raw_id = mapped.payload.get("id")
                if sealer is not None:
                    cells = sealer.row(cells, mapped.payload)
                writer.add(
                    row_number=row.number,
                    cells=cells,
                    payload=mapped.payload,
                    contact_id=raw_id if isinstance(raw_id, int) else None,
                    status=invalid if errors else valid,
                    errors=errors,
                )
        return groups, list(reader.warnings)


def _error_dict(error: FieldError) -> dict[str, Any]:
    return {"field": error.field, "column": error.column, "message": error.message,
            "text": error.text}  # fmt: skip


def _count(run_id: int, rows: list[StagedRow]) -> None:
    """Add a written chunk to the run's counters (inside the chunk's transaction)."""
    invalid = sum(1 for row in rows if row[STATUS_INDEX] == RowStatus.INVALID)
    ImportRun.objects.filter(pk=run_id).update(
        rows_read=F("rows_read") + len(rows),
        rows_valid=F("rows_valid") + (len(rows) - invalid),
        rows_invalid=F("rows_invalid") + invalid,
    )
