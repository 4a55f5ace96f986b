"""Reads for re-runs: a run's parent and children, fixed counts, error groups, row fixes.

Nothing here counts a run's rows on page load: what was fixed later is the sum of the
descendant runs' own counters (every row of a re-run retries one failed row, so each
row created or updated in a descendant fixes one failure), and the rest reads only
failed rows through the partial indexes: row_run_failure holds their ids, so the count of
rows still to re-run (an anti-join on id) never reads the table itself.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Min

from propel_admin.imports import pii
from propel_admin.imports.models import ContactRow, ImportRun, MappingTemplate, RowStatus
from propel_admin.imports.reruns import (
    RETRY_TAKEN,
    RerunScope,
    rerun_candidates,
    rows_in_scope,
)
from propel_admin.imports.selectors import MASKED, run_pii_columns
from propel_admin.mapping import MappingSpec
from propel_admin.mapping.spec import resolve_column

MAX_DEPTH = 20  # re-runs of re-runs: far more than anyone makes by hand


def run_descendants(*, run: ImportRun) -> list[ImportRun]:
    """Every re-run of the run, of its re-runs, and so on (one query per generation)."""
    found: list[ImportRun] = []
    frontier = [run.pk]
    for _ in range(MAX_DEPTH):
        generation = list(ImportRun.objects.filter(parent_id__in=frontier).order_by("pk"))
        if not generation:
            break
        found.extend(generation)
        frontier = [child.pk for child in generation]
    return found


def run_lineage(*, run: ImportRun) -> dict[str, Any]:
    """The run's parent, its children, and how many of its failures were fixed later."""
    descendants = run_descendants(run=run)
    children = [child for child in descendants if child.parent_id == run.pk]
    fixed = sum(child.rows_created + child.rows_updated for child in descendants)
    return {
        "run": run,
        "parent_id": run.parent_id,
        "children": children,
        "fixed": fixed,
        "still_failing": max(run.rows_failed - fixed, 0),
    }


def rerun_groups(*, run: ImportRun, limit: int = 20) -> list[dict[str, Any]]:
    """The failed rows still to re-run by error group (failure_key), most frequent first."""
    eligible = rerun_candidates(run=run, scope=RerunScope())
    groups = list(
        eligible.values("failure_key")
        .annotate(count=Count("id"), message=Min("message"))
        .order_by("-count", "failure_key")[:limit]
    )
    for group in groups:
        numbers = eligible.filter(failure_key=group["failure_key"]).order_by("row_number")
        group["example_rows"] = list(numbers.values_list("row_number", flat=True)[:5])
    return groups


def rerun_panel(*, run: ImportRun) -> dict[str, Any]:
    """What the run page offers: the failed rows that can be re-run, by group."""
    if not run.is_done or not run.rows_failed:
        return {"run": run, "show": False}
    return {
        "run": run,
        "show": True,
        "eligible": rerun_candidates(run=run, scope=RerunScope()).count(),
    }


def rerun_preview(*, run: ImportRun, scope: RerunScope) -> dict[str, Any]:
    """The confirm page: how many rows, which group, where to, with which mappings."""
    in_scope = rows_in_scope(run=run, scope=scope)
    eligible = rerun_candidates(run=run, scope=scope)
    group_message = ""
    if scope.group:
        group_message = in_scope.values_list("message", flat=True).first() or scope.group
    count = eligible.count()
    return {
        "run": run,
        "scope": scope,
        "group_message": group_message,
        "eligible": count,
        "already_rerun": in_scope.count() - count,
        "fixed_by_hand": eligible.filter(fixed_cells__isnull=False).count(),
        "propeller_api_url": settings.PROPELLER_API_URL,
        "templates": MappingTemplate.objects.order_by("name"),
        "examples": list(eligible.order_by("row_number").values_list("row_number", flat=True)[:10]),
    }


def row_rerun_state(*, row: ContactRow) -> dict[str, Any]:
    """The row's place in re-runs: what it retries, and the rows that retried it."""
    retries = list(
        ContactRow.objects.filter(retry_of=row)
        .select_related("run")
        .only("run__id", "row_number", "status", "message")
        .order_by("-run_id")
    )
    retry_of = None
    if row.retry_of_id:
        retry_of = ContactRow.objects.filter(pk=row.retry_of_id).values("run_id", "row_number")
        retry_of = retry_of.first()  # type: ignore[assignment]
    taken = any(r.status in RETRY_TAKEN for r in retries)
    fixable = row.status == RowStatus.FAILED and not taken
    return {"retries": retries, "retry_of": retry_of, "fixable": fixable}


def row_fix_fields(
    *,
    row: ContactRow,
    user: User | AnonymousUser,
    typed: dict[int, str] | None = None,
    errors: dict[int, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """One form field per mapped column: its value (never for PII: revealing is explicit).

    Cells are opened (pii.py) only to tell whether a hidden one was corrected.
    """
    run = row.run
    headers = run.upload.headers
    cells = pii.open_cells(row.fixed_cells if row.fixed_cells is not None else row.cells) or []
    file_cells = pii.open_cells(row.cells) or []
    hidden = run_pii_columns(run=run)
    fields = []
    for rule in MappingSpec.from_dict(run.mapping).mapped:
        index = resolve_column(rule, headers)
        if index is None:
            continue
        value = cells[index] if index < len(cells) else None
        is_hidden = index in hidden
        shown = "" if is_hidden else (value or "")
        if typed is not None and index in typed:
            shown = typed[index]
        original = file_cells[index] if index < len(file_cells) else None
        fields.append(
            {
                "index": index,
                "header": headers[index],
                "target": rule.target,
                "value": shown,
                "hidden": is_hidden,
                "has_hidden_value": is_hidden and value not in (None, ""),
                "errors": (errors or {}).get(index, []),
                "changed": (value or "") != (original or ""),
                "original": MASKED if is_hidden and original else original,
            }
        )
    return fields
