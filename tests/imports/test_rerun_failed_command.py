"""manage.py rerun_failed, run as a real process (exit codes, stderr, JSON)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from propel_admin.imports import rerun_selectors, run_control
from propel_admin.imports.models import ContactRow, ImportRun, RunEvent
from tests.imports.conftest import checked_run
from tests.workers import child_database_url, sandbox_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

ROWS = [
    "8000,Ann,ann@example.com,1",
    "8001,Bob,bob@example.com,777777",
    "8002,Cleo,cleo@example.com,888888",
    "8003,Dan,dan@example.com,888888",
]


def _rerun(tmp_path: Path, sandbox, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, **sandbox_env(sandbox), "DATABASE_URL": child_database_url(),
           "MEDIA_ROOT": str(tmp_path / "media"), "LOG_LEVEL": "WARNING"}  # fmt: skip
    return subprocess.run(
        [sys.executable, "manage.py", "rerun_failed", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def failed_run(  # type: ignore[no-untyped-def]
    client: Client, operator, sandbox, run_worker, settings, tmp_path: Path
) -> ImportRun:
    """A finished run with three rows failed by unknown parents (777777 once, 888888 twice)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(operator)
    run = checked_run(client, run_worker, ROWS, "Contact ID,First name,Email,Company ID")
    run_control.run_start(run_id=run.pk, user=operator)
    run_worker()
    run.refresh_from_db()
    assert (run.rows_created, run.rows_failed) == (1, 3)
    return run


def test_one_group_named_by_a_message_is_rerun_and_followed(
    tmp_path: Path,
    failed_run: ImportRun,
    sandbox,
    redis_conn,  # type: ignore[no-untyped-def]
) -> None:
    sandbox.add_companies(ids=[888888])
    message = "Parent resource [Company] with id [123] not found"  # folds to the group's key
    result = _rerun(tmp_path, sandbox, str(failed_run.pk), "--group", message, "--user", "olivia",
                    "--wait", "--json")  # fmt: skip
    assert result.returncode == 1, result.stderr  # 777777 is still unknown: it fails again
    summary = json.loads(result.stdout)
    child = ImportRun.objects.get(parent=failed_run)
    assert summary == {
        "run_id": child.pk, "parent_run_id": failed_run.pk, "status": "finished_failures",
        "rows": 3, "valid": 3, "invalid": 0, "sent": 3, "created": 2, "updated": 0,
        "failed": 1, "cancelled": 0, "paused_reason": "",
    }  # fmt: skip
    assert RunEvent.objects.get(run=failed_run, action="rerun").user.username == "olivia"

    # The row that failed again is re-run from the child, and finishes: exit 0.
    sandbox.add_companies(ids=[777777])
    again = _rerun(tmp_path, sandbox, str(child.pk), "--wait", "--json")
    assert again.returncode == 0, again.stderr
    grandchild = json.loads(again.stdout)
    assert (grandchild["parent_run_id"], grandchild["status"]) == (child.pk, "finished")
    assert grandchild["created"] == 1
    assert ContactRow.objects.get(run_id=grandchild["run_id"]).row_number == 3
    assert sandbox.get_contact(8001)["parent"] == {"id": 777777}
    lineage = rerun_selectors.run_lineage(run=failed_run)  # through the re-run of the re-run
    assert (lineage["fixed"], lineage["still_failing"]) == (3, 0)
    assert [c.pk for c in lineage["children"]] == [child.pk]

    # Every failure is fixed now; nothing is left to re-run: exit 2, one line.
    nothing = _rerun(tmp_path, sandbox, str(failed_run.pk))
    assert nothing.returncode == 2
    assert nothing.stderr.startswith("rerun_failed: Every row chosen was re-run already")
    assert nothing.stderr.count("\n") == 1


def test_the_exact_group_key_works_and_without_wait_it_exits_0_once_queued(
    tmp_path: Path,
    failed_run: ImportRun,
    sandbox,
    run_worker,  # type: ignore[no-untyped-def]
) -> None:
    key = "Parent resource [Company] with id [<n>] not found"
    result = _rerun(tmp_path, sandbox, str(failed_run.pk), "--group", key, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["parent_run_id"]) == ("queued", failed_run.pk)
    run_worker()  # the worker that was not there: copies, checks and sends the rows
    child = ImportRun.objects.get(pk=summary["run_id"])
    assert (child.status, child.rows_read, child.rows_failed) == ("finished_failures", 3, 3)
    assert ContactRow.objects.filter(run=child, retry_of__isnull=False).count() == 3


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["99999"], "rerun_failed: no run '99999'"),
        (["abc"], "rerun_failed: no run 'abc'"),
        (["{run}", "--user", "nobody"], "rerun_failed: no active user 'nobody'"),
        (["{run}", "--user", "victor"], "rerun_failed: 'victor' may not re-run failed rows: give"),
        (["{run}", "--group", "Timeout"], "rerun_failed: run #{run} has no failed rows in the"),
        (["{run}", "--template", "nope"], "rerun_failed: no mapping template named 'nope'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    tmp_path: Path,
    failed_run: ImportRun,
    sandbox,
    viewer,
    args: list[str],
    reason: str,  # type: ignore[no-untyped-def]
) -> None:
    args = [a.format(run=failed_run.pk) for a in args]
    result = _rerun(tmp_path, sandbox, *args)
    assert result.returncode == 2
    assert result.stderr.startswith(reason.format(run=failed_run.pk))
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert not ImportRun.objects.filter(parent=failed_run).exists()
