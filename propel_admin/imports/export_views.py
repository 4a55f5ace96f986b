"""Downloads of a run's results and failures (CSV streamed, XLSX from a temporary file)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET

from propel_admin.core.roles import OPERATE_RUNS, permission_required_403
from propel_admin.imports import exports, pii_views, result_exports
from propel_admin.imports.models import ImportRun

XLSX_TOO_BIG = (
    "{rows:,} rows are too many for an Excel download here (at most {limit:,}): download the "
    "CSV, which Excel opens, or ask an administrator for manage.py export_results --format xlsx."
)


@require_GET
@permission_required_403(OPERATE_RUNS)
def run_export(request: HttpRequest, run_id: int, kind: str, file_format: str) -> HttpResponseBase:
    """Every row with its outcome, or the failed rows; PII hidden without `view_pii`."""
    if kind not in result_exports.KINDS or file_format not in result_exports.FORMATS:
        raise Http404("Exports are results or failures, as csv or xlsx.")
    run = get_object_or_404(ImportRun.objects.select_related("upload"), pk=run_id)
    if refusal := result_exports.export_refusal(run):
        messages.error(request, refusal)
        return redirect("runs:run-detail", run_id=run.pk)
    export = result_exports.ExportRequest(
        run=run, kind=kind, reveal_pii=pii_views.wants_pii(request)
    )
    if file_format == "xlsx" and export.row_count > settings.EXPORT_XLSX_MAX_ROWS:
        limit = settings.EXPORT_XLSX_MAX_ROWS
        messages.error(request, XLSX_TOO_BIG.format(rows=export.row_count, limit=limit))
        return redirect("runs:run-detail", run_id=run.pk)
    result_exports.export_logged(
        export, who=request.user.get_username(), file_format=file_format, user=request.user
    )
    rows = result_exports.export_rows(export)
    name = export.filename(file_format)
    if file_format == "xlsx":
        handle = exports.xlsx_file(rows, sheet=export.sheet)
        return FileResponse(handle, as_attachment=True, filename=name)
    response = StreamingHttpResponse(
        result_exports.text_chunks(exports.csv_lines(rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
