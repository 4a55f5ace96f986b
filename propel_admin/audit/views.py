"""The audit page: the trail, filtered, newest first, 50 at a time."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from propel_admin.audit import selectors
from propel_admin.audit.forms import FILTERS_IGNORED, AuditFilterForm
from propel_admin.core.roles import VIEW_AUDIT, permission_required_403


@require_GET
@permission_required_403(VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
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
