"""Contact lookup: every run a contact appeared in, found by contact id or e-mail."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from propel_admin.core.roles import VIEW_RUNS, permission_required_403
from propel_admin.imports import history_selectors
from propel_admin.imports.history_forms import (
    LOOKUP_EMPTY,
    LOOKUP_NO_MATCH,
    contact_query_parse,
)


@require_GET
@permission_required_403(VIEW_RUNS)
def contact_lookup(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")[:300]
    query = contact_query_parse(raw)
    found: dict[str, object] = {"rows": [], "more": False}
    if not query.error:
        found = history_selectors.contact_rows(contact_id=query.contact_id, email=query.email)
    asked = "q" in request.GET  # arriving with an empty box is no mistake; submitting one is
    context = {
        "raw": raw.strip(),
        "query": query,
        "error": query.error if asked else "",
        "prompt": "" if asked else LOOKUP_EMPTY,
        "no_match": LOOKUP_NO_MATCH if asked and not query.error and not found["rows"] else "",
        "contact_rows": found["rows"],
        "more": found["more"],
        "cap": history_selectors.CONTACT_ROWS_CAP,
    }
    return render(request, "contacts/contact_lookup.html", context)
