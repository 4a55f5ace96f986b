"""URL map. Every page needs a login (LoginRequiredMiddleware) except login and /healthz.

Each view checks its role permission itself (core.roles); tests/core/test_roles.py holds
the table of who gets what for every route.
"""

from __future__ import annotations

from typing import Any

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from django_rq.urls import get_admin_urlpatterns, get_api_urlpatterns

from propel_admin.core import account_views
from propel_admin.core import views as core_views
from propel_admin.core.roles import superuser_required_403

# django-rq's dashboard templates carry inline scripts and styles; on its pages only
# (superusers, templates we do not write) the policy lets them run.
_rq_inline = csp_update({"script-src": [UNSAFE_INLINE], "style-src": [UNSAFE_INLINE]})


def _rq_urlpatterns() -> list[Any]:
    """django-rq's dashboard, every view (its token-guarded JSON too) for superusers only."""
    patterns = get_api_urlpatterns() + get_admin_urlpatterns()
    for pattern in patterns:
        pattern.callback = _rq_inline(superuser_required_403(pattern.callback))
    return patterns


urlpatterns = [
    path("", core_views.home, name="home"),
    path("status/", core_views.status, name="status"),
    path("status/propeller-test/", core_views.propeller_test, name="propeller-test"),
    path("healthz", core_views.healthz, name="healthz"),
    path("uploads/", include("propel_admin.imports.urls")),
    path("runs/", include("propel_admin.imports.run_urls")),
    path("templates/", include("propel_admin.imports.template_urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account_views.account, name="account"),
    path("account/logout-everywhere/", account_views.logout_everywhere, name="logout-everywhere"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password_change_done")),
        name="password_change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # The queue dashboard shows job internals: superusers only.
    path("admin/rq/", include((_rq_urlpatterns(), "django_rq"))),
    path("admin/", admin.site.urls),
    path("contacts/", include("propel_admin.imports.contact_urls")),
    path("audit/", include("propel_admin.audit.urls")),
]
