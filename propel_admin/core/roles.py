"""Roles (Viewer, Operator, Admin) as Django groups, and the checks every view makes.

The groups and their permissions are created by core's data migration 0001_roles; this
module names them. Views ask for a permission, never for a group, so a permission given
to one person in the Django admin works the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth.models import AnonymousUser, Group, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

# Permissions ("app_label.codename"), declared in the models' Meta.
VIEW_RUNS = "imports.view_runs"
OPERATE_RUNS = "imports.operate_runs"
MANAGE_TEMPLATES = "imports.manage_templates"
VIEW_PII = "imports.view_pii"
VIEW_AUDIT = "audit.view_audit"
MANAGE_USERS = "auth.change_user"

# Group names, as the Django admin shows them; the keys are what set_role takes.
VIEWER = "Viewer"
OPERATOR = "Operator"
ADMIN = "Admin"
ROLES = {"viewer": VIEWER, "operator": OPERATOR, "admin": ADMIN}
SUPERUSER = "Superuser"

# What each role may do. Admins also manage users in the Django admin (the auth permissions).
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    VIEWER: (VIEW_RUNS,),
    OPERATOR: (VIEW_RUNS, OPERATE_RUNS),
    ADMIN: (
        VIEW_RUNS,
        OPERATE_RUNS,
        MANAGE_TEMPLATES,
        VIEW_PII,
        VIEW_AUDIT,
        "auth.view_user",
        "auth.add_user",
        MANAGE_USERS,
        "auth.delete_user",
        "auth.view_group",
        "axes.view_accessattempt",  # unlocking someone locked out of the login
        "axes.delete_accessattempt",
    ),
}

NO_ROLE = (
    "You have no role yet, so you can only see the home, status and account pages. "
    "Ask an administrator to give you one."
)
NOT_AN_OPERATOR = "{name!r} may not {action}: give them the Operator or Admin role (set_role)"
ROLE_TOO_LOW = "Your role ({role}) does not allow this. Ask an administrator if you need it."

AnyUser = User | AnonymousUser
View = TypeVar("View", bound=Callable[..., Any])


def user_role(user: AnyUser) -> str:
    """The user's role as shown in the header: the strongest of their role groups, or ""."""
    if not user.is_authenticated or not user.is_active:
        return ""
    names = set(user.groups.values_list("name", flat=True))
    if getattr(user, "is_superuser", False):  # can do everything, whatever their groups
        return ADMIN if ADMIN in names else SUPERUSER
    for role in (ADMIN, OPERATOR, VIEWER):
        if role in names:
            return role
    return ""


def denial_message(user: AnyUser) -> str:
    role = user_role(user)
    return ROLE_TOO_LOW.format(role=role) if role else NO_ROLE


def permission_required_403(permission: str) -> Callable[[View], View]:
    """Login for anonymous callers; for logged-in ones without the permission a 403 page.

    Unlike Django's permission_required, never a redirect to the login page (which would
    send a logged-in user straight back: a loop).
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.has_perm(permission):
                raise PermissionDenied(denial_message(user))
            return view(request, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorator


def superuser_required_403(view: View) -> View:
    """As permission_required_403, for the few pages that stay with superusers."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_superuser):
            raise PermissionDenied("Only superusers can open the queue dashboard.")
        return view(request, *args, **kwargs)

    return guarded  # type: ignore[return-value]


def roles_ensure(*, apps: Apps = global_apps) -> list[str]:
    """Create the role groups that are missing, with their permissions; returns their names.

    Existing groups are left as they are: an administrator may have changed them. Called
    by core's data migration (with its historical `apps`) and by tests after a flush.
    """
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    created = []
    for name, permissions in ROLE_PERMISSIONS.items():
        group, new = group_model.objects.get_or_create(name=name)
        if not new:
            continue
        for dotted in permissions:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        created.append(name)
    return created


class UnknownRole(ValueError):
    pass


def user_role_set(*, user: User, role: str) -> None:
    """Give the user exactly one role ("viewer", "operator", "admin"), or none ("none")."""
    if role != "none" and role not in ROLES:
        raise UnknownRole(f"Unknown role {role!r}: use viewer, operator, admin or none.")
    with transaction.atomic():
        groups = user.groups
        groups.remove(*Group.objects.filter(name__in=ROLES.values()))
        if role != "none":
            # The data migration made the groups; an empty stand-in would grant nothing.
            groups.add(Group.objects.get(name=ROLES[role]))
