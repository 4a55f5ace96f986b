"""Who may read the audit trail: one function, used by the page, the nav and the admin."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from propel_admin.core.roles import VIEW_AUDIT


def can_view_audit(user: User | AnonymousUser) -> bool:
    """Admins (the audit.view_audit permission) and superusers."""
    return bool(user.is_active and user.has_perm(VIEW_AUDIT))
