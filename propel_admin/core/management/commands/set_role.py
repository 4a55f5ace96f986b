"""manage.py set_role USERNAME viewer|operator|admin|none: give someone their one role."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser

from propel_admin.core import roles

EXIT_BAD = 2
NO_SUCH_USER = "set_role: no user named {name!r}"
NO_SUCH_ROLE = "set_role: unknown role {role!r}; use viewer, operator, admin or none"
NO_GROUPS = "set_role: the role groups are missing; run manage.py migrate first"


class Command(BaseCommand):
    help = (
        "Give a user one role: viewer (sees runs, rows and contacts), operator (also uploads, "
        "checks, sends, re-runs and exports), admin (also templates, users, personal data and "
        "the audit trail), or none. Replaces the role they had."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", metavar="viewer|operator|admin|none")

    def handle(self, *args: Any, **options: Any) -> None:
        name, role = options["username"], options["role"].strip().lower()
        if role != "none" and role not in roles.ROLES:
            self._fail(NO_SUCH_ROLE.format(role=options["role"]))
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            self._fail(NO_SUCH_USER.format(name=name))
        try:
            roles.user_role_set(user=user, role=role)
        except Group.DoesNotExist:
            self._fail(NO_GROUPS)
        shown = roles.ROLES.get(role)
        self.stdout.write(f"{name}'s role is now {shown}." if shown else f"{name} has no role now.")
        if user.is_superuser and role != "admin":
            self.stdout.write(f"{name} is a superuser: they can still do everything.")

    def _fail(self, line: str) -> NoReturn:
        self.stderr.write(line)
        sys.exit(EXIT_BAD)
