"""Values every page's layout needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from propel_admin.audit.access import can_view_audit
from propel_admin.core.roles import user_role


def shell(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {
        "propeller_api_url": settings.PROPELLER_API_URL,
        "propeller_uses_sandbox": settings.PROPELLER_USES_SANDBOX,
        "can_view_audit": can_view_audit(user) if user is not None else False,
        "user_role": user_role(user) if user is not None else "",
    }
