"""The runs history: every run, filtered, sorted and paged."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from propel_admin.core.roles import VIEW_RUNS, permission_required_403
from propel_admin.imports import history_selectors
from propel_admin.imports.history_forms import FILTERS_IGNORED, RunHistoryForm

PAGE_INVALID = "There is no such page; here is the nearest one."


@require_GET
@permission_required_403(VIEW_RUNS)
def run_history(request: HttpRequest) -> HttpResponse:
    form = RunHistoryForm(request.GET)
    runs = history_selectors.run_history(**form.filters())
    paginator = Paginator(runs, history_selectors.HISTORY_PAGE)
    raw_page = request.GET.get("page", "1")
    page = paginator.get_page(raw_page)
    page_note = "" if raw_page == str(page.number) else PAGE_INVALID
    kept = request.GET.copy()
    kept.pop("page", None)
    context = {
        "form": form,
        "filters_ignored": FILTERS_IGNORED if form.errors else "",
        "page": page,
        "page_note": page_note,
        "lines": history_selectors.history_rows(runs=list(page.object_list)),
        "query_string": kept.urlencode(),
        "filtered": any(v for k, v in kept.items() if k != "sort"),
    }
    return render(request, "runs/run_list.html", context)
