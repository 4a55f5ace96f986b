"""Re-runs of failed rows and inline fixes, against the sandbox over HTTP with a real worker."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from propel_admin.audit.actions import ROW_FIX, RUN_RERUN
from propel_admin.audit.models import AuditEvent
from propel_admin.imports import mapping_edit, pii, rerun_selectors, reruns, run_control
from propel_admin.imports.models import (
    ContactRow,
    ImportRun,
    MappingTemplate,
    RowStatus,
    RunEvent,
    RunStatus,
)
from tests.imports.conftest import checked_run, sent_run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

HEADER = "Contact ID,First name,Email,Company ID"
UNKNOWN_PARENT = "Parent resource [Company] with id [{id}] not found"


def _sent_run(client: Client, operator, run_worker, rows: list[str], header: str = HEADER):  # type: ignore[no-untyped-def]
    """A run sent to the sandbox and finished: its unknown parent companies fail rows."""
    client.force_login(operator)
    run = sent_run(client, run_worker, operator, rows, header)
    return run


def _mixed_rows() -> list[str]:
    """Rows 2-6 are created; rows 7-8 name company 777777, rows 9-10 company 888888."""
    rows = [f"{6000 + i},Ok{i},ok{i}@example.com,1" for i in range(5)]
    rows += ["6100,Ann,ann@example.com,777777", "6101,Bob,bob@example.com,777777"]
    rows += ["6200,Cleo,cleo@example.com,888888", "6201,Dan,dan@example.com,888888"]
    return rows


def _confirm(client: Client, run: ImportRun, **data):  # type: ignore[no-untyped-def]
    return client.post(reverse("runs:rerun-confirm", args=[run.pk]), data)


def test_rerunning_all_failures_after_the_parent_exists_creates_them_in_a_child_run(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, operator, run_worker, _mixed_rows())
    assert (run.status, run.rows_created, run.rows_failed) == (RunStatus.FINISHED_FAILURES, 5, 4)
    page = client.get(reverse("runs:run-detail", args=[run.pk])).content.decode()
    assert "Re-run all 4 failed rows" in page
    assert page.count('small">Re-run this group') == 1  # one group: ids folded to <n>

    confirm = client.get(reverse("runs:rerun-confirm", args=[run.pk])).content.decode()
    assert "<strong>4</strong> failed rows will be checked again" in confirm
    assert sandbox.api_url in confirm

    sandbox.add_companies(ids=[777777, 888888])
    response = _confirm(client, run, mapping="run")
    child = ImportRun.objects.get(parent=run)
    assert response.status_code == 302
    assert response["Location"] == reverse("runs:run-detail", args=[child.pk])
    assert child.upload_id == run.upload_id
    assert child.mapping == run.mapping
    assert child.status == RunStatus.QUEUED  # a job copies, checks and sends the rows
    assert child.rerun_scope == {"group": "", "rows": []}
    run_worker()

    child.refresh_from_db()
    assert (child.status, child.rows_created, child.rows_failed) == (RunStatus.FINISHED, 4, 0)
    retried = ContactRow.objects.filter(run=child).order_by("row_number")
    assert [r.row_number for r in retried] == [7, 8, 9, 10]  # the file's row numbers
    parent_rows = ContactRow.objects.filter(run=run, status=RowStatus.FAILED)
    assert {r.retry_of_id for r in retried} == {r.pk for r in parent_rows}
    assert retried[0].cells == ["6100", "Ann", "ann@example.com", "777777"]
    assert sandbox.get_contact(6100)["parent"] == {"id": 777777}

    lineage = rerun_selectors.run_lineage(run=run)
    assert (lineage["fixed"], lineage["still_failing"]) == (4, 0)
    parent_page = client.get(reverse("runs:run-detail", args=[run.pk])).content.decode()
    assert "<strong>4</strong> of the 4 failed rows were fixed later by re-runs" in parent_page
    assert f"Run #{child.pk}</a>: Finished" in parent_page
    assert "Every failed row has been re-run already" in parent_page
    child_page = client.get(reverse("runs:run-detail", args=[child.pk])).content.decode()
    assert f'Re-run of <a href="/runs/{run.pk}/">run #{run.pk}</a>' in child_page
    event = RunEvent.objects.get(run=run, action="rerun")
    assert event.user == operator
    assert f"as run #{child.pk}" in event.detail
    assert RunEvent.objects.filter(run=child, action="start", user=operator).count() == 1
    audited = AuditEvent.objects.get(action=RUN_RERUN)
    assert (audited.user, audited.object_type, audited.object_id) == (operator, "run", run.pk)
    assert audited.detail.endswith(f"as run #{child.pk}")

    # Nothing is left to re-run: a second attempt is refused, and no row is sent twice.
    again = _confirm(client, run, mapping="run")
    assert again.status_code == 400
    assert "Every row chosen was re-run already" in again.content.decode()
    assert ImportRun.objects.filter(parent=run).count() == 1


def test_rerunning_one_error_group_leaves_the_others(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    rows = [*_mixed_rows(), "6300,Eve,eve@example.com,1"]
    run = _sent_run(client, operator, run_worker, rows)
    # A second kind of failure: Propeller refusing a key (as in test_sending).
    groups = rerun_selectors.rerun_groups(run=run)
    assert [(g["failure_key"], g["count"]) for g in groups] == [
        ("Parent resource [Company] with id [<n>] not found", 4)
    ]
    ContactRow.objects.filter(run=run, row_number=8).update(
        message="extraneous key [company] is not permitted",
        failure_key="extraneous key [company] is not permitted",
    )
    sandbox.add_companies(ids=[777777, 888888])

    # The message as Propeller wrote it folds to the group's key.
    key = reruns.group_key(run=run, text=UNKNOWN_PARENT.format(id=888888))
    assert key == "Parent resource [Company] with id [<n>] not found"
    confirm = client.get(reverse("runs:rerun-confirm", args=[run.pk]), {"group": key})
    assert "<strong>3</strong> failed rows" in confirm.content.decode()
    assert "Propeller said: Parent resource [Company] with id [777777] not found" in (
        confirm.content.decode()
    )
    _confirm(client, run, group=key, mapping="run")
    run_worker()
    child = ImportRun.objects.get(parent=run)
    assert sorted(ContactRow.objects.filter(run=child).values_list("row_number", flat=True)) == [
        7, 9, 10,
    ]  # fmt: skip
    assert child.rows_failed == 0
    left = reruns.rerun_candidates(run=run, scope=reruns.RerunScope())
    assert list(left.values_list("row_number", flat=True)) == [8]


def test_rerunning_chosen_rows_and_refusing_rows_that_succeeded(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, operator, run_worker, _mixed_rows())
    failed_page = client.get(reverse("runs:run-rows", args=[run.pk]), {"status": "failed"})
    assert 'aria-label="Choose row 9 to re-run"' in failed_page.content.decode()

    crafted = _confirm(client, run, rows=["2", "9"], mapping="run")  # row 2 was created
    assert crafted.status_code == 400
    assert "Only failed rows can be re-run: row 2 of run" in crafted.content.decode()
    assert not ImportRun.objects.filter(parent=run).exists()

    sandbox.add_companies(ids=[888888])
    confirm = client.get(reverse("runs:rerun-confirm", args=[run.pk]), {"rows": ["9", "10"]})
    assert "The rows you chose: 9, 10" in confirm.content.decode()
    _confirm(client, run, rows=["9", "10"], mapping="run")
    run_worker()
    child = ImportRun.objects.get(parent=run)
    assert (child.rows_read, child.rows_created) == (2, 2)
    assert rerun_selectors.run_lineage(run=run)["fixed"] == 2
    assert rerun_selectors.run_lineage(run=run)["still_failing"] == 2


def test_starting_the_same_rerun_twice_creates_one_child(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, operator, run_worker, _mixed_rows())
    sandbox.add_companies(ids=[777777, 888888])
    first = _confirm(client, run, mapping="run")
    second = _confirm(client, run, mapping="run")  # double click, before any worker ran
    child = ImportRun.objects.get(parent=run)
    assert first["Location"] == second["Location"] == reverse("runs:run-detail", args=[child.pk])
    followed = client.get(second["Location"]).content.decode()
    assert f"These rows are being re-run already in run #{child.pk}" in followed

    run_worker()
    child.refresh_from_db()
    assert child.rows_created == 4
    assert ImportRun.objects.filter(parent=run).count() == 1
    # No other row can take a row a retry holds, even past the service's checks.
    row = ContactRow.objects.get(run=run, row_number=7)
    with pytest.raises(IntegrityError):
        ContactRow.objects.create(
            run=child, row_number=7, cells=[], payload={}, status=RowStatus.PENDING, retry_of=row
        )


def test_rows_another_rerun_took_before_the_job_ran_are_left_out(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, operator, run_worker, _mixed_rows())
    child = reruns.run_rerun_create(run_id=run.pk, user=operator, scope=reruns.RerunScope())
    row = ContactRow.objects.get(run=run, row_number=8)
    other = ImportRun.objects.create(
        upload=run.upload, mapping=run.mapping, read_options={}, created_by=operator,
        parent=run, status=RunStatus.FINISHED,
    )  # fmt: skip
    ContactRow.objects.create(  # taken between the request and the job
        run=other, row_number=8, cells=row.cells, status=RowStatus.CREATED, retry_of=row
    )
    run_worker()
    child.refresh_from_db()
    assert child.rows_read == 3
    numbers = ContactRow.objects.filter(run=child).values_list("row_number", flat=True)
    assert sorted(numbers) == [7, 9, 10]


def test_fixing_a_row_inline_then_rerunning_it_sends_the_fix(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, operator, run_worker, _mixed_rows())
    url = reverse("runs:row-fix", args=[run.pk, 7])
    view = client.get(reverse("runs:run-row", args=[run.pk, 7])).content.decode()
    assert "Correct this row, then re-run it" in view
    assert 'name="cell-3" value="777777"' in view

    bad = client.post(url, {"cell-0": "6100", "cell-2": "ann-at-example", "cell-3": "1"},
                      HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "The row was not saved" in bad
    assert 'aria-invalid="true" aria-describedby="cell-2-help"' in bad
    assert "Email is not a valid email address" in bad
    taken = client.post(url, {"cell-0": "6000", "cell-2": "ann@example.com", "cell-3": "1"},
                        HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "Row 2 of this file has this contact id already" in taken
    row = ContactRow.objects.get(run=run, row_number=7)
    assert row.fixed_cells is None

    good = client.post(url, {"cell-0": "6100", "cell-1": "Ann", "cell-2": "ann@example.com",
                             "cell-3": "1"}, HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "Row 7 corrected (Company ID)" in good
    assert "&quot;parent&quot;: {\n  &quot;id&quot;: 1" in good
    row.refresh_from_db()
    assert row.cells == ["6100", "Ann", "ann@example.com", "777777"]  # the file's, kept
    assert row.fixed_cells == ["6100", "Ann", "ann@example.com", "1"]
    event = RunEvent.objects.get(run=run, action="fix")
    assert (event.user, event.detail) == (operator, "row 7: Company ID")
    audited = AuditEvent.objects.get(action=ROW_FIX)
    assert (audited.user, audited.object_id, audited.detail) == (operator, run.pk,
                                                                 "row 7: Company ID")  # fmt: skip

    confirm = client.get(reverse("runs:rerun-confirm", args=[run.pk]), {"rows": "7"})
    assert "It was corrected by hand: the correction is sent" in confirm.content.decode()
    _confirm(client, run, rows="7", mapping="run")
    run_worker()
    child = ImportRun.objects.get(parent=run)
    assert child.rows_created == 1
    assert sandbox.get_contact(6100)["parent"] == {"id": 1}
    # Re-run already: the row cannot be corrected or re-run from the parent any more.
    assert (
        "Correct this row"
        not in client.get(reverse("runs:run-row", args=[run.pk, 7])).content.decode()
    )
    refused = client.post(url, {"cell-3": "2"})
    assert refused.status_code == 302
    follow = client.get(refused["Location"]).content.decode()
    assert "Only a failed row that has not been re-run yet can be corrected" in follow
    assert f"run #{child.pk}</a>: Created" in follow


def test_a_hidden_cell_is_kept_unless_replaced_and_never_shown(
    client: Client,
    operator,
    sandbox,
    run_worker,
    django_user_model,  # type: ignore[no-untyped-def]
) -> None:
    header = "Contact ID,First name,Email,Company ID,SSN"
    rows = ["6500,Ann,ann@example.com,777777,123-45-6789", "6501,Bo,bo@example.com,1,"]
    run = _sent_run(client, operator, run_worker, rows, header=header)
    url = reverse("runs:row-fix", args=[run.pk, 2])
    view = client.get(reverse("runs:run-row", args=[run.pk, 2])).content.decode()
    assert "123-45-6789" not in view
    assert "Hidden: type a new value to replace it, or leave it empty to keep it" in view

    kept = client.post(url, {"cell-0": "6500", "cell-1": "Ann", "cell-2": "ann@example.com",
                             "cell-3": "1", "cell-4": ""}, HTTP_HX_REQUEST="true")  # fmt: skip
    assert "123-45-6789" not in kept.content.decode()
    row = ContactRow.objects.get(run=run, row_number=2)
    assert row.fixed_cells[:4] == ["6500", "Ann", "ann@example.com", "1"]
    assert pii.is_sealed(row.fixed_cells[4])  # kept, and sealed at rest
    assert pii.open_cells(row.fixed_cells)[4] == "123-45-6789"

    client.post(url, {"cell-0": "6500", "cell-3": "1", "cell-4": "999-99-9999"})
    row.refresh_from_db()
    assert pii.open_value(row.fixed_cells[4]) == "999-99-9999"
    assert "999-99-9999" not in str(row.fixed_cells)

    # Even someone allowed to see it gets the hidden field: showing is an explicit action.
    privileged = django_user_model.objects.create_user(username="pia", password="pii-pass-123")
    privileged.user_permissions.add(  # an operator who may see PII: the fix form shows it
        *Permission.objects.filter(codename__in=["view_pii", "view_runs", "operate_runs"])
    )
    client.force_login(privileged)
    view = client.get(reverse("runs:run-row", args=[run.pk, 2])).content.decode()
    assert "999-99-9999" not in view
    assert 'name="cell-4" value=""' in view
    shown = client.post(reverse("runs:row-reveal", args=[run.pk, 2])).content.decode()
    assert "123-45-6789" in shown  # the file's value; the correction is sent by the re-run

    child = reruns.run_rerun_create(run_id=run.pk, user=operator, scope=reruns.RerunScope())
    run_worker()
    child_row = ContactRow.objects.get(run=child, row_number=2)
    assert pii.is_sealed(child_row.payload["ssn"])
    assert pii.is_sealed(child_row.cells[4])
    assert sandbox.get_contact(6500)["ssn"] == "999-99-9999"


def test_a_template_remaps_the_rows_and_rows_it_makes_invalid_are_not_sent(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    header = "Contact ID,First name,Email,Company ID,Backup company"
    rows = [
        "6600,Ann,ann@example.com,777777,1",
        "6601,Bob,bob@example.com,777777,unknown",
        "6602,Cleo,cleo@example.com,1,1",
    ]
    run = _sent_run(client, operator, run_worker, rows, header=header)
    assert run.rows_failed == 2
    template = mapping_edit.template_create(name="Backup parent", upload=run.upload, user=operator)
    data = {**template.mapping}
    for column in data["columns"]:
        if column["header"] == "Company ID":
            column["target"] = None
        if column["header"] == "Backup company":
            column["target"] = "parent.id"
    MappingTemplate.objects.filter(pk=template.pk).update(mapping=data)

    confirm = client.get(reverse("runs:rerun-confirm", args=[run.pk])).content.decode()
    assert "Template: Backup parent" in confirm
    response = _confirm(client, run, mapping=str(template.pk))
    child = ImportRun.objects.get(parent=run)
    assert response["Location"] == reverse("runs:run-detail", args=[child.pk])
    run_worker()
    child.refresh_from_db()
    assert (child.rows_read, child.rows_valid, child.rows_invalid) == (2, 1, 1)
    assert (child.rows_created, child.rows_failed) == (1, 0)
    invalid = ContactRow.objects.get(run=child, status=RowStatus.INVALID)
    assert invalid.row_number == 3
    page = client.get(reverse("runs:run-detail", args=[child.pk])).content.decode()
    assert "1 with problems" in page
    # The row the template could not map is still the parent's to re-run.
    left = reruns.rerun_candidates(run=run, scope=reruns.RerunScope())
    assert list(left.values_list("row_number", flat=True)) == [3]
    assert "template “Backup parent”" in RunEvent.objects.get(run=run, action="rerun").detail


def test_a_run_still_sending_cannot_be_rerun(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    client.force_login(operator)
    run = checked_run(client, run_worker, ["6700,A,a@example.com,1"], HEADER)
    run_control.run_start(run_id=run.pk, user=operator)
    response = _confirm(client, run, mapping="run")
    assert response.status_code == 400
    assert "is still starting: re-run its failed rows once it has finished" in (
        response.content.decode()
    )
    run_worker()


def test_two_rerun_requests_at_the_same_moment_make_one_child(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    import threading

    from django.db import connection

    run = _sent_run(client, operator, run_worker, _mixed_rows())
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def start() -> None:
        try:
            barrier.wait()
            child = reruns.run_rerun_create(run_id=run.pk, user=operator, scope=reruns.RerunScope())
            outcomes.append(child.pk)
        except reruns.RerunAlreadyStarted as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    child = ImportRun.objects.get(parent=run)
    assert child.pk in outcomes
    refused = [o for o in outcomes if isinstance(o, reruns.RerunAlreadyStarted)]
    assert [o.child_id for o in refused] == [child.pk]
    run_worker()
    assert ContactRow.objects.filter(run=child).count() == 4


def test_a_template_that_makes_every_row_invalid_sends_nothing_and_says_so(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, operator, run_worker, _mixed_rows())
    template = mapping_edit.template_create(name="No ids", upload=run.upload, user=operator)
    data = {**template.mapping}
    for column in data["columns"]:
        if column["target"] == "id":
            column["target"] = None
    MappingTemplate.objects.filter(pk=template.pk).update(mapping=data)

    response = _confirm(client, run, mapping=str(template.pk))
    run_worker()
    child = ImportRun.objects.get(parent=run)
    assert (child.status, child.rows_valid, child.rows_invalid) == (RunStatus.VALIDATED, 0, 4)
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was sent:</strong> none of these rows can be sent with this mapping" in page
    assert "Start sending" not in page
    assert "Problems, grouped" in page
    # Nothing was sent, so every failed row of the parent can still be re-run.
    assert reruns.rerun_candidates(run=run, scope=reruns.RerunScope()).count() == 4
    assert not RunEvent.objects.filter(run=child, action="start").exists()


def test_a_rerun_that_loses_a_race_for_its_rows_is_rejected_and_sends_nothing(
    client: Client,
    operator,
    sandbox,
    run_worker,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, operator, run_worker, _mixed_rows())
    first = reruns.run_rerun_create(run_id=run.pk, user=operator, scope=reruns.RerunScope())
    run_worker()
    # A second child made as if the two had read the rows at the same moment.
    second = ImportRun.objects.create(
        upload=run.upload, mapping=run.mapping, read_options={}, created_by=operator,
        parent=run, rerun_scope={"group": "", "rows": []},
    )  # fmt: skip
    monkeypatch.setattr(reruns, "rerun_candidates", lambda *, run, scope: reruns.rows_in_scope(
        run=run, scope=scope))  # fmt: skip
    reruns.rerun_stage(run_id=second.pk)
    second.refresh_from_db()
    assert (second.status, second.error) == (RunStatus.REJECTED, reruns.ROWS_TAKEN)
    assert not ContactRow.objects.filter(run=second).exists()
    assert ContactRow.objects.filter(run=first, status=RowStatus.FAILED).count() == 4
    page = client.get(reverse("runs:run-detail", args=[second.pk])).content.decode()
    assert "Another re-run took some of these rows" in page


def test_a_rerun_whose_job_vanished_is_prepared_again_by_the_reconciler(
    client: Client,
    operator,
    sandbox,
    run_worker,
    redis_conn,  # type: ignore[no-untyped-def]
) -> None:
    from propel_admin.imports.reconcile import reconcile

    run = _sent_run(client, operator, run_worker, _mixed_rows())
    sandbox.add_companies(ids=[777777, 888888])
    child = reruns.run_rerun_create(run_id=run.pk, user=operator, scope=reruns.RerunScope())
    redis_conn.flushdb()  # Redis emptied before a worker took the job
    blocked = _confirm(client, run, mapping="run")  # still being prepared: no second child
    assert blocked["Location"] == reverse("runs:run-detail", args=[child.pk])
    assert reconcile().restaged == 1
    assert reconcile().restaged == 0  # queued once
    run_worker()
    child.refresh_from_db()
    assert (child.status, child.rows_created) == (RunStatus.FINISHED, 4)


def test_a_purged_run_cannot_be_rerun(
    client: Client,
    operator,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    run = _sent_run(client, operator, run_worker, _mixed_rows())
    ImportRun.objects.filter(pk=run.pk).update(purged_at=run.send_finished_at)
    with pytest.raises(reruns.RerunRefused, match=r"deleted on .* by the retention policy"):
        reruns.run_rerun_create(run_id=run.pk, user=operator, scope=reruns.RerunScope())
    assert not ImportRun.objects.filter(parent=run).exists()
