"""Sending a checked run to the sandbox over HTTP with a real (in-process) RQ worker."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from propel_admin.imports import run_control
from propel_admin.imports.models import (
    Batch,
    ContactRow,
    ImportRun,
    RowStatus,
    RunEvent,
    RunStatus,
)
from tests.imports.conftest import checked_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


HEADER = "Contact ID,First name,Email,Company ID"


def _checked_run(client: Client, run_worker, rows: list[str], header: str = HEADER) -> ImportRun:  # type: ignore[no-untyped-def]
    return checked_run(client, run_worker, rows, header)


def test_every_valid_row_reaches_propeller_with_its_outcome(
    client: Client,
    operator,
    sandbox,
    run_worker,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.PROPELLER_BATCH_SIZE = 40
    client.force_login(operator)
    rows = [f"{1000 + i},Name {i},p{i}@example.com,{1 + i % 5}" for i in range(150)]
    rows.append("2000,Bad parent,bp@example.com,999999")  # unknown company: failed by Propeller
    rows.append("2001,Invalid,not-an-email,1")  # caught by the check, never sent
    run = _checked_run(client, run_worker, rows)
    assert (run.rows_valid, run.rows_invalid) == (151, 1)

    response = client.post(reverse("runs:run-start", args=[run.pk]), {"mode": "all"})
    assert response.status_code == 302
    client.post(reverse("runs:run-start", args=[run.pk]), {"mode": "all"})  # double click
    run_worker()

    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED_FAILURES
    assert (run.rows_created, run.rows_updated, run.rows_failed) == (150, 0, 1)
    assert Batch.objects.filter(run=run).count() == 4  # 151 rows in batches of 40
    failed = ContactRow.objects.get(run=run, status=RowStatus.FAILED)
    assert failed.message == "Parent resource [Company] with id [999999] not found"
    assert failed.failure_key == "Parent resource [Company] with id [<n>] not found"
    created = ContactRow.objects.get(run=run, row_number=2)
    assert created.status == RowStatus.CREATED
    assert created.propeller_id
    assert (created.action, created.message, created.failure_key) == ("create", "", "")
    stored = sandbox.get_contact(1000)
    assert stored["email"] == "p0@example.com"
    assert stored["parent"] == {"id": 1}
    assert RunEvent.objects.filter(run=run, action="start").count() == 1
    page = client.get(reverse("runs:run-detail", args=[run.pk])).content.decode()
    assert "Why rows failed" in page
    assert "Parent resource [Company] with id [999999] not found" in page

    # The same file again: every contact is now an update.
    again = _checked_run(client, run_worker, rows)
    run_control.run_start(run_id=again.pk, user=operator)
    run_worker()
    again.refresh_from_db()
    assert (again.rows_created, again.rows_updated, again.rows_failed) == (0, 150, 1)


def test_a_schema_error_fails_only_the_row_it_names(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    run = _checked_run(
        client, run_worker, [f"{3000 + i},N{i},n{i}@example.com,1" for i in range(5)]
    )
    bad = ContactRow.objects.get(run=run, row_number=4)
    bad.payload = {**bad.payload, "company": "Acme"}  # as if the mapping had let it through
    bad.save()
    run_control.run_start(run_id=run.pk, user=operator)
    run_worker()
    run.refresh_from_db()
    assert (run.rows_created, run.rows_failed) == (4, 1)
    bad.refresh_from_db()
    assert bad.status == RowStatus.FAILED
    assert bad.message == "extraneous key [company] is not permitted"  # without the batch index


def test_a_trial_sends_the_first_rows_then_waits(
    client: Client,
    operator,
    sandbox,
    run_worker,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.PROPELLER_BATCH_SIZE = 10
    client.force_login(operator)
    run = _checked_run(
        client, run_worker, [f"{4000 + i},N{i},n{i}@example.com,1" for i in range(30)]
    )
    client.post(reverse("runs:run-start", args=[run.pk]), {"mode": "canary", "canary": "10"})
    run_worker()
    run.refresh_from_db()
    assert run.status == RunStatus.PAUSED
    assert run.rows_created == 10
    assert "were sent as a trial" in run.paused_reason
    client.post(reverse("runs:run-resume", args=[run.pk]))
    run_worker()
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    assert run.rows_created == 30


def test_cancel_stops_the_rows_not_yet_sent(
    client: Client,
    operator,
    sandbox,
    run_worker,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.PROPELLER_BATCH_SIZE = 10
    client.force_login(operator)
    run = _checked_run(
        client, run_worker, [f"{5000 + i},N{i},n{i}@example.com,1" for i in range(30)]
    )
    run_control.run_start(run_id=run.pk, user=operator, canary=10)
    run_worker()
    client.post(reverse("runs:run-cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert (run.rows_created, run.rows_cancelled) == (10, 20)
    assert ContactRow.objects.filter(run=run, status=RowStatus.CANCELLED).count() == 20
    assert list(RunEvent.objects.filter(run=run).values_list("action", "user__username")) == [
        ("start", "olivia"),
        ("pause", None),
        ("cancel", "olivia"),
    ]


def test_the_rows_page_finds_a_contact_and_the_row_view_hides_pii(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    header = "Contact ID,First name,Email,Company ID,SSN,Date of birth"
    rows = [
        "48213,Ann,ann@example.com,1,123-45-6789,28/08/1993",
        "48214,Bob,bob@example.com,999999,987-65-4321,01/02/1980",
        *[f"{50000 + i},N{i},n{i}@example.com,1,," for i in range(60)],
    ]
    run = _checked_run(client, run_worker, rows, header=header)
    run_control.run_start(run_id=run.pk, user=operator)
    run_worker()

    found = client.get(reverse("runs:run-rows", args=[run.pk]), {"q": "48213"}).content.decode()
    assert "ann@example.com" in found
    assert "bob@example.com" not in found
    failed = client.get(
        reverse("runs:run-rows", args=[run.pk]), {"status": "failed"}
    ).content.decode()
    assert "Parent resource [Company] with id [999999] not found" in failed
    assert "ann@example.com" not in failed
    by_email = client.get(
        reverse("runs:run-rows", args=[run.pk]), {"q": "BOB@example.com"}
    ).content.decode()
    assert "48214" in by_email

    first = client.get(reverse("runs:run-rows", args=[run.pk])).content.decode()
    assert "Next rows" in first  # 62 rows, 50 a page
    second = client.get(reverse("runs:run-rows", args=[run.pk]), {"after": "51"}).content.decode()
    assert "n59@example.com" in second
    assert "ann@example.com" not in second

    view = client.get(reverse("runs:run-row", args=[run.pk, 2])).content.decode()
    assert "Created" in view
    assert "123-45-6789" not in view
    assert "28/08/1993" not in view
    assert "•••" in view
    assert "ann@example.com" in view
