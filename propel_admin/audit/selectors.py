"""Reads of the audit trail: filtered, newest first, one keyset page at a time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from propel_admin.audit.models import AuditEvent

AUDIT_PAGE = 50


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_page(
    *,
    person: str = "",
    action: str = "",
    object_type: str = "",
    object_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    before: int | None = None,
    size: int = AUDIT_PAGE,
) -> tuple[list[AuditEvent], int | None]:
    """One page of events (keyset on id, newest first) and the key of the next, older page."""
    events = AuditEvent.objects.all()
    if person:
        events = events.filter(Q(username__iexact=person) | Q(user__username__iexact=person))
    if action:
        events = events.filter(action=action)
    if object_type:
        events = events.filter(object_type=object_type)
        if object_id is not None:
            events = events.filter(object_id=object_id)
    if date_from:
        events = events.filter(at__gte=_day_start(date_from))
    if date_to:
        events = events.filter(at__lt=_day_start(date_to + timedelta(days=1)))
    if before is not None:
        events = events.filter(id__lt=before)
    page = list(events.order_by("-id")[: size + 1])
    next_before = page[size - 1].pk if len(page) > size else None
    return page[:size], next_before
