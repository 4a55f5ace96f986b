"""Run pages: progress while rows are checked, then the summary and downloads."""

from __future__ import annotations

from pathlib import PurePath

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from propel_admin.imports import exports
from propel_admin.imports.models import ImportRun


def _run(run_id: int) -> ImportRun:
    return get_object_or_404(ImportRun.objects.select_related("upload", "created_by"), pk=run_id)


@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    return render(request, "runs/run_detail.html", {"run": _run(run_id)})


@require_GET
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """htmx: the run's live part, polled while the run is not finished."""
    return render(request, "runs/_run_status.html", {"run": _run(run_id)})


@require_GET
def run_invalid_download(request: HttpRequest, run_id: int, file_format: str) -> HttpResponseBase:
    if file_format not in ("csv", "xlsx"):
        raise Http404("Downloads come as csv or xlsx.")
    run = _run(run_id)
    stem = PurePath(run.upload.original_name).stem or "upload"
    name = f"{stem}-invalid-rows-run-{run.pk}.{file_format}"
    rows = exports.invalid_rows(run)
    if file_format == "xlsx":
        return FileResponse(
            exports.xlsx_file(rows, sheet="Invalid rows"), as_attachment=True, filename=name
        )
    response = StreamingHttpResponse(
        exports.csv_lines(rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
