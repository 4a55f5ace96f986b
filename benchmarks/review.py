"""Review of a 1,000,000-row run: page times and the results exports' memory and speed.

A finished run of ROWS contact rows is written straight into the database (executemany
on SQLite, COPY on PostgreSQL, as staging.py writes): about 90% created or updated, 5%
failed by Propeller in a few message groups (failure_key set), 5% invalid, in batches of
100. Then, each in a fresh child process, a logged-in operator's Django test Client times
the run page, the failed rows, a search by contact id and one row (warm-up, then the
median of REPEAT), and the exports are streamed through their view (results as CSV,
failures as CSV and XLSX), measuring the peak memory growth over the process's size
before the download and the rows per second.

Goals: every page < 300 ms; each export grows memory by < 100 MB.

Alone: python -m benchmarks.review (children: --child generate|pages|export ...).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import bench_main, scratch_postgres
from benchmarks.pipeline import HEADERS, _django, _env, _peak_mb

ROWS = int(os.environ.get("BENCH_REVIEW_ROWS", "1000000"))  # smaller for a quick look
BATCH = 100
CHUNK = 10_000
REPEAT = 7
PASSWORD = "bench-pass-123"  # noqa: S105 (a scratch database)
GOAL_PAGE_MS, GOAL_EXPORT_MB = 300, 100
PG_DATABASE = "propel_bench_review"
# openpyxl writes about 1,500-2,500 rows/s here, so a 1M-row workbook would take ~10 min:
# the XLSX figure is the failures export (~5% of the rows); memory is flat either way.
EXPORTS = (("results", "csv"), ("failures", "csv"), ("failures", "xlsx"))
ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT = 1800
FAILURES = (  # Propeller's messages; most carry an id, so each row's text differs
    "Parent resource [Company] with id [{n}] not found",
    "Contact with email [{e}] already exists",
    "extraneous key [company] is not permitted",
)
TARGETS = ("id", "firstName", "middleName", "lastName", "abbreviation", "title", "dateOfBirth",
           "gender", "phone", "email", "parent.id", "primaryLanguage", "ssn")  # fmt: skip
ROW_COLUMNS = ("run_id", "row_number", "cells", "payload", "contact_id", "email", "status",
               "errors", "batch_id", "action", "propeller_id", "message", "failure_key",
               "attempts")  # fmt: skip


# --- Children -----------------------------------------------------------------------------
def child_generate() -> dict[str, Any]:
    """A user, an upload, a finished run with its batches and ROWS rows; timed."""
    _django(peer=False)
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from propel_admin.core import roles
    from propel_admin.imports.models import Batch, ImportRun, RunStatus, Upload

    started = time.perf_counter()
    user = User.objects.create_user("olivia", password=PASSWORD)
    roles.roles_ensure()
    roles.user_role_set(user=user, role="operator")  # the pages need a role
    headers = (*HEADERS[:12], "BSN")
    columns = [{"index": i, "header": h, "target": t, "trim": True, "date_format": None,
                "gender": False, "language": False, "phone": False}
               for i, (h, t) in enumerate(zip(headers, TARGETS, strict=True))]  # fmt: skip
    mapping = {"version": 1, "columns": columns, "constants": {"source": "CRM"}}
    upload = Upload.objects.create(original_name="contacts-1m.csv", size=1, sha256="0" * 64,
                                   uploaded_by=user, file_format="csv", mapping=mapping,
                                   headers=[c["header"] for c in columns])  # fmt: skip
    now = timezone.now()
    run = ImportRun.objects.create(
        upload=upload, mapping=mapping, read_options={}, created_by=user,
        status=RunStatus.FINISHED_FAILURES, started_at=now, finished_at=now,
        send_started_by=user, send_started_at=now, send_finished_at=now, batch_size=BATCH,
    )  # fmt: skip
    Batch.objects.bulk_create(
        [Batch(run=run, number=n, status="done", rows=BATCH, http_status=200, sent_at=now,
               finished_at=now, duration_ms=80) for n in range(1, ROWS // BATCH + 1)],
        batch_size=5000,
    )  # fmt: skip
    first_batch = Batch.objects.filter(run=run).order_by("number").values_list("id", flat=True)[0]
    counts: dict[str, int] = {}
    rng = random.Random(7)  # noqa: S311 (test data)
    for start in range(0, ROWS, CHUNK):
        chunk = [_row(run.pk, n, first_batch, rng, counts) for n in range(start, start + CHUNK)]
        with transaction.atomic():
            _insert(chunk)
    ImportRun.objects.filter(pk=run.pk).update(
        rows_read=ROWS, rows_valid=ROWS - counts["invalid"], rows_invalid=counts["invalid"],
        rows_to_send=ROWS - counts["invalid"], rows_created=counts["created"],
        rows_updated=counts["updated"], rows_failed=counts["failed"],
    )  # fmt: skip
    _analyze()
    return {"run": run.pk, "seconds": time.perf_counter() - started, **counts}


def _row(
    run_id: int, n: int, first_batch: int, rng: random.Random, counts: dict[str, int]
) -> tuple[Any, ...]:
    from propel_admin.imports.failures import failure_key
    from propel_admin.imports.staging import _dumps

    contact = 100_000 + n
    email = f"anna.jansen{n}@example.com"
    cells = [str(contact), "Anna", "", "Jansen", "A.J.", "", "01/02/1980", "Female",
             "+31 20 5551234", email, str(1 + n % 5000), "Dutch", f"1234{n:05d}"]  # fmt: skip
    payload = {"id": contact, "firstName": "Anna", "lastName": "Jansen", "abbreviation": "A.J.",
               "dateOfBirth": "01/02/1980", "gender": "f", "phone": "+31205551234",
               "email": email, "parent": {"id": 1 + n % 5000}, "primaryLanguage": "nl",
               "ssn": cells[12], "source": "CRM"}  # fmt: skip
    roll = rng.random()
    errors, batch, action, propeller_id, message, key = "[]", None, "", None, "", ""
    if roll < 0.05:
        status = "invalid"
        errors = _dumps([{"field": "email", "column": "Email", "message": "Not an email address",
                          "text": "Not an email address"}])  # fmt: skip
        payload.pop("email")
        email = ""
    else:
        batch = first_batch + n // BATCH
        if roll < 0.10:
            status = "failed"
            message = FAILURES[n % len(FAILURES)].format(n=1 + n % 5000, e=email)
            key = failure_key(message)
        else:
            status = "created" if roll < 0.70 else "updated"
            action = "create" if status == "created" else "update"
            propeller_id = 500_000 + n
    counts[status] = counts.get(status, 0) + 1
    return (run_id, n + 2, _dumps(cells), _dumps(payload), contact, email, status, errors,
            batch, action, propeller_id, message, key, 1)  # fmt: skip


def _insert(rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection

    from propel_admin.imports.models import ContactRow

    table, columns = ContactRow._meta.db_table, ", ".join(ROW_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(ROW_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def _analyze() -> None:
    """The state autovacuum leaves a table in soon after a load (PostgreSQL 13+ vacuums
    insert-only tables too): statistics, and on PostgreSQL the visibility map that lets
    the error groups be counted from the index alone."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _client() -> Any:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="olivia"))
    return client


def child_pages(run_id: int) -> dict[str, Any]:
    """Median milliseconds of each page after a warm-up."""
    _django(peer=False)
    client = _client()
    failed_row = _failed_row(run_id)
    pages = {
        "run page": f"/runs/{run_id}/",
        "rows: failed": f"/runs/{run_id}/rows/?status=failed",
        "rows: failed, page 2": f"/runs/{run_id}/rows/?status=failed&after={failed_row}",
        "rows: contact id": f"/runs/{run_id}/rows/?q={100_000 + ROWS // 2}",
        "row view": f"/runs/{run_id}/rows/{ROWS // 2}/",
    }
    found = {}
    for label, url in pages.items():
        times = []
        for attempt in range(REPEAT + 2):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            if attempt >= 2:
                times.append(elapsed)
        found[label] = statistics.median(times)
    return found


def _failed_row(run_id: int) -> int:
    from propel_admin.imports.models import ContactRow

    rows = ContactRow.objects.filter(run_id=run_id, status="failed").order_by("row_number")
    return int(rows.values_list("row_number", flat=True)[50])


def child_export(run_id: int, kind: str, file_format: str) -> dict[str, Any]:
    """Stream an export through the view; rows/s and memory growth."""
    _django(peer=False)
    from propel_admin.imports.models import ImportRun

    client = _client()
    client.get(f"/runs/{run_id}/")  # imports and connections settled before the baseline
    run = ImportRun.objects.get(pk=run_id)
    rows = run.rows_read if kind == "results" else run.rows_failed
    before = _rss_mb()
    started = time.perf_counter()
    response = client.get(f"/runs/{run_id}/export/{kind}.{file_format}")
    size = sum(len(part) for part in response.streaming_content)
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "bytes": size, "growth_mb": _peak_mb() - before}


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    return 0.0


def child_main(args: list[str]) -> None:
    kind, *rest = args
    if kind == "migrate":
        from django.core.management import call_command

        _django(peer=False)
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)  # as a release does
        found: dict[str, Any] = {}
    elif kind == "generate":
        found = child_generate()
    elif kind == "pages":
        found = child_pages(int(rest[0]))
    else:
        found = child_export(int(rest[0]), rest[1], rest[2])
    print(json.dumps(found))


# --- The parent ---------------------------------------------------------------------------
def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.review", "--child", *args]
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit status {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(database: str, url: str, work: Path) -> dict[str, float]:
    """Every figure for one database; printed as they come."""
    env = {**_env(work, url), "ALLOWED_HOSTS": "testserver"}
    _child(["migrate"], env)
    made = _child(["generate"], env)
    run = str(made["run"])
    print(f"   {database}: {ROWS:,} rows written in {made['seconds']:.0f}s ({made['created']:,} "
          f"created, {made['updated']:,} updated, {made['failed']:,} failed, "
          f"{made['invalid']:,} invalid)", flush=True)  # fmt: skip
    figures: dict[str, float] = {}
    for label, ms in _child(["pages", run], env).items():
        figures[f"{database} {label} ms"] = ms
        print(f"   {database:<10} {label:<24} {ms:>8.1f} ms", flush=True)
    for kind, file_format in EXPORTS:
        found = _child(["export", run, kind, file_format], env)
        rate = found["rows"] / found["seconds"]
        figures[f"{database} export {kind} {file_format} MB"] = found["growth_mb"]
        print(f"   {database:<10} {kind + ' ' + file_format:<24} {rate:>8,.0f} rows/s "
              f"{found['seconds']:>6.0f}s {found['bytes'] / 1e6:>6.0f} MB file "
              f"+{found['growth_mb']:.0f} MB memory", flush=True)  # fmt: skip
    return figures


def run() -> bool:
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="propel-bench-review-") as name:
        work = Path(name)
        try:
            figures.update(measure("sqlite", f"sqlite:///{work / 'review.sqlite3'}", work))
        except RuntimeError as exc:
            print(f"   sqlite FAILED: {exc}")
        with scratch_postgres(PG_DATABASE) as postgres:
            if postgres is not None:
                try:
                    figures.update(measure("postgresql", postgres, work))
                except RuntimeError as exc:
                    print(f"   postgresql FAILED: {exc}")
    return report(figures)


def report(figures: dict[str, float]) -> bool:
    ok = bool(figures)
    for label, value in figures.items():
        goal = GOAL_PAGE_MS if label.endswith(" ms") else GOAL_EXPORT_MB
        met = value < goal
        ok = ok and met
        unit = "ms" if label.endswith(" ms") else "MB growth"
        name = label.rsplit(" ", 1)[0]
        print(f"   {'met   ' if met else 'MISSED'} {name} < {goal} {unit}: {value:,.1f}")
    return ok


def main(argv: list[str]) -> int:
    return bench_main("review", __doc__, argv, run, child_main)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
