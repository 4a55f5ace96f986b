"""Re-runs of failed rows as child runs, and inline fixes of failed rows (services).

A re-run is a child run of the same upload: each failed row chosen is copied with its
cells (the operator's fix if there is one), mapped and checked again, and points back
at the row it retries (`retry_of`). Only failed rows that no later row has taken over
(waiting, sent or failed again) are eligible, so a contact that was created by a
re-run is never sent again by accident, and two re-runs cannot take the same row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from propel_admin.audit.actions import ROW_FIX, RUN_RERUN
from propel_admin.audit.services import audit_record
from propel_admin.imports import jobs, mapping_edit, pii, run_control
from propel_admin.imports.failures import failure_key
from propel_admin.imports.models import (
    CHECKING,
    SEND_DONE,
    ContactRow,
    ImportRun,
    MappingTemplate,
    RowStatus,
    RunEvent,
    RunStatus,
)
from propel_admin.imports.selectors import run_pii_columns
from propel_admin.imports.staging import rows_delete
from propel_admin.imports.validation import ErrorGroups, _error_dict
from propel_admin.mapping import (
    DuplicateTracker,
    MappedRow,
    MappingSpec,
    compile_mapping,
)

logger = logging.getLogger(__name__)

# A retry in one of these states has taken its row over: the row is not eligible again.
RETRY_TAKEN = (
    RowStatus.PENDING, RowStatus.SENDING, RowStatus.CREATED, RowStatus.UPDATED, RowStatus.FAILED
)  # fmt: skip
INSERT_CHUNK = 1000
RETRY_COLUMNS = (
    "run_id", "row_number", "cells", "payload", "contact_id", "email", "status", "errors",
    "retry_of_id",
)  # fmt: skip
JSON_COLUMNS = frozenset({"cells", "payload", "errors"})
STATUS = RETRY_COLUMNS.index("status")

NOT_DONE = "Run #{run} is still {status}: re-run its failed rows once it has finished."
NOTHING_TO_RERUN = "Run #{run} has no failed row to re-run{scope}."
NOT_FAILED = (
    "Only failed rows can be re-run: {rows} of run #{run} did not fail "
    "(rows that reached Propeller are never sent again by a re-run)."
)
ALREADY_RERUN = (
    "Every row chosen was re-run already (see run #{child}); re-run them from there if they "
    "failed again."
)
ALREADY_STARTED = "These rows are being re-run already in run #{child}."
ROWS_TAKEN = (
    "Another re-run took some of these rows while this one was being prepared; nothing was "
    "sent. Re-run the rows still failed from the parent run."
)
TEMPLATE_MISFIT = "The template “{name}” does not fit this file: {problems}"
ROW_NOT_FIXABLE = (
    "Only a failed row that has not been re-run yet can be corrected here; this one is {status}."
)
ID_TAKEN = "Row {row} of this file has this contact id already: pick the id of this contact."


class RerunRefused(ValueError):
    """The re-run (or fix) cannot be done; the message says why, for people."""


class RerunAlreadyStarted(RerunRefused):
    """The same rows are being re-run already (a double click, a second tab)."""

    def __init__(self, child_id: int) -> None:
        super().__init__(ALREADY_STARTED.format(child=child_id))
        self.child_id = child_id


@dataclass(frozen=True)
class RerunScope:
    """Which failed rows: all, one error group (a failure_key), or chosen row numbers."""

    group: str = ""
    row_numbers: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "rows": list(self.row_numbers)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RerunScope:
        return cls(group=data.get("group", ""), row_numbers=tuple(data.get("rows", [])))

    def describe(self) -> str:
        if self.row_numbers:
            shown = ", ".join(str(n) for n in self.row_numbers[:10])
            more = f" and {len(self.row_numbers) - 10} more" if len(self.row_numbers) > 10 else ""
            return f"row{'s' if len(self.row_numbers) > 1 else ''} {shown}{more}"
        if self.group:
            return f"the group “{self.group}”"
        return "all failed rows"


def _retry_taken() -> Exists:
    return Exists(ContactRow.objects.filter(retry_of=OuterRef("pk"), status__in=RETRY_TAKEN))


def rows_in_scope(*, run: ImportRun, scope: RerunScope) -> QuerySet[ContactRow]:
    """The run's failed rows the scope names, eligible or not."""
    rows = ContactRow.objects.filter(run=run, status=RowStatus.FAILED)
    if scope.group:
        rows = rows.filter(failure_key=scope.group)
    if scope.row_numbers:
        rows = rows.filter(row_number__in=scope.row_numbers)
    return rows


def rerun_candidates(*, run: ImportRun, scope: RerunScope) -> QuerySet[ContactRow]:
    """The failed rows in scope that no later row has taken over.

    Counted on every finished run's page: the partial index row_run_failure carries the
    rows' ids so the anti-join needs no table read (see the model).
    """
    return rows_in_scope(run=run, scope=scope).exclude(_retry_taken())


def group_key(*, run: ImportRun, text: str) -> str | None:
    """The run's error group named by its exact key, or by a message that folds to it."""
    failed = ContactRow.objects.filter(run=run, status=RowStatus.FAILED)
    for key in (text.strip(), failure_key(text)):
        if key and failed.filter(failure_key=key).exists():
            return key
    return None


def _event(run_id: int, user: User | None, action: str, detail: str) -> None:
    RunEvent.objects.create(run_id=run_id, user=user, action=action, detail=detail[:500])


def run_rerun_create(
    *,
    run_id: int,
    user: User,
    scope: RerunScope,
    template: MappingTemplate | None = None,
) -> ImportRun:
    """Create a child run for the eligible failed rows; a job copies, checks and sends them.

    Started twice at once, the second call finds the first child still being prepared (or
    the rows taken) and raises RerunAlreadyStarted naming it.
    """
    with transaction.atomic():
        parent = ImportRun.objects.select_for_update().select_related("upload").get(pk=run_id)
        if parent.status not in SEND_DONE:
            status = parent.get_status_display().lower()
            raise RerunRefused(NOT_DONE.format(run=parent.pk, status=status))
        if parent.purged_at is not None:
            date = parent.purged_at.strftime("%d %b %Y")
            raise RerunRefused(run_control.RUN_PURGED.format(date=date))
        preparing = parent.children.filter(status__in=CHECKING).order_by("-pk").first()
        if preparing is not None:
            raise RerunAlreadyStarted(preparing.pk)
        _refuse_rows_not_failed(parent, scope)
        spec = _spec(parent, template)
        if not rerun_candidates(run=parent, scope=scope).exists():
            _refuse_nothing(parent, scope)
        child = ImportRun.objects.create(
            upload=parent.upload, mapping=spec.to_dict(), read_options=parent.read_options,
            created_by=user, parent=parent, rerun_scope=scope.to_dict(),
        )  # fmt: skip
        mapping = f"template “{template.name}”" if template else "the run's mapping"
        detail = f"{scope.describe()} with {mapping}"
        _event(parent.pk, user, "rerun", f"{detail}, as run #{child.pk}")
        _event(child.pk, user, "created", f"re-run of run #{parent.pk}: {detail}")
        audit_record(
            user=user, action=RUN_RERUN, obj=parent, detail=f"{detail}, as run #{child.pk}"
        )
        transaction.on_commit(lambda: jobs.enqueue_rerun_stage(child.pk))
    logger.info("run %s: re-run %s created", parent.pk, child.pk)
    return child


def rerun_stage(*, run_id: int) -> None:
    """The RQ job: copy the parent's eligible failed rows, check them, then start sending.

    Safe to run again (a retried job starts over). Rows a later run took meanwhile are left
    out; losing a race for a row to another re-run rejects this one, with nothing sent.
    """
    child = ImportRun.objects.select_related("upload", "parent", "created_by").get(pk=run_id)
    if child.is_finished or child.parent is None:
        return
    with transaction.atomic():
        rows_delete(run_id=child.pk)
        ImportRun.objects.filter(pk=child.pk).update(
            status=RunStatus.VALIDATING, started_at=timezone.now(),
            rows_read=0, rows_valid=0, rows_invalid=0,
        )  # fmt: skip
    scope = RerunScope.from_dict(child.rerun_scope or {})
    candidates = rerun_candidates(run=child.parent, scope=scope).order_by("row_number")
    try:
        groups = _stage_retries(child, MappingSpec.from_dict(child.mapping), candidates)
    except IntegrityError:  # another re-run took some of the rows after this one was made
        with transaction.atomic():
            rows_delete(run_id=child.pk)
            ImportRun.objects.filter(pk=child.pk).update(
                status=RunStatus.REJECTED, error=ROWS_TAKEN, finished_at=timezone.now(),
                rows_read=0, rows_valid=0, rows_invalid=0,
            )  # fmt: skip
        return
    with transaction.atomic():  # no page sees it checked but not started: it polls on
        ImportRun.objects.filter(pk=child.pk).update(
            status=RunStatus.VALIDATED, finished_at=timezone.now(), error_groups=groups.ranked()
        )
        child.refresh_from_db()
        if child.rows_valid:
            run_control.run_start(run_id=child.pk, user=child.created_by)
    logger.info("re-run %s checked: %s rows", child.pk, child.rows_read)


def _refuse_rows_not_failed(parent: ImportRun, scope: RerunScope) -> None:
    if not scope.row_numbers:
        return
    failed = set(rows_in_scope(run=parent, scope=scope).values_list("row_number", flat=True))
    others = [n for n in scope.row_numbers if n not in failed]
    if others:
        rows = ", ".join(f"row {n}" for n in others[:10])
        raise RerunRefused(NOT_FAILED.format(rows=rows, run=parent.pk))


def _refuse_nothing(parent: ImportRun, scope: RerunScope) -> None:
    child_id = _taking_child(parent, scope)
    if child_id is None:
        scope_text = "" if not (scope.group or scope.row_numbers) else f" in {scope.describe()}"
        raise RerunRefused(NOTHING_TO_RERUN.format(run=parent.pk, scope=scope_text))
    child = ImportRun.objects.get(pk=child_id)
    if child.status in SEND_DONE:
        raise RerunRefused(ALREADY_RERUN.format(child=child_id))
    raise RerunAlreadyStarted(child_id)


def _taking_child(parent: ImportRun, scope: RerunScope) -> int | None:
    """The newest run whose rows took over rows in the scope, if any."""
    taken = ContactRow.objects.filter(
        retry_of__in=rows_in_scope(run=parent, scope=scope), status__in=RETRY_TAKEN
    )
    return taken.order_by("-run_id").values_list("run_id", flat=True).first()


def _spec(parent: ImportRun, template: MappingTemplate | None) -> MappingSpec:
    if template is None:
        return MappingSpec.from_dict(parent.mapping)
    spec, _ = mapping_edit.template_spec(upload=parent.upload, template=template)
    problems = spec.problems(parent.upload.headers)
    if problems:
        text = "; ".join(p.text for p in problems)
        raise RerunRefused(TEMPLATE_MISFIT.format(name=template.name, problems=text))
    return spec


def _stage_retries(child: ImportRun, spec: MappingSpec, rows: QuerySet[ContactRow]) -> ErrorGroups:
    """Map and check each row again; write them a chunk at a time with the run's counters.

    Reads by row number (keyset), so memory stays flat and no read cursor is open on the
    table while a chunk is written.
    """
    mapper = compile_mapping(spec, child.upload.headers, duplicates=DuplicateTracker())
    sealer = pii.sealer_for(spec, child.upload.headers)
    groups = ErrorGroups()
    after = 0
    fields = ("pk", "row_number", "cells", "fixed_cells")
    while chunk := list(rows.filter(row_number__gt=after).only(*fields)[:INSERT_CHUNK]):
        staged = [_retry_row(child.pk, row, mapper.map, groups, sealer) for row in chunk]
        invalid = sum(row[STATUS] == RowStatus.INVALID for row in staged)
        with transaction.atomic():
            _insert_retries(staged)
            ImportRun.objects.filter(pk=child.pk).update(
                rows_read=F("rows_read") + len(staged),
                rows_valid=F("rows_valid") + len(staged) - invalid,
                rows_invalid=F("rows_invalid") + invalid,
            )
        after = chunk[-1].row_number
    return groups


def _retry_row(
    run_id: int,
    row: ContactRow,
    map_row: Callable[..., MappedRow],
    groups: ErrorGroups,
    sealer: pii.Sealer | None,
) -> tuple[Any, ...]:
    """One row of the child as RETRY_COLUMNS values, JSON as text (SSNs sealed again)."""
    stored = row.fixed_cells if row.fixed_cells is not None else row.cells
    cells = pii.open_cells(stored) or []
    mapped = map_row(cells, row_number=row.row_number)
    for error in mapped.errors:
        groups.add(row.row_number, error)
    if sealer is not None:  # the child's own mapping says which columns are sealed
        cells = sealer.row(cells, mapped.payload)
    cells = pii.sealed_as_before(stored, cells)
    raw_id = mapped.payload.get("id")
    email = mapped.payload.get("email")
    return (
        run_id, row.row_number, _json(cells), _json(mapped.payload),
        raw_id if isinstance(raw_id, int) else None,
        email.strip().lower()[:254] if isinstance(email, str) else "",
        RowStatus.INVALID.value if mapped.errors else RowStatus.PENDING.value,
        _json([_error_dict(e) for e in mapped.errors]), row.pk,
    )  # fmt: skip


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


def _insert_retries(rows: list[tuple[Any, ...]]) -> None:
    """Raw executemany: bulk_create costs ~0.5 ms of Python per row for this table."""
    table = ContactRow._meta.db_table
    json_mark = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    marks = ", ".join(json_mark if c in JSON_COLUMNS else "%s" for c in RETRY_COLUMNS)
    sql = f"INSERT INTO {table} ({', '.join(RETRY_COLUMNS)}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@dataclass
class FixResult:
    """The outcome of correcting one row: errors per column index, or the new payload."""

    row: ContactRow
    field_errors: dict[int, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # the headers of the changed columns
    payload: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.field_errors and not self.errors


def row_is_fixable(row: ContactRow) -> bool:
    """A failed row that no later row has taken over."""
    if row.status != RowStatus.FAILED:
        return False
    return not ContactRow.objects.filter(retry_of=row, status__in=RETRY_TAKEN).exists()


def row_fix(*, row_id: int, user: User, values: dict[int, str]) -> FixResult:
    """Check the row's cells with the operator's corrections; keep them if they pass.

    `values` holds the typed cells by column index. A hidden (PII) cell left empty keeps
    its value: the form never shows one (revealing is an explicit, audited action), so it
    can be replaced, never read. Social security numbers are sealed again before saving.
    """
    with transaction.atomic():
        row = ContactRow.objects.select_for_update().select_related("run__upload").get(pk=row_id)
        if not row_is_fixable(row):
            raise RerunRefused(ROW_NOT_FIXABLE.format(status=row.get_status_display().lower()))
        run = row.run
        headers = run.upload.headers
        saved = row.fixed_cells if row.fixed_cells is not None else row.cells
        current = _padded(pii.open_cells(saved) or [], headers)
        cells = _corrected(current, values, run_pii_columns(run=run))
        result = _check(row, cells)
        if not result.ok:
            return result
        original = _padded(pii.open_cells(row.cells) or [], headers)
        result.changed = _changed_headers(original, cells, headers)
        before = pii.open_cells(row.fixed_cells)
        sealer = pii.sealer_for(MappingSpec.from_dict(run.mapping), headers)
        fixed = cells if result.changed else None
        row.fixed_cells = sealer.cells(fixed) if sealer is not None and fixed else fixed
        row.save(update_fields=["fixed_cells"])
        if fixed != before:
            changed = ", ".join(result.changed) or "back to the file's values"
            _event(run.pk, user, "fix", f"row {row.row_number}: {changed}")
            audit_record(
                user=user, action=ROW_FIX, obj=run, detail=f"row {row.row_number}: {changed}"
            )
    return result


def _padded(cells: Sequence[Any], headers: Sequence[str]) -> list[Any]:
    return [*cells, *([None] * (len(headers) - len(cells)))][: max(len(headers), len(cells))]


def _changed_headers(before: list[Any], after: list[Any], headers: Sequence[str]) -> list[str]:
    pairs = enumerate(zip(before, after, strict=False))
    changed = [i for i, (a, b) in pairs if (a or "") != (b or "")]
    return [headers[i] if i < len(headers) else f"column {i + 1}" for i in changed]


def _corrected(current: list[Any], values: dict[int, str], hidden: Collection[int]) -> list[Any]:
    cells = list(current)
    for index, value in values.items():
        if not 0 <= index < len(cells) or (index in hidden and value == ""):
            continue  # a hidden cell left empty keeps its value
        if value == "" and cells[index] in (None, ""):
            continue
        cells[index] = value
    return cells


def _check(row: ContactRow, cells: list[Any]) -> FixResult:
    """The run's mapping over the corrected cells, and the contact id not taken in the file."""
    run = row.run
    headers = run.upload.headers
    mapper = compile_mapping(MappingSpec.from_dict(run.mapping), headers)
    mapped = mapper.map(cells, row_number=row.row_number)
    result = FixResult(row=row, payload=mapped.payload)
    index_of = {header: i for i, header in enumerate(headers)}
    errors = [(e.column, e.text) for e in mapped.errors]
    new_id = mapped.payload.get("id")
    if isinstance(new_id, int) and new_id != row.contact_id:
        other = (
            ContactRow.objects.filter(run=run, contact_id=new_id)
            .exclude(pk=row.pk)
            .values_list("row_number", flat=True)
            .first()
        )
        if other is not None:
            errors.append((mapper.columns.get("id"), ID_TAKEN.format(row=other)))
    for column, text in errors:
        if column is not None and column in index_of:
            result.field_errors.setdefault(index_of[column], []).append(text)
        else:
            result.errors.append(text)
    return result


def rerun_scope_from(
    *, group: str = "", row_numbers: Iterable[str] = (), limit: int = 1000
) -> RerunScope:
    """A scope from form values: whole numbers only, duplicates dropped, at most `limit`."""
    numbers = sorted({int(n) for n in row_numbers if str(n).strip().isdigit()})[:limit]
    return RerunScope(group=group.strip()[:255], row_numbers=tuple(numbers))
