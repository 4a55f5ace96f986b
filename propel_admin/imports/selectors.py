"""Reads for the imports pages (selectors). Writes live in services.py."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from propel_admin.imports import history_selectors, pii
from propel_admin.imports.models import (
    Batch,
    ContactRow,
    ImportRun,
    RowStatus,
    RunEvent,
    RunStatus,
    Upload,
)
from propel_admin.mapping import (
    PII_FIELDS,
    MappingSpec,
    MappingSpecError,
    pii_columns,
    pii_payload_keys,
)

RATE_WINDOW = timedelta(hours=1)


def upload_rate_limit_until(*, user: User, now: datetime | None = None) -> datetime | None:
    """When this user may upload again, or None if now (UPLOAD_RATE_LIMIT uploads an hour)."""
    now = now or timezone.now()
    limit = settings.UPLOAD_RATE_LIMIT
    newest = list(
        Upload.objects.filter(uploaded_by=user, created_at__gt=now - RATE_WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(newest) < limit:
        return None
    # Once the oldest of the last `limit` uploads leaves the window, one more fits.
    return newest[-1] + RATE_WINDOW


def upload_list(*, limit: int = 50) -> QuerySet[Upload]:
    return Upload.objects.select_related("uploaded_by").order_by("-created_at", "-id")[:limit]


def run_progress(*, run: ImportRun) -> dict[str, Any]:
    """What the run page shows: counters from the run itself, never counted per request."""
    context: dict[str, Any] = {"run": run, "propeller_api_url": settings.PROPELLER_API_URL,
                               "batch_size": settings.PROPELLER_BATCH_SIZE,
                               "xlsx_max_rows": settings.EXPORT_XLSX_MAX_ROWS}  # fmt: skip
    if not (run.is_sending or run.is_done):
        context["canary_default"] = max(1, min(100, run.rows_valid // 10 or 1))
        return context
    done = run.rows_done
    total = max(run.rows_to_send, 1)
    started = run.send_started_at or timezone.now()
    ended = run.send_finished_at or timezone.now()
    seconds = max((ended - started).total_seconds(), 0.001)
    sent = run.rows_created + run.rows_updated + run.rows_failed
    rate = sent / seconds if sent else 0.0
    remaining = run.rows_to_send - done
    context.update(
        percent=int(100 * done / total),
        rate=rate,
        eta_seconds=int(remaining / rate) if rate and run.status == RunStatus.SENDING else None,
        waiting=max(remaining, 0),
        batches=Batch.objects.filter(run=run)
        .exclude(sent_at__isnull=True)
        .order_by("-sent_at")[:10],
        events=RunEvent.objects.filter(run=run).select_related("user").order_by("-at")[:10],
        # The review: outcomes, throughput and error groups (history_selectors).
        outcomes=history_selectors.run_outcomes(run=run),
        throughput=history_selectors.run_throughput(run=run),
        failures=history_selectors.failure_groups(run=run) if run.rows_failed else None,
    )
    return context


ROWS_PAGE = 50
MASKED = "•••"


def row_page(
    *, run: ImportRun, status: str = "", query: str = "", after: int = 0, group: str = ""
) -> tuple[list[ContactRow], int | None]:
    """One page of the run's rows in file order (keyset on row_number), and the next key."""
    rows = ContactRow.objects.filter(run=run, row_number__gt=after)
    if group:  # an error group: the partial index (run, failure_key, row_number) of failed rows
        rows = rows.filter(status=RowStatus.FAILED, failure_key=group)
    elif status:
        rows = rows.filter(status=status)
    query = query.strip()
    if query.isdigit():
        rows = rows.filter(contact_id=int(query))
    elif "@" in query:
        rows = rows.filter(payload__email__iexact=query)
    elif query:
        rows = rows.filter(
            Q(payload__firstName__icontains=query) | Q(payload__lastName__icontains=query)
        )
    page = list(
        rows.order_by("row_number").only(
            "row_number", "status", "contact_id", "payload", "message", "errors", "propeller_id"
        )[: ROWS_PAGE + 1]
    )
    next_after = page[ROWS_PAGE - 1].row_number if len(page) > ROWS_PAGE else None
    return page[:ROWS_PAGE], next_after


def masked_payload(
    payload: dict[str, Any] | None, hidden: Collection[str] = PII_FIELDS
) -> dict[str, Any]:
    """The payload with social security numbers and dates of birth hidden (`hidden`: the
    keys to hide, run_pii_payload_keys when a PII column is mapped to another field)."""
    return {
        k: (MASKED if k in PII_FIELDS or k in hidden or pii.is_sealed(v) else v)
        for k, v in (payload or {}).items()
    }


def _run_spec(run: ImportRun) -> MappingSpec:
    try:
        return MappingSpec.from_dict(run.mapping)
    except MappingSpecError:  # a damaged snapshot: the column names still tell
        return MappingSpec()


def run_pii_columns(*, run: ImportRun) -> dict[int, str]:
    """Index -> field (ssn, dateOfBirth) of the run's columns of personal data: mapped to
    one or named like one, whatever they are mapped to (mapping.pii_columns)."""
    return pii_columns(_run_spec(run), run.upload.headers)


def run_pii_payload_keys(*, run: ImportRun) -> frozenset[str]:
    """The payload keys the run's PII columns fill (mapping.pii_payload_keys)."""
    return pii_payload_keys(_run_spec(run), run.upload.headers)


def run_pii_fields(*, run: ImportRun) -> list[str]:
    """The PII fields (ssn, dateOfBirth) of the run's columns, mapped or named."""
    return sorted(set(run_pii_columns(run=run).values()))


def row_detail(*, row: ContactRow, reveal: bool = False) -> dict[str, Any]:
    """Everything about one row: cells, payload, answer, batch. PII masked unless `reveal`
    (the caller checked the permission and recorded it: pii_views.row_reveal)."""
    run = row.run
    if reveal:
        cells = list(zip(run.upload.headers, pii.open_cells(row.cells) or [], strict=False))
        payload = pii.open_payload(row.payload)
    else:
        hidden = run_pii_columns(run=run)
        cells = [
            (header, MASKED if _hidden(index in hidden, value) else value)
            for index, (header, value) in enumerate(
                zip(run.upload.headers, row.cells, strict=False)
            )
        ]
        payload = masked_payload(row.payload, run_pii_payload_keys(run=run))
    return {
        "row": row,
        "run": run,
        "cells": cells,
        "payload_json": json.dumps(payload, indent=1, ensure_ascii=False),
        "batch": row.batch,
        "other_rows": history_selectors.contact_other_rows(row=row),
        "pii_fields": run_pii_fields(run=run),
        "revealed": reveal,
    }


def _hidden(pii_column: bool, value: Any) -> bool:
    return (pii_column and value not in (None, "")) or pii.is_sealed(value)
