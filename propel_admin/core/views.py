"""Pages of the app shell: home, status with a connection test, and /healthz."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from propel_admin.core import health
from propel_admin.core.roles import NO_ROLE, OPERATE_RUNS, permission_required_403


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"no_role": NO_ROLE})


@require_GET
@never_cache
def status(request: HttpRequest) -> HttpResponse:
    checks = health.system_health()
    return render(
        request,
        "core/status.html",
        {"checks": checks, "all_ok": all(c.ok for c in checks.values())},
    )


@require_POST
@never_cache
@permission_required_403(OPERATE_RUNS)
def propeller_test(request: HttpRequest) -> HttpResponse:
    """The status page's "Test connection" button: a fresh check, as an htmx fragment."""
    check = health.check_propeller(fresh=True)
    return render(request, "core/_propeller_check.html", {"check": check})


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 only when every part is fine.

    Anonymous callers learn only ok/failing per part; details need a login.
    """
    checks = health.system_health()
    ok = all(c.ok for c in checks.values())
    detailed = request.user.is_authenticated
    body: dict[str, object] = {"ok": ok}
    for name, check in checks.items():
        body[name] = check.as_dict() if detailed else {"ok": check.ok}
    return JsonResponse(body, status=200 if ok else 503)
