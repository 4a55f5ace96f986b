"""Login lockout helpers for django-axes: the client's address and the time left."""

from __future__ import annotations

import math
from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

LOCKED_OUT = (
    "Too many failed attempts; try again in {minutes} or ask an administrator to unlock "
    "your account."
)


def client_ip(request: HttpRequest) -> str:
    """The address lockouts are counted against.

    REMOTE_ADDR, unless TRUST_PROXY_HEADERS says a proxy in front sets X-Forwarded-For:
    then its last entry, the one the proxy appended (earlier ones are the client's word).
    """
    if settings.TRUST_PROXY_HEADERS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return str(request.META.get("REMOTE_ADDR", ""))


def lockout_minutes_left(*, username: str, ip_address: str) -> int:
    """Whole minutes (at least 1) until a locked-out username at this address may try again."""
    cool_off = timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
    latest = (
        AccessAttempt.objects.filter(username=username, ip_address=ip_address)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if latest is None:
        return settings.LOGIN_COOLOFF_MINUTES
    left = (latest + cool_off - timezone.now()).total_seconds()
    return max(1, math.ceil(left / 60))


def minutes_text(minutes: int) -> str:
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
