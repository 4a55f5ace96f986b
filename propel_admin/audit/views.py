"""The audit page: the trail, filtered, newest first, 50 at a time."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from propel_admin.audit import selectors
from propel_admin.audit.access import can_view_audit
from propel_admin.audit.forms import FILTERS_IGNORED, AuditFilterForm


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    if not can_view_audit(request.user):
        raise PermissionDenied("Only administrators can read the audit trail.")
    form = AuditFilterForm(request.GET)
    try:
        before = int(request.GET["before"]) if request.GET.get("before") else None
    except ValueError:
        before = None
    events, next_before = selectors.audit_page(**form.filters(), before=before)
    kept = request.GET.copy()
    kept.pop("before", None)
    context = {
        "form": form,
        "filters_ignored": FILTERS_IGNORED if form.errors else "",
        "events": events,
        "next_before": next_before,
        "older_page": before is not None,
        "query_string": kept.urlencode(),
        "filtered": any(kept.values()),
        "people": get_user_model().objects.order_by("username").values_list("username", flat=True),
    }
    return render(request, "audit/audit_list.html", context)
