"""The account page (sessions, log out everywhere) and the locked-out login page."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from propel_admin.core import accounts, security

LOGGED_OUT_EVERYWHERE = "You were logged out everywhere ({count} sessions ended)."


@require_GET
@never_cache
def account(request: HttpRequest) -> HttpResponse:
    sessions = accounts.user_sessions_count(user=request.user)  # type: ignore[arg-type]
    context = {"session_count": sessions, "session_minutes": settings.SESSION_COOKIE_AGE // 60}
    return render(request, "core/account.html", context)


@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of the user, this one included."""
    ended = accounts.user_sessions_end(user=request.user)  # type: ignore[arg-type]
    logout(request)
    messages.success(request, LOGGED_OUT_EVERYWHERE.format(count=ended))
    return redirect("login")


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """django-axes' lockout response: the login page with how long to wait, as a 429."""
    username = get_client_username(request, credentials) or ""
    minutes = security.lockout_minutes_left(
        username=username, ip_address=getattr(request, "axes_ip_address", "")
    )
    message = security.LOCKED_OUT.format(minutes=security.minutes_text(minutes))
    form = AuthenticationForm(request, initial={"username": username})
    response = render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": message, "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response
