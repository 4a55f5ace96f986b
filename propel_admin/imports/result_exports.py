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

import orjson
from django.db import connection

from propel_admin.audit.actions import EXPORT_DOWNLOAD, PII_REVEAL
from propel_admin.audit.services import audit_record
from propel_admin.imports import pii
from propel_admin.imports.exports import FORMULA_STARTS, neutralise
from propel_admin.imports.models import ContactRow, ImportRun, RowStatus
from propel_admin.imports.roundtrip import EXPORT_COLUMNS, data_columns
from propel_admin.imports.selectors import MASKED, run_pii_columns

logger = logging.getLogger(__name__)

CHUNK = 2000
RESULTS, FAILURES = "results", "failures"
KINDS = (RESULTS, FAILURES)
FORMATS = ("csv", "xlsx")
_STATUS_LABELS = dict(RowStatus.choices)
_FORMULA_FIRST = frozenset(start[0] for start in FORMULA_STARTS)


@dataclass(frozen=True)
class ExportRequest:
    run: ImportRun
    kind: str = RESULTS  # RESULTS: every row; FAILURES: the rows Propeller refused
    reveal_pii: bool = False

    @property
    def sheet(self) -> str:
        return "Failed rows" if self.kind == FAILURES else "Results"

    @property
    def row_count(self) -> int:
        return export_counts(run=self.run)[self.kind]

    def filename(self, file_format: str) -> str:
        stem = PurePath(self.run.upload.original_name).stem or "upload"
        kind = "failed-rows" if self.kind == FAILURES else "results"
        return f"{stem}-{kind}-run-{self.run.pk}.{file_format}"


def export_counts(*, run: ImportRun) -> dict[str, int]:
    """How many rows each export holds, from the run's counters (nothing counted)."""
    return {RESULTS: run.rows_read, FAILURES: run.rows_failed}


def export_rows(request: ExportRequest) -> Iterator[list[Any]]:
    """Header, then each row: original cells, status, action, Propeller id, message, refs."""
    run = request.run
    headers = list(run.upload.headers)
    keep = data_columns(headers)  # a re-uploaded export's own outcome columns are dropped
    hidden = {} if request.reveal_pii else run_pii_columns(run=run)  # mapped or named as PII
    masked = [i for i in keep if i in hidden]
    reveal = request.reveal_pii
    yield [*(neutralise(headers[i]) for i in keep), *EXPORT_COLUMNS]
    status = RowStatus.FAILED if request.kind == FAILURES else None
    run_id, width = str(run.pk), len(headers)
    every = len(keep) == width
    first = _FORMULA_FIRST
    for number, cells_json, state, action, propeller_id, message, errors_json in _chunks(
        run.pk, status
    ):
        cells = orjson.loads(cells_json)
        if reveal:  # asked for and allowed (export_logged records it): SSNs opened
            cells = pii.open_cells(cells)
        if len(cells) < width:
            cells += [None] * (width - len(cells))
        for index in masked:
            if cells[index] not in (None, ""):
                cells[index] = MASKED
        if not message and state == RowStatus.INVALID:
            message = _problems(orjson.loads(errors_json))
        cells = cells[:width] if every else [cells[i] for i in keep]
        yield [
            *(  # neutralise(), inlined for the common case: text that is no formula
                c if c.__class__ is str and c[:1] not in first else neutralise(c) for c in cells
            ),
            _STATUS_LABELS.get(state, state),
            action,
            "" if propeller_id is None else str(propeller_id),
            neutralise(message),
            run_id,
            str(number),
        ]


def _chunks(run_id: int, status: str | None) -> Iterator[tuple[Any, ...]]:
    """The run's rows in file order, CHUNK at a time by keyset (row_number > last).

    Raw SQL with the JSON as text: orjson decodes it several times faster than the ORM's
    JSONField, and the errors are decoded only for the invalid rows that need them.
    """
    table = ContactRow._meta.db_table
    where = "run_id = %s AND row_number > %s" + (" AND status = %s" if status else "")
    sql = (
        "SELECT row_number, cells, status, action, propeller_id, message, errors "  # noqa: S608
        f"FROM {table} WHERE {where} ORDER BY row_number LIMIT %s"
    )
    last = 0
    while True:
        params: list[Any] = [run_id, last, *([status] if status else []), CHUNK]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            chunk = cursor.fetchall()
        yield from chunk
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


RUN_PURGED = (
    "The rows of this run were deleted on {date} by the retention policy, so there is nothing "
    "to export. The counts on the run page are kept."
)


def export_refusal(run: ImportRun) -> str:
    """Why the run's rows cannot be exported, or "" when they can."""
    if run.purged_at is None:
        return ""
    return RUN_PURGED.format(date=run.purged_at.strftime("%d %b %Y"))


def export_logged(request: ExportRequest, *, who: str, file_format: str, user: Any = None) -> None:
    """Who downloaded what; whether personal data was shown (never the data itself).

    Logged and written to the audit trail (`user` None: `who` names the actor).
    """
    shown = ", social security numbers and dates of birth shown" if request.reveal_pii else ""
    actor = {"user": user, "username": "" if user is not None else who, "obj": request.run}
    detail = f"{request.kind} ({file_format})"
    audit_record(action=EXPORT_DOWNLOAD, detail=detail + shown, **actor)
    if request.reveal_pii:  # found under "Personal data shown" too
        audit_record(action=PII_REVEAL, detail=f"in the {detail} export", **actor)
    logger.info(
        "run %s: %s export (%s) by %s%s",
        request.run.pk,
        request.kind,
        file_format,
        who,
        ", social security numbers and dates of birth shown" if request.reveal_pii else "",
    )


def text_chunks(lines: Iterator[str], *, lines_per_chunk: int = 500) -> Iterator[str]:
    """Lines joined into larger pieces: a million tiny writes cost the server more than the CSV."""
    piece: list[str] = []
    for line in lines:
        piece.append(line)
        if len(piece) >= lines_per_chunk:
            yield "".join(piece)
            piece = []
    if piece:
        yield "".join(piece)
