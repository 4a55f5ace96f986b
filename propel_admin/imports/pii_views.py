"""Showing social security numbers and dates of birth: only when asked, allowed and recorded."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from propel_admin.audit.actions import PII_REVEAL
from propel_admin.audit.services import audit_record
from propel_admin.imports import selectors
from propel_admin.imports.models import ContactRow, ImportRun

VIEW_PII = "imports.view_pii"
SHOW = "show"  # ?pii=show on an export: with the personal data, for those allowed


def wants_pii(request: HttpRequest) -> bool:
    """An export asked for with the personal data (?pii=show) by someone allowed to see it."""
    return request.GET.get("pii") == SHOW and request.user.has_perm(VIEW_PII)


@require_POST
def row_reveal(request: HttpRequest, run_id: int, row_number: int) -> HttpResponse:
    """The row's cells and payload with SSN and date of birth shown, recorded in the trail."""
    if not request.user.has_perm(VIEW_PII):
        raise PermissionDenied("Showing personal data needs the view_pii permission.")
    run = get_object_or_404(ImportRun.objects.select_related("upload"), pk=run_id)
    if run.purged_at is not None:
        return redirect("runs:run-rows", run_id=run.pk)
    row = get_object_or_404(
        ContactRow.objects.select_related("batch", "run__upload"), run=run, row_number=row_number
    )
    fields = selectors.run_pii_fields(run=run)
    with transaction.atomic():
        detail = f"row {row.row_number}: {', '.join(fields) or 'no personal data mapped'}"
        audit_record(user=request.user, action=PII_REVEAL, obj=run, detail=detail)
    context = selectors.row_detail(row=row, reveal=True)
    if request.headers.get("HX-Request"):
        return render(request, "runs/_row_data.html", context)
    return render(request, "runs/run_row.html", context)
