"""Small template filters for the mapping preview."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def payload_value(payload: dict[str, Any], field: str) -> Any:
    """The value sent for a field key, following `parent.id` into the nested object."""
    if "." in field:
        outer, inner = field.split(".", 1)
        nested = payload.get(outer)
        return nested.get(inner) if isinstance(nested, dict) else None
    return payload.get(field)


@register.filter
def errors_for(errors: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    return [e for e in errors if e["field"] == field]
