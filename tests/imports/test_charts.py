"""The run page's chart geometry: proportions, buckets, rates (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from propel_admin.imports.charts import (
    BAR_WIDTH,
    CHART_HEIGHT,
    MAX_BUCKETS,
    stacked_bar,
    throughput,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_the_stacked_bar_splits_its_width_in_proportion() -> None:
    segments = stacked_bar([("created", "Created", 75), ("failed", "Failed", 25), ("x", "X", 0)])
    assert [(s.x, s.width) for s in segments] == [(0, 750), (750, 250), (1000, 0)]
    assert [s.percent for s in segments] == [75, 25, 0]
    assert sum(s.width for s in segments) == BAR_WIDTH


def test_an_empty_run_draws_no_segment() -> None:
    assert [s.width for s in stacked_bar([("created", "Created", 0)])] == [0]


def test_throughput_buckets_rows_per_second() -> None:
    # 10 batches of 100 rows over 10 seconds: 1-second buckets, 100 rows/s each.
    points = [(T0 + timedelta(seconds=i + 0.5), 100) for i in range(10)]
    chart = throughput(points, start=T0, end=T0 + timedelta(seconds=10))
    assert chart is not None
    assert chart.seconds_per_bucket == 1
    assert len(chart.buckets) == 10
    assert {b.rate for b in chart.buckets} == {100}
    assert chart.peak == 100
    assert chart.average == 1000 / 10
    assert all(b.height == CHART_HEIGHT for b in chart.buckets)


def test_a_long_run_gets_at_most_sixty_buckets_and_keeps_every_row() -> None:
    points = [(T0 + timedelta(seconds=7 * i), 50) for i in range(1000)]  # ~2 hours
    chart = throughput(points)
    assert chart is not None
    assert len(chart.buckets) <= MAX_BUCKETS
    assert sum(b.rows for b in chart.buckets) == 50_000
    tallest = max(chart.buckets, key=lambda b: b.rate)
    assert tallest.rate == chart.peak
    assert tallest.y == 0


def test_a_stall_shows_as_an_empty_bucket() -> None:
    points = [(T0 + timedelta(seconds=1), 10), (T0 + timedelta(seconds=5), 30)]
    chart = throughput(points, start=T0)
    assert chart is not None
    assert [b.rows for b in chart.buckets] == [0, 10, 0, 0, 30]
    assert chart.buckets[2].height == 0


def test_without_an_end_the_last_batch_ends_the_chart() -> None:
    chart = throughput([(T0, 10), (T0 + timedelta(seconds=4), 30)])
    assert chart is not None
    assert (chart.start, chart.end, chart.average) == (T0, T0 + timedelta(seconds=4), 10)


def test_no_finished_batch_no_chart() -> None:
    assert throughput([(None, 100)]) is None
