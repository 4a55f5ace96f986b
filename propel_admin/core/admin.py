"""Users in the Django admin: Admins give roles (groups) but cannot make or change superusers."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

User = get_user_model()


class RoleUserAdmin(UserAdmin):
    list_display = ["username", "email", "is_active", "is_superuser", "last_login"]
    list_filter = ["groups", "is_active", "is_superuser"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Without this, changing users would let an Admin make anyone (themselves) superuser."""
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """A superuser's account (password included) is changed by superusers only."""
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


admin.site.unregister(User)
admin.site.register(User, RoleUserAdmin)
