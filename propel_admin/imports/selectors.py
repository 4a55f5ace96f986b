"""Reads for the imports pages (selectors). Writes live in services.py."""

from __future__ import annotations

from django.db.models import QuerySet

from propel_admin.imports.models import Upload


def upload_list(*, limit: int = 50) -> QuerySet[Upload]:
    return Upload.objects.select_related("uploaded_by").order_by("-created_at", "-id")[:limit]
