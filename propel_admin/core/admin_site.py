"""The Django admin for Admins (user management) and superusers; a 403, not a loop, for others."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse

from propel_admin.core.roles import MANAGE_USERS, denial_message

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


class PropelAdminSite(admin.AdminSite):
    site_header = "Propel Admin"
    site_title = "Propel Admin"

    def has_permission(self, request: HttpRequest) -> bool:
        """Admins (who manage users) and superusers; the staff flag plays no part."""
        user = request.user
        return bool(user.is_active and user.has_perm(MANAGE_USERS))

    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            # Django's admin sends a logged-in user without access to its login page.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied(denial_message(request.user))
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)  # type: ignore[return-value]

    @login_not_required
    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """One login page for the whole site (its lockout included): the app's."""
        if not request.user.is_authenticated:
            next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
            return redirect_to_login(next_url, settings.LOGIN_URL)
        if not self.has_permission(request):
            raise PermissionDenied(denial_message(request.user))
        return super().login(request, extra_context)
