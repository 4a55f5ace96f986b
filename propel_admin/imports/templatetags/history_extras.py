"""Filters for the review pages: durations and rates as people read them."""

from __future__ import annotations

from django import template

from propel_admin.imports.charts import Segment

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """45 s, 3 min 20 s, 2 h 5 min; an em dash when unknown."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


@register.filter
def rate(value: float | None) -> str:
    """Rows per second: whole numbers from 10 up, one decimal below."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


@register.filter
def outcome_summary(segments: list[Segment]) -> str:
    """The stacked bar in words, for screen readers: '20 created, 3 failed'."""
    parts = [f"{s.count} {s.label.lower()}" for s in segments if s.count]
    return ", ".join(parts) or "no rows yet"
