"""Run pages: progress while rows are checked, then the summary and downloads."""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from propel_admin.audit.actions import EXPORT_DOWNLOAD, PII_REVEAL
from propel_admin.audit.services import audit_record
from propel_admin.core.roles import OPERATE_RUNS, VIEW_RUNS, permission_required_403
from propel_admin.imports import (
    exports,
    failures,
    pii_views,
    result_exports,
    run_control,
    selectors,
)
from propel_admin.imports.models import ContactRow, ImportRun, RowStatus


def _run(run_id: int) -> ImportRun:
    return get_object_or_404(ImportRun.objects.select_related("upload", "created_by"), pk=run_id)


@require_GET
@permission_required_403(VIEW_RUNS)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    return render(request, "runs/run_detail.html", selectors.run_progress(run=_run(run_id)))


@require_GET
@permission_required_403(VIEW_RUNS)
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """htmx: the run's live part, polled while the run is working."""
    return render(request, "runs/_run_status.html", selectors.run_progress(run=_run(run_id)))


@require_GET
@permission_required_403(OPERATE_RUNS)
def run_invalid_download(request: HttpRequest, run_id: int, file_format: str) -> HttpResponseBase:
    if file_format not in ("csv", "xlsx"):
        raise Http404("Downloads come as csv or xlsx.")
    run = _run(run_id)
    if refusal := result_exports.export_refusal(run):
        messages.error(request, refusal)
        return _back(run.pk)
    stem = PurePath(run.upload.original_name).stem or "upload"
    name = f"{stem}-invalid-rows-run-{run.pk}.{file_format}"
    reveal_pii = pii_views.wants_pii(request)
    shown = ", social security numbers and dates of birth shown" if reveal_pii else ""
    detail = f"invalid rows ({file_format}){shown}"
    audit_record(user=request.user, action=EXPORT_DOWNLOAD, obj=run, detail=detail)
    if reveal_pii:  # found under "Personal data shown" too
        detail = f"in the invalid rows ({file_format}) export"
        audit_record(user=request.user, action=PII_REVEAL, obj=run, detail=detail)
    rows = exports.invalid_rows(run, reveal_pii=reveal_pii)
    if file_format == "xlsx":
        return FileResponse(
            exports.xlsx_file(rows, sheet="Invalid rows"), as_attachment=True, filename=name
        )
    response = StreamingHttpResponse(
        exports.csv_lines(rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _back(run_id: int) -> HttpResponse:
    return redirect("runs:run-detail", run_id=run_id)


@require_POST
@permission_required_403(OPERATE_RUNS)
def run_start(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(run_id)
    canary = None
    if request.POST.get("mode") == "canary":
        try:
            canary = max(1, int(request.POST.get("canary", "")))
        except ValueError:
            messages.error(request, "Give the number of rows to send first, as a whole number.")
            return _back(run.pk)
    try:
        run_control.run_start(run_id=run.pk, user=request.user, canary=canary)  # type: ignore[arg-type]
    except run_control.RunNotStartable as exc:
        messages.error(request, str(exc))
    return _back(run.pk)


@require_POST
@permission_required_403(OPERATE_RUNS)
def run_pause(request: HttpRequest, run_id: int) -> HttpResponse:
    user = request.user
    reason = f"Paused by {user.get_username()}"
    paused = run_control.run_pause(run_id=_run(run_id).pk, user=user, reason=reason)  # type: ignore[arg-type]
    if not paused:
        messages.info(request, "The run is not sending, so there is nothing to pause.")
    return _back(run_id)


@require_POST
@permission_required_403(OPERATE_RUNS)
def run_resume(request: HttpRequest, run_id: int) -> HttpResponse:
    if not run_control.run_resume(run_id=_run(run_id).pk, user=request.user):  # type: ignore[arg-type]
        messages.info(request, "The run is not paused.")
    return _back(run_id)


@require_POST
@permission_required_403(OPERATE_RUNS)
def run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    if run_control.run_cancel(run_id=_run(run_id).pk, user=request.user):  # type: ignore[arg-type]
        messages.success(request, "Cancelled: the rows not yet sent will not be sent.")
    else:
        messages.info(request, "The run is not sending, so there is nothing to cancel.")
    return _back(run_id)


@require_GET
@permission_required_403(VIEW_RUNS)
def run_rows(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run's rows: filter by outcome, search by contact id, email or name."""
    run = _run(run_id)
    status = request.GET.get("status", "")
    if status not in RowStatus.values:
        status = ""
    query = request.GET.get("q", "")[:200]
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after = 0
    group = request.GET.get("group", "")[: failures.KEY_LENGTH]
    rows, next_after = selectors.row_page(
        run=run, status=status, query=query, after=after, group=group
    )
    hidden = selectors.run_pii_payload_keys(run=run)  # a PII column mapped to another field
    context = {
        "run": run,
        "rows": [(row, selectors.masked_payload(row.payload, hidden)) for row in rows],
        "next_after": next_after,
        "status": status,
        "query": query,
        "statuses": RowStatus.choices,
        "group": group,
    }
    return render(request, "runs/run_rows.html", context)


@require_GET
@permission_required_403(VIEW_RUNS)
def run_row(request: HttpRequest, run_id: int, row_number: int) -> HttpResponse:
    run = _run(run_id)
    if run.purged_at is not None:  # its rows are gone: the rows page says when and why
        return redirect("runs:run-rows", run_id=run.pk)
    row = get_object_or_404(
        ContactRow.objects.select_related("batch", "run__upload"), run=run, row_number=row_number
    )
    return render(request, "runs/run_row.html", selectors.row_detail(row=row))
