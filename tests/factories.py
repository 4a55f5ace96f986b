"""Objects written straight into the database, for tests that need runs of a given age."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from propel_admin.imports.models import (
    Batch,
    BatchStatus,
    ContactRow,
    ImportRun,
    RowStatus,
    RunStatus,
    Upload,
)

CSV = b"Contact ID,Email,BSN\n1,a@example.com,123456782\n2,b@example.com,223456782\n"


def upload_make(user: Any, *, age_days: float = 0, content: bytes = CSV) -> Upload:
    """An upload with its file stored under MEDIA_ROOT, created `age_days` ago."""
    upload = Upload(
        original_name="contacts.csv",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
        file_format="csv",
        headers=["Contact ID", "Email", "BSN"],
    )
    upload.file.save("contacts.csv", ContentFile(content), save=False)
    upload.save()
    Upload.objects.filter(pk=upload.pk).update(created_at=_ago(age_days))
    upload.refresh_from_db()
    return upload


def run_make(
    upload: Upload,
    user: Any,
    *,
    age_days: float = 0,
    status: str = RunStatus.FINISHED,
    rows: int = 3,
    rows_per_batch: int = 2,
) -> ImportRun:
    """A run with `rows` staged rows (created) in batches, every timestamp `age_days` ago."""
    when = _ago(age_days)
    run = ImportRun.objects.create(
        upload=upload,
        mapping={"columns": [], "constants": {}},
        read_options={},
        created_by=user,
        status=status,
        rows_read=rows,
        rows_valid=rows,
        rows_to_send=rows,
        rows_created=rows,
    )
    batches = [
        Batch(run=run, number=n + 1, rows=rows_per_batch, status=BatchStatus.DONE)
        for n in range(-(-rows // rows_per_batch))
    ]
    Batch.objects.bulk_create(batches)
    ContactRow.objects.bulk_create(
        ContactRow(
            run=run,
            row_number=n + 2,
            cells=[str(n), f"c{n}@example.com", "123456782"],
            payload={"id": n},
            contact_id=n,
            status=RowStatus.CREATED,
            batch=batches[n // rows_per_batch],
        )
        for n in range(rows)
    )
    ImportRun.objects.filter(pk=run.pk).update(
        created_at=when, finished_at=when, send_started_at=when, send_finished_at=when
    )
    run.refresh_from_db()
    return run


def _ago(days: float) -> Any:
    return timezone.now() - timedelta(days=days)
