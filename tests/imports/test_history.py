"""The runs history: filters, sorting, pages, re-run links, and never a 500 on bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from propel_admin.core import forms as core_forms
from propel_admin.imports import history_forms
from propel_admin.imports.models import ImportRun, RunStatus, Upload

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _run(user: Any, name: str = "weekly.csv", *, days: int = 0, **fields: Any) -> ImportRun:
    """A run as the pages read it: counters and times only (outcomes are not tested here)."""
    upload = Upload.objects.create(
        file="uploads/x.csv", original_name=name, size=1, sha256="0" * 64,
        uploaded_by=user, file_format="csv",
    )  # fmt: skip
    run = ImportRun.objects.create(
        upload=upload, mapping={}, read_options={}, created_by=user, **fields
    )
    ImportRun.objects.filter(pk=run.pk).update(created_at=DAY + timedelta(days=days))
    run.refresh_from_db()
    return run


def _sent(user: Any, name: str, *, seconds: float, created: int, failed: int = 0,
          days: int = 0, **fields: Any) -> ImportRun:  # fmt: skip
    start = DAY + timedelta(days=days)
    return _run(
        user, name, days=days, status=RunStatus.FINISHED, rows_read=created + failed,
        rows_valid=created + failed, rows_to_send=created + failed, rows_created=created,
        rows_failed=failed, send_started_at=start,
        send_finished_at=start + timedelta(seconds=seconds), **fields,
    )  # fmt: skip


def _ids(client: Client, **params: str) -> list[int]:
    response = client.get(reverse("runs:run-list"), params)
    assert response.status_code == 200
    return [line["run"].pk for line in response.context["lines"]]


@pytest.fixture
def colleague(django_user_model):  # type: ignore[no-untyped-def]
    return django_user_model.objects.create_user(username="carl", password="colleague-pass-1")


def test_filters_narrow_the_runs(client: Client, operator, colleague) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    mine = _sent(operator, "Weekly-March.csv", seconds=10, created=100, days=0)
    checked = _run(operator, "leads.xlsx", days=2, status=RunStatus.VALIDATED, rows_read=5)
    theirs = _sent(colleague, "weekly-april.csv", seconds=5, created=10, days=5)
    started_for_me = _sent(colleague, "other.csv", seconds=5, created=10, days=6,
                           send_started_by=operator)  # fmt: skip

    assert _ids(client, status="validated") == [checked.pk]
    assert _ids(client, person="carl") == [started_for_me.pk, theirs.pk]
    assert _ids(client, person="olivia") == [started_for_me.pk, checked.pk, mine.pk]
    assert _ids(client, file_name="WEEKLY") == [theirs.pk, mine.pk]
    assert _ids(client, date_from="2026-03-12", date_to="2026-03-15") == [theirs.pk, checked.pk]
    assert _ids(client, date_to="2026-03-10") == [mine.pk]  # the whole of the last day counts
    assert _ids(client, date_from="2026-03-16") == [started_for_me.pk]
    assert _ids(client, file_name="weekly", person="carl", status="finished") == [theirs.pk]
    assert _ids(client, file_name="nothing-like-it") == []


def test_sorting_by_age_duration_rows_and_failures(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    slow = _sent(operator, "a.csv", seconds=300, created=10, failed=0, days=0)
    big = _sent(operator, "b.csv", seconds=20, created=5000, failed=1, days=1)
    failing = _sent(operator, "c.csv", seconds=60, created=1, failed=40, days=2)
    check = _run(operator, "d.csv", days=3, status=RunStatus.VALIDATED, rows_read=3,
                 started_at=DAY, finished_at=DAY + timedelta(seconds=1))  # fmt: skip
    running = _run(operator, "e.csv", days=4, status=RunStatus.SENDING, send_started_at=DAY)

    assert _ids(client) == [running.pk, check.pk, failing.pk, big.pk, slow.pk]
    assert _ids(client, sort="oldest") == [slow.pk, big.pk, failing.pk, check.pk, running.pk]
    # A run still sending has no duration yet: it goes last.
    assert _ids(client, sort="duration") == [slow.pk, failing.pk, big.pk, check.pk, running.pk]
    assert _ids(client, sort="rows")[:3] == [big.pk, failing.pk, slow.pk]
    assert _ids(client, sort="failed")[:3] == [failing.pk, big.pk, running.pk]


def test_each_line_shows_outcomes_duration_throughput_and_re_runs(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    parent = _sent(operator, "weekly.csv", seconds=125, created=240, failed=10)
    first = _sent(operator, "weekly.csv", seconds=2, created=6, days=1, parent=parent)
    second = _sent(operator, "weekly.csv", seconds=2, created=4, days=2, parent=parent)
    response = client.get(reverse("runs:run-list"))
    page = response.content.decode()
    line = next(li for li in response.context["lines"] if li["run"].pk == parent.pk)
    assert line["seconds"] == 125
    assert line["rate"] == 2.0  # 250 rows sent in 125 s
    assert line["children"] == [first.pk, second.pk]
    assert "2 min 5 s" in page
    assert f're-run of <a href="/runs/{parent.pk}/">#{parent.pk}</a>' in page
    assert f'<a href="/runs/{first.pk}/">#{first.pk}</a> <a href="/runs/{second.pk}/">' in page
    assert 'aria-label="Rows by outcome: 240 created, 10 failed"' in page


def test_pages_of_fifty_keep_the_filters(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    for i in range(120):
        _run(operator, f"batch-{i:03}.csv", days=i % 7)
    _run(operator, "unrelated.csv")
    first = client.get(reverse("runs:run-list"), {"file_name": "batch", "sort": "oldest"})
    assert len(first.context["lines"]) == 50
    assert "121 runs" not in first.content.decode()
    assert "120 runs, page 1 of 3" in first.content.decode()
    assert 'href="?file_name=batch&amp;sort=oldest&amp;page=2"' in first.content.decode()
    params = {"file_name": "batch", "sort": "oldest", "page": "3"}
    third = client.get(reverse("runs:run-list"), params)
    assert len(third.context["lines"]) == 20
    assert all("batch" in li["run"].upload.original_name for li in third.context["lines"])
    assert 'href="?file_name=batch&amp;sort=oldest&amp;page=2" rel="prev"' in third.content.decode()
    seen = (
        _ids(client, file_name="batch", sort="oldest")
        + _ids(client, file_name="batch", sort="oldest", page="2")
        + [li["run"].pk for li in third.context["lines"]]
    )
    assert len(set(seen)) == 120


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("runs:run-list")).status_code == 200
    return len(captured)


def test_the_page_costs_the_same_queries_for_many_runs(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    parent = _sent(operator, "p.csv", seconds=3, created=3)
    _sent(operator, "child.csv", seconds=3, created=3, parent=parent)
    few = _queries(client)
    for i in range(60):
        _sent(operator, f"r{i}.csv", seconds=3, created=3, parent=parent if i % 2 else None)
    # 13: the page's own, plus the user's role and permissions (for the header and the checks)
    assert _queries(client) == few <= 13


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "exploded"}, history_forms.STATUS_UNKNOWN),
        ({"person": "nobody-here"}, history_forms.PERSON_UNKNOWN),
        ({"date_from": "2026-13-45"}, core_forms.DATE_INVALID),
        ({"date_to": "yesterday"}, core_forms.DATE_INVALID),
        ({"date_from": "2026-03-12", "date_to": "2026-03-01"}, core_forms.DATES_REVERSED),
        ({"sort": "random();drop"}, history_forms.SORT_UNKNOWN),
    ],
)
def test_a_bad_filter_is_explained_and_left_out(
    client: Client,
    operator,
    params: dict[str, str],
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    run = _run(operator, "weekly.csv")
    response = client.get(reverse("runs:run-list"), {**params, "file_name": "weekly"})
    assert response.status_code == 200
    page = response.content.decode()
    assert history_forms.FILTERS_IGNORED in page
    assert message.replace("“", "&ldquo;")[:20] in page or message[:20] in page
    assert [li["run"].pk for li in response.context["lines"]] == [run.pk]  # the rest still applies


@pytest.mark.parametrize("page", ["abc", "-1", "999", "1.5", ""])
def test_a_bad_page_number_shows_the_nearest_page(client: Client, operator, page: str) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    _run(operator)
    response = client.get(reverse("runs:run-list"), {"page": page})
    assert response.status_code == 200
    assert "There is no such page" in response.content.decode()
    assert len(response.context["lines"]) == 1


def test_no_runs_and_no_match_read_differently(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    assert "No runs yet" in client.get(reverse("runs:run-list")).content.decode()
    _run(operator)
    assert (
        "No run matches these filters"
        in client.get(reverse("runs:run-list"), {"file_name": "zzz"}).content.decode()
    )
