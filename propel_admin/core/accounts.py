"""Services for user accounts."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction


@dataclass(frozen=True)
class FirstAccount:
    username: str
    password: str | None  # only when it was generated just now; never stored in clear
    created: bool


def first_account_ensure(*, username: str = "", password: str = "") -> FirstAccount:
    """Create the first superuser unless one exists; generate a password when none is given."""
    User = get_user_model()
    with transaction.atomic():
        existing = User.objects.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            return FirstAccount(existing.get_username(), None, created=False)
        name = username or "admin"
        generated = not password
        secret = password or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=name, email="", password=secret)
    return FirstAccount(name, secret if generated else None, created=True)


def first_account_from_env() -> FirstAccount:
    """first_account_ensure with DJANGO_SUPERUSER_USERNAME / _PASSWORD when they are set."""
    return first_account_ensure(
        username=os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip(),
        password=os.environ.get("DJANGO_SUPERUSER_PASSWORD", ""),
    )
