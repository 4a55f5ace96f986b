"""Re-run pages: confirm a re-run of failed rows, and correct a failed row inline."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from propel_admin.core.roles import OPERATE_RUNS, permission_required_403
from propel_admin.imports import rerun_selectors, reruns
from propel_admin.imports.models import ContactRow, ImportRun, MappingTemplate
from propel_admin.imports.selectors import masked_payload, run_pii_payload_keys

RERUN_STARTED = "Run #{child} re-runs {scope}: checked again with the mapping first, then sent."
ROW_FIXED = "Row {row} corrected ({changed}). The next re-run sends the corrected values."
ROW_UNCHANGED = "Nothing changed: the row keeps the values from the file."
ROW_NOT_FIXED = "The row was not saved: correct the fields marked below."
UNKNOWN_TEMPLATE = "That mapping template no longer exists; choose another."


def _run(run_id: int) -> ImportRun:
    return get_object_or_404(ImportRun.objects.select_related("upload", "created_by"), pk=run_id)


def _payload_json(payload: dict[str, Any] | None, run: ImportRun) -> str:
    hidden = masked_payload(payload, run_pii_payload_keys(run=run))
    return json.dumps(hidden, indent=1, ensure_ascii=False)


def _scope(data: QueryDict) -> reruns.RerunScope:
    return reruns.rerun_scope_from(group=data.get("group", ""), row_numbers=data.getlist("rows"))


@require_http_methods(["GET", "POST"])
@permission_required_403(OPERATE_RUNS)
def rerun_confirm(request: HttpRequest, run_id: int) -> HttpResponse:
    """GET: what a re-run would send, and where. POST: create the child run and start it."""
    run = _run(run_id)
    data = request.POST if request.method == "POST" else request.GET
    scope = _scope(data)
    if request.method == "GET":
        return render(request, "runs/rerun_confirm.html", _confirm_context(run, scope, data))
    template = None
    if data.get("mapping", "run") != "run":
        template = MappingTemplate.objects.filter(pk=_int(data.get("mapping")) or 0).first()
        if template is None:
            return _refuse(request, run, scope, data, UNKNOWN_TEMPLATE)
    try:
        child = reruns.run_rerun_create(
            run_id=run.pk,
            user=request.user,  # type: ignore[arg-type]
            scope=scope,
            template=template,
        )
    except reruns.RerunAlreadyStarted as exc:
        messages.info(request, str(exc))
        return redirect("runs:run-detail", run_id=exc.child_id)
    except reruns.RerunRefused as exc:
        return _refuse(request, run, scope, data, str(exc))
    _report(request, child, scope)
    return redirect("runs:run-detail", run_id=child.pk)


def _confirm_context(run: ImportRun, scope: reruns.RerunScope, data: QueryDict) -> dict[str, Any]:
    context = rerun_selectors.rerun_preview(run=run, scope=scope)
    context["chosen_mapping"] = data.get("mapping", "run")
    return context


def _refuse(
    request: HttpRequest, run: ImportRun, scope: reruns.RerunScope, data: QueryDict, why: str
) -> HttpResponse:
    """The confirm page again with the reason, as a 400: nothing was created."""
    context = _confirm_context(run, scope, data)
    context["refusal"] = why
    return render(request, "runs/rerun_confirm.html", context, status=400)


def _report(request: HttpRequest, child: ImportRun, scope: reruns.RerunScope) -> None:
    messages.success(request, RERUN_STARTED.format(child=child.pk, scope=scope.describe()))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_POST
@permission_required_403(OPERATE_RUNS)
def row_fix(request: HttpRequest, run_id: int, row_number: int) -> HttpResponse:
    """Correct a failed row's cells; htmx gets the form back, a plain POST a redirect."""
    run = _run(run_id)
    row = get_object_or_404(ContactRow.objects.select_related("run__upload"), run=run,
                            row_number=row_number)  # fmt: skip
    typed = {
        index: request.POST.get(name, "")
        for name in request.POST
        if name.startswith("cell-") and (index := _int(name.removeprefix("cell-"))) is not None
    }
    try:
        result = reruns.row_fix(row_id=row.pk, user=request.user, values=typed)  # type: ignore[arg-type]
    except reruns.RerunRefused as exc:
        messages.error(request, str(exc))
        return redirect("runs:run-row", run_id=run.pk, row_number=row_number)
    row.refresh_from_db()
    if result.ok:
        notice = (
            ROW_FIXED.format(row=row.row_number, changed=", ".join(result.changed))
            if result.changed
            else ROW_UNCHANGED
        )
    else:
        notice = ROW_NOT_FIXED
    if not request.headers.get("HX-Request"):
        (messages.success if result.ok else messages.error)(request, notice)
        return redirect("runs:run-row", run_id=run.pk, row_number=row_number)
    fields = rerun_selectors.row_fix_fields(
        row=row,
        user=request.user,
        typed=None if result.ok else typed,
        errors=result.field_errors,
    )
    context = {
        "row": row,
        "run": run,
        "fix_fields": fields,
        "fix_ok": result.ok,
        "fix_notice": notice,
        "fix_errors": result.errors,
        "fix_payload": _payload_json(result.payload, run) if result.ok else "",
        "fixable": True,
    }
    return render(request, "runs/_row_fix.html", context)
