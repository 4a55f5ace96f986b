"""Geometry for the run page's server-rendered SVG charts (no ORM, no JavaScript)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_BUCKETS = 60
BAR_WIDTH = 1000  # the stacked bar's viewBox width; the page stretches it
CHART_WIDTH = 600
CHART_HEIGHT = 120


@dataclass(frozen=True)
class Segment:
    """One outcome in the stacked bar: its count, and where it sits (viewBox units)."""

    key: str
    label: str
    count: int
    x: float = 0.0
    width: float = 0.0

    @property
    def percent(self) -> int:
        return round(100 * self.width / BAR_WIDTH)


def stacked_bar(counts: Iterable[tuple[str, str, int]]) -> list[Segment]:
    """Outcomes laid side by side in proportion to their counts; empty ones get no width."""
    items = [(key, label, max(count, 0)) for key, label, count in counts]
    total = sum(count for _, _, count in items)
    segments, x = [], 0.0
    for key, label, count in items:
        width = BAR_WIDTH * count / total if total else 0.0
        segments.append(Segment(key, label, count, round(x, 2), round(width, 2)))
        x += width
    return segments


@dataclass(frozen=True)
class Bucket:
    start: datetime
    rows: int
    rate: float  # rows per second in this bucket
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Throughput:
    buckets: list[Bucket]
    seconds_per_bucket: float
    peak: float
    average: float
    start: datetime
    end: datetime
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


def throughput(
    points: Iterable[tuple[datetime | None, int]],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Throughput | None:
    """Rows finished per second from start to end, in at most MAX_BUCKETS buckets of >= 1 s."""
    done = sorted((at, rows) for at, rows in points if at is not None)
    if not done:
        return None
    first = min(start, done[0][0]) if start else done[0][0]
    end = max(end, done[-1][0]) if end else done[-1][0]
    span = max((end - first).total_seconds(), 1.0)
    step = max(1.0, span / MAX_BUCKETS)
    count = min(MAX_BUCKETS, max(1, math.ceil(span / step)))
    totals = [0] * count
    for at, rows in done:
        index = min(int((at - first).total_seconds() / step), count - 1)
        totals[index] += rows
    rates = [rows / step for rows in totals]
    peak = max(rates)
    width = CHART_WIDTH / count
    buckets = []
    for index, (rows, rate) in enumerate(zip(totals, rates, strict=True)):
        height = CHART_HEIGHT * rate / peak if peak else 0.0
        buckets.append(
            Bucket(
                start=first + timedelta(seconds=index * step),
                rows=rows,
                rate=rate,
                x=round(index * width, 2),
                y=round(CHART_HEIGHT - height, 2),
                width=round(max(width - 1, 0.5), 2),
                height=round(height, 2),
            )
        )
    average = sum(totals) / span
    return Throughput(buckets, step, peak, average, first, end)
