"""Writing the audit trail. Call audit_record inside the transaction of the change it records,
so that a change that fails leaves no event and no event exists without its change."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.http import HttpRequest, HttpResponse

from propel_admin.audit.actions import LABELS
from propel_admin.audit.models import AuditEvent

logger = logging.getLogger(__name__)

SYSTEM = "system"
DETAIL_MAX = 500
# Short names for the objects the trail speaks of ("run 12", "upload 3", "template 4").
OBJECT_TYPES = {"importrun": "run", "upload": "upload", "mappingtemplate": "template",
                "contactrow": "row"}  # fmt: skip

# The client address of the web request being served (set by AuditRequestMiddleware), so
# services deep below a view record it without every signature carrying the request.
_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)

AuditObject = models.Model | tuple[str, int | None] | None


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR: behind a proxy, the proxy sets it right (X-Forwarded-For can be forged)."""
    return request.META.get("REMOTE_ADDR") or None


def _object_ref(obj: AuditObject) -> tuple[str, int | None]:
    if obj is None:
        return "", None
    if isinstance(obj, tuple):
        return obj
    name = obj._meta.model_name or ""
    return OBJECT_TYPES.get(name, name), obj.pk


def audit_record(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: AuditObject = None,
    detail: str = "",
    request: HttpRequest | None = None,
    username: str = "",
) -> AuditEvent:
    """Record one action. `obj` is a model instance or ("run", 12); `detail` never holds PII.

    `username` names an actor without an account (e.g. "ops (command line)"); otherwise
    the user's name is kept, or "system" for automatic actions.
    """
    if action not in LABELS:
        raise ValueError(f"unknown audit action {action!r}")
    person = user if user is not None and user.is_authenticated else None
    object_type, object_id = _object_ref(obj)
    ip = client_ip(request) if request is not None else _client_ip.get()
    return AuditEvent.objects.create(
        user=person,  # type: ignore[misc]
        username=(username or (person.get_username() if person else SYSTEM))[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail[:DETAIL_MAX],
        ip=ip,
    )


class AuditRequestMiddleware:
    """Makes the client's address known to audit_record for the length of one request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        token = _client_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)
