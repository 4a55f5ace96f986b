"""Results and failures of a run as rows for a CSV or XLSX download (exports.py writes them).

Rows are read in keyset chunks (`row_number > last`, never OFFSET), so a million-row run
streams in flat memory. Every exported row ends with the outcome columns and the two
reference columns that let a fixed file come back (roundtrip.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from propel_admin.imports.exports import neutralise
from propel_admin.imports.models import ContactRow, ImportRun, RowStatus
from propel_admin.imports.roundtrip import EXPORT_COLUMNS, data_columns
from propel_admin.imports.selectors import MASKED, PII_FIELDS

logger = logging.getLogger(__name__)

CHUNK = 2000
RESULTS, FAILURES = "results", "failures"
KINDS = (RESULTS, FAILURES)
FORMATS = ("csv", "xlsx")
_STATUS_LABELS = dict(RowStatus.choices)


@dataclass(frozen=True)
class ExportRequest:
    run: ImportRun
    kind: str = RESULTS  # RESULTS: every row; FAILURES: the rows Propeller refused
    reveal_pii: bool = False

    @property
    def sheet(self) -> str:
        return "Failed rows" if self.kind == FAILURES else "Results"

    def filename(self, file_format: str) -> str:
        stem = PurePath(self.run.upload.original_name).stem or "upload"
        kind = "failed-rows" if self.kind == FAILURES else "results"
        return f"{stem}-{kind}-run-{self.run.pk}.{file_format}"


def export_counts(*, run: ImportRun) -> dict[str, int]:
    """How many rows each export holds, from the run's counters (nothing counted)."""
    return {RESULTS: run.rows_read, FAILURES: run.rows_failed}


def pii_columns(run: ImportRun) -> frozenset[str]:
    """Headers of the columns mapped to a social security number or date of birth."""
    columns = run.mapping.get("columns", [])
    return frozenset(c["header"] for c in columns if c.get("target") in PII_FIELDS)


def export_rows(request: ExportRequest) -> Iterator[list[Any]]:
    """Header, then each row: original cells, status, action, Propeller id, message, refs."""
    run = request.run
    headers = list(run.upload.headers)
    keep = data_columns(headers)  # a re-uploaded export's own outcome columns are dropped
    hidden = set() if request.reveal_pii else pii_columns(run)
    masked = [i for i in keep if headers[i] in hidden]
    yield [*(neutralise(headers[i]) for i in keep), *EXPORT_COLUMNS]
    rows = ContactRow.objects.filter(run=run)
    if request.kind == FAILURES:
        rows = rows.filter(status=RowStatus.FAILED)
    fields = ("row_number", "cells", "status", "action", "propeller_id", "message", "errors")
    run_id, last = str(run.pk), 0
    while True:
        chunk = list(
            rows.filter(row_number__gt=last).order_by("row_number").values_list(*fields)[:CHUNK]
        )
        for number, cells, status, action, propeller_id, message, errors in chunk:
            width = len(cells)
            for index in masked:
                if index < width and cells[index] not in (None, ""):
                    cells[index] = MASKED
            yield [
                *(neutralise(cells[i]) if i < width else "" for i in keep),
                _STATUS_LABELS.get(status, status),
                action,
                "" if propeller_id is None else str(propeller_id),
                neutralise(message or _problems(errors)),
                run_id,
                str(number),
            ]
        if len(chunk) < CHUNK:
            return
        last = chunk[-1][0]


def _problems(errors: list[dict[str, Any]] | None) -> str:
    texts = []
    for error in errors or []:
        column = error.get("column")
        text = str(error.get("text") or error.get("message") or "")
        texts.append(f"{column}: {text}" if column else text)
    return "; ".join(texts)


def export_logged(request: ExportRequest, *, who: str, file_format: str) -> None:
    """Who downloaded what; whether personal data was shown (never the data itself)."""
    logger.info(
        "run %s: %s export (%s) by %s%s",
        request.run.pk,
        request.kind,
        file_format,
        who,
        ", social security numbers and dates of birth shown" if request.reveal_pii else "",
    )
