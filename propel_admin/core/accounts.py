"""Services for user accounts."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from propel_admin.core import roles

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FirstAccount:
    username: str
    password: str | None  # only when it was generated just now; never stored in clear
    created: bool


def first_account_ensure(*, username: str = "", password: str = "") -> FirstAccount:
    """Create the first superuser unless one exists; generate a password when none is given.

    The account is an Admin (its header says so, and it keeps the role if someone later
    takes away its superuser flag); a first superuser made before roles existed joins too.
    """
    User = get_user_model()
    with transaction.atomic():
        roles.roles_ensure()
        existing = User.objects.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            existing.groups.add(Group.objects.get(name=roles.ADMIN))
            return FirstAccount(existing.get_username(), None, created=False)
        name = username or "admin"
        generated = not password
        secret = password or secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=name, email="", password=secret)
        roles.user_role_set(user=user, role="admin")
    return FirstAccount(name, secret if generated else None, created=True)


def first_account_from_env() -> FirstAccount:
    """first_account_ensure with DJANGO_SUPERUSER_USERNAME / _PASSWORD when they are set."""
    return first_account_ensure(
        username=os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip(),
        password=os.environ.get("DJANGO_SUPERUSER_PASSWORD", ""),
    )


def _session_keys_of(user_pk: int) -> list[str]:
    """Keys of the live database sessions logged in as this user."""
    wanted = str(user_pk)
    keys = []
    # Sessions are signed blobs: decode each live one (a handful per member of staff).
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get(SESSION_KEY)) == wanted:
            keys.append(session.session_key)
    return keys


def user_sessions_count(*, user: AbstractBaseUser) -> int:
    return len(_session_keys_of(user.pk))


def user_sessions_end(*, user: AbstractBaseUser) -> int:
    """End every session of this user, on every device; returns how many were ended."""
    keys = _session_keys_of(user.pk)
    Session.objects.filter(session_key__in=keys).delete()
    logger.info("user %s logged out everywhere (%d sessions ended)", user.pk, len(keys))
    return len(keys)
