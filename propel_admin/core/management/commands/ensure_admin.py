"""manage.py ensure_admin: create the first account once (used by `make run`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from propel_admin.core.accounts import FirstAccount, first_account_from_env


def login_hint(account: FirstAccount) -> str:
    """What to tell the person at the terminal about logging in."""
    if account.password:
        return (
            f"Log in as {account.username!r} with password {account.password!r}. "
            "It is shown this once: keep it or change it after logging in."
        )
    if account.created:
        return f"Log in as {account.username!r} with the password from DJANGO_SUPERUSER_PASSWORD."
    return (
        f"Log in as {account.username!r} (password set earlier; to reset it: "
        f".venv/bin/python manage.py changepassword {account.username})."
    )


class Command(BaseCommand):
    help = (
        "Create the first superuser, with the Admin role, unless one exists (an existing one "
        "gets the Admin role). Uses DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD "
        "when set, otherwise 'admin' with a generated password printed once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(login_hint(first_account_from_env()))
