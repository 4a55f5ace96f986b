"""A sent run reviewed: outcome bar, throughput, error groups and their rows, a contact's
rows across runs, and the contact lookup. Real runs: the sandbox over HTTP, a real worker."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from propel_admin.imports import history_forms
from propel_admin.imports.models import ContactRow, ImportRun, RowStatus
from tests.imports.conftest import sent_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

HEADER = "Contact ID,First name,Email,Company ID"
ROWS = [
    *[f"{6100 + i},Name{i},n{i}@example.com,1" for i in range(20)],
    "6200,Orphan,Orphan.One@Example.com,999912",  # unknown company: failed by Propeller
    "6201,Orphan,o2@example.com,999913",  # the same problem with another id
    "6202,Orphan,o3@example.com,999914",
    "6203,Bad,not-an-email,1",  # invalid: never sent
]
PARENT_KEY = "Parent resource [Company] with id [<n>] not found"


def _sent_run(client: Client, operator, run_worker, rows: list[str] = ROWS) -> ImportRun:  # type: ignore[no-untyped-def]
    run = sent_run(client, run_worker, operator, rows, HEADER)
    return run


@pytest.fixture
def sent(client: Client, operator, sandbox, run_worker, settings) -> ImportRun:  # type: ignore[no-untyped-def]
    settings.PROPELLER_BATCH_SIZE = 5
    client.force_login(operator)
    run = _sent_run(client, operator, run_worker)
    assert (run.rows_created, run.rows_failed, run.rows_invalid) == (20, 3, 1)
    return run


def test_the_run_page_groups_failures_by_their_folded_message(
    client: Client, sent: ImportRun
) -> None:
    response = client.get(reverse("runs:run-detail", args=[sent.pk]))
    page = response.content.decode()
    groups = response.context["failures"]["groups"]
    assert [(g["failure_key"], g["count"]) for g in groups] == [(PARENT_KEY, 3)]
    assert groups[0]["example_rows"] == [22, 23, 24]
    assert groups[0]["example"].startswith("Parent resource [Company] with id [9999")
    assert "Why rows failed" in page
    assert "3 rows" in page
    assert "Rows 22, 23, 24" in page
    assert '<div class="group-actions">' in page
    assert f"/runs/{sent.pk}/rows/?group=Parent%20resource%20%5BCompany%5D" in page


def test_the_run_page_draws_outcomes_and_throughput(client: Client, sent: ImportRun) -> None:
    response = client.get(reverse("runs:run-detail", args=[sent.pk]))
    page = response.content.decode()
    assert 'aria-label="Rows by outcome: 20 created, 3 failed, 1 invalid"' in page
    outcomes = {s.key: s for s in response.context["outcomes"]}
    assert (outcomes["created"].count, outcomes["waiting"].count) == (20, 0)
    assert outcomes["created"].width == pytest.approx(1000 * 20 / 24, abs=0.01)
    chart = response.context["throughput"]
    assert sum(b.rows for b in chart.buckets) == 23  # 5 batches of 5, 4, 5, 5, 4 rows
    assert 1 <= len(chart.buckets) <= 60
    assert 'id="throughput-summary"' in page
    assert "throughput-bar" in page


def test_the_group_filter_shows_only_that_groups_rows(client: Client, sent: ImportRun) -> None:
    url = reverse("runs:run-rows", args=[sent.pk])
    response = client.get(url, {"group": PARENT_KEY})
    numbers = [row.row_number for row, _ in response.context["rows"]]
    assert numbers == [22, 23, 24]
    page = response.content.decode()
    assert "Only the failed rows of one error group" in page
    assert "n1@example.com" not in page
    assert client.get(url, {"group": "No such problem"}).context["rows"] == []
    # The group wins over an outcome that would contradict it.
    assert len(client.get(url, {"group": PARENT_KEY, "status": "created"}).context["rows"]) == 3


def test_the_group_filter_pages_keep_the_group(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    rows = [f"{6500 + i},N{i},m{i}@example.com,{990000 + i}" for i in range(55)]
    run = _sent_run(client, operator, run_worker, rows)
    assert run.rows_failed == 55
    url = reverse("runs:run-rows", args=[run.pk])
    first = client.get(url, {"group": PARENT_KEY})
    assert len(first.context["rows"]) == 50
    assert "group=Parent%20resource" in first.content.decode()
    second = client.get(url, {"group": PARENT_KEY, "after": first.context["next_after"]})
    assert [row.row_number for row, _ in second.context["rows"]] == [52, 53, 54, 55, 56]


def test_a_row_shows_the_same_contact_in_other_runs(
    client: Client,
    operator,
    sent: ImportRun,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    again = _sent_run(client, operator, run_worker)
    assert (again.rows_updated, again.rows_failed) == (20, 3)
    response = client.get(reverse("runs:run-row", args=[again.pk, 22]))
    page = response.content.decode()
    others = response.context["other_rows"]["rows"]
    assert [(r.run_id, r.row_number, r.status) for r in others] == [(sent.pk, 22, "failed")]
    assert "This contact in other runs" in page
    assert f'href="/runs/{sent.pk}/rows/22/"' in page
    assert "Parent resource [Company] with id [999912] not found" in page
    # The first run's view of a created contact links to its later update, newest first.
    third = _sent_run(client, operator, run_worker)
    first_row = client.get(reverse("runs:run-row", args=[sent.pk, 2])).context["other_rows"]
    assert [(r.run_id, r.status) for r in first_row["rows"]] == [
        (third.pk, RowStatus.UPDATED),
        (again.pk, RowStatus.UPDATED),
    ]


def test_a_contact_in_no_other_run_says_so(client: Client, sent: ImportRun) -> None:
    page = client.get(reverse("runs:run-row", args=[sent.pk, 2])).content.decode()
    assert "Contact 6100 appears in no other run." in page


def test_the_lookup_finds_a_contact_by_id_and_by_email(
    client: Client,
    operator,
    sent: ImportRun,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    again = _sent_run(client, operator, run_worker)
    lookup = reverse("contacts:contact-lookup")
    by_id = client.get(lookup, {"q": " 6200 "})
    assert [(r.run_id, r.status) for r in by_id.context["contact_rows"]] == [
        (again.pk, "failed"), (sent.pk, "failed")
    ]  # fmt: skip
    page = by_id.content.decode()
    assert "Parent resource [Company] with id [999912] not found" in page
    assert f'href="/runs/{again.pk}/rows/22/"' in page
    assert "c.csv" in page
    by_email = client.get(lookup, {"q": "orphan.ONE@example.COM"})
    assert [r.contact_id for r in by_email.context["contact_rows"]] == [6200, 6200]
    created = client.get(lookup, {"q": "6100"}).content.decode()
    assert "Created" in created
    assert "Updated" in created
    invalid = client.get(lookup, {"q": "6203"})
    assert [r.status for r in invalid.context["contact_rows"]] == ["invalid", "invalid"]


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", history_forms.LOOKUP_EMPTY),
        ("   ", history_forms.LOOKUP_EMPTY),
        ("Smith", history_forms.LOOKUP_MALFORMED),
        ("-5", history_forms.LOOKUP_MALFORMED),
        ("12.5", history_forms.LOOKUP_MALFORMED),
        ("99999999999999999999999", history_forms.LOOKUP_MALFORMED),
        ("a@b@c", history_forms.LOOKUP_MALFORMED),
        ("name @example.com", history_forms.LOOKUP_MALFORMED),
        ("'; DROP TABLE x; --", history_forms.LOOKUP_MALFORMED),
        ("\uff11\uff12\uff13", history_forms.LOOKUP_MALFORMED),  # full-width digits: isdigit()
        ("x" * 400 + "@example.com", history_forms.LOOKUP_MALFORMED),
    ],
)
def test_a_malformed_query_is_explained(client: Client, operator, q: str, message: str) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.get(reverse("contacts:contact-lookup"), {"q": q})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["contact_rows"] == []


def test_no_match_is_said_plainly(client: Client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)
    lookup = reverse("contacts:contact-lookup")
    assert history_forms.LOOKUP_EMPTY in client.get(lookup).content.decode()
    assert history_forms.LOOKUP_NO_MATCH not in client.get(lookup).content.decode()
    for q in ("424242", "nobody@example.com"):
        page = client.get(lookup, {"q": q}).content.decode()
        assert history_forms.LOOKUP_NO_MATCH in page


def test_the_lookup_needs_a_login(client: Client) -> None:
    response = client.get(reverse("contacts:contact-lookup"), {"q": "6200"})
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_email_lookup_uses_the_lower_cased_column(client: Client, sent: ImportRun) -> None:
    row = ContactRow.objects.get(run=sent, contact_id=6200)
    assert row.email == "orphan.one@example.com"
