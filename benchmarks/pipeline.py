"""Import pipeline: rows/s and peak memory to read, map, check and stage a contacts file.

Drives the real entry point, one fresh child process per figure so that its peak RSS is
honest: upload_create() with the suggested mapping (plus Source as a constant), an
ImportRun made as run_create() makes it (without the queue), then run_validate() timed
in-process. The peer is django-import-export's ModelResource with default options (and
with use_bulk) importing the same CSV into the equivalent of a Propeller contact: keyed by
the contact's id, with a date of birth (benchmarks/peer), on SQLite, timed from the file's
bytes as ours is. It gets the rows less those with an empty or repeated id (peer_rows).

For scale (shared/perf-notes.md): the peer manages about 600-1,100 rows/s and ~400 MB on
100k rows. Goals: CSV >= 20,000 rows/s on SQLite and >= 15,000 on PostgreSQL, and >= 20x
the peer's best mode; XLSX >= 30,000 rows/s; under 300 MB for 1,000,000 CSV rows.

Alone: python -m benchmarks.pipeline (children: --child pipeline FILE, --child peer MODE FILE).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime as dt
import itertools
import json
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.common import bench_main, scratch_postgres

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from propel_admin.imports.models import ImportRun, Upload

ROWS = 100_000
BIG_ROWS = 1_000_000
XLSX_SLOPE_ROWS = 200_000  # a 1M-row workbook takes openpyxl ~2 minutes to write
GOAL_CSV_SQLITE, GOAL_CSV_PG, GOAL_XLSX, GOAL_PEER_RATIO = 20_000, 15_000, 30_000, 20
GOAL_BIG_PEAK_MB = 300
PG_DATABASE = "propel_bench"
ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT = 600

HEADERS = ("Contact ID", "First name", "Middle name", "Last name", "Abbreviation", "Title",
           "Date of birth", "Gender", "Phone", "Email", "Parent company ID", "Language",
           "Source ID")  # fmt: skip
SOURCE = "CRM"  # the 14th field, set as a mapping constant as an operator would
FIRST = ("Anna", "Bram", "Carla", "Daan", "Emma", "Finn", "Greta", "Hugo", "Iris", "Jan",
         "Lotte", "Milan", "Noor", "Pieter", "Vera")  # fmt: skip
LAST = ("Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters",
        "Dekker", "Schmidt", "Martin", "Smith")  # fmt: skip
MIDDLE = ("", "", "", "", "van", "de", "van der", "van den", "ter")
TITLES = ("", "", "", "", "", "Dr.", "Prof.", "Ir.", "Mr.")
GENDERS = ("Male", "Female", "Man", "Vrouw", "Herr", "Frau", "Mevrouw", "Dhr.", "Unknown")
LANGUAGES = ("English", "Dutch", "Nederlands", "German", "Deutsch", "French", "en_US", "NL")
INVALID_SHARE = 0.03
# column index -> a value the pipeline refuses ("" in Contact ID: the id is missing)
INVALID = ((0, ""), (6, "31/02/1990"), (7, "Robot"), (8, "call after 5"), (9, "jan.jansen@"),
           (10, "ACME"), (11, "Klingon"))  # fmt: skip


@dataclass(frozen=True)
class Figure:
    label: str
    rows: int
    seconds: float
    peak_mb: float
    invalid: int | None = None  # rows the pipeline refused (None for the peer)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


# --- Data ---------------------------------------------------------------------------------
def contact_rows(count: int, seed: int = 1) -> list[list[str]]:
    """Realistic contacts as CSV text, a few percent of them invalid (duplicates too)."""
    rng = random.Random(seed)  # noqa: S311 (test data)
    born = dt.date(1940, 1, 1).toordinal(), dt.date(2005, 12, 31).toordinal()
    rows: list[list[str]] = []
    for number in range(count):
        first, last, middle = rng.choice(FIRST), rng.choice(LAST), rng.choice(MIDDLE)
        day = dt.date.fromordinal(rng.randint(*born))
        row = [str(100_000 + number), first, middle, last, f"{first[0]}.{last[0]}.",
               rng.choice(TITLES), f"{day.day:02d}/{day.month:02d}/{day.year}",
               rng.choice(GENDERS), _phone(rng), f"{first}.{last}{number}@example.com".lower(),
               str(rng.randint(1, 5000)), rng.choice(LANGUAGES), f"S-{number:07d}"]  # fmt: skip
        if rng.random() < INVALID_SHARE:
            column, value = rng.choice(INVALID)
            row[column] = value
        elif rng.random() < INVALID_SHARE / 6 and rows:
            row[0] = rows[-1][0]  # a duplicate contact id
        rows.append(row)
    return rows


def peer_rows(rows: list[list[str]]) -> list[list[str]]:
    """The rows less those with an empty or repeated contact id (under 1%): the peer rolls
    its whole import back on a row without a key, and with use_bulk on a repeated key."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        if row[0] and row[0] not in seen:
            seen.add(row[0])
            kept.append(row)
    return kept


def _phone(rng: random.Random) -> str:
    digits = rng.randint(1_000_000, 9_999_999)
    return rng.choice((f"+31 20 {digits}", f"020-{digits}", f"(030) {digits}", f"06{digits}"))


def shifted(rows: list[list[str]], offset: int) -> Iterator[list[str]]:
    """The same rows with their contact ids moved by `offset` (for files past ROWS)."""
    for row in rows:
        yield [str(int(row[0]) + offset), *row[1:]] if row[0] else row


def write_csv(path: Path, rows: list[list[str]], count: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for start in range(0, count, len(rows)):
            writer.writerows(shifted(rows[: count - start], start))
    return path


def write_xlsx(path: Path, rows: list[list[str]], count: int) -> Path:
    """The CSV's data as a workbook: numbers and dates typed, as Excel exports them."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Contacts")
    sheet.append(HEADERS)
    for start in range(0, count, len(rows)):
        for row in shifted(rows[: count - start], start):
            sheet.append([_cell(index, text) for index, text in enumerate(row)])
    workbook.save(path)
    return path


def _cell(index: int, text: str) -> object:
    if not text:
        return None
    if index in (0, 10) and text.isdigit():
        return int(text)
    if index == 6:
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(text, "%d/%m/%Y").date()
    return text


# --- Children: one figure each, printed as JSON on the last line of stdout -------------------
def _django(*, peer: bool) -> None:
    import django
    from django.conf import settings

    if peer:  # the peer app exists only inside the benchmark's processes
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "benchmarks.peer"]
    django.setup()


def _peak_mb() -> float:
    """The process's peak RSS. Not ru_maxrss alone: Linux carries the parent's RSS into a
    child's ru_maxrss across fork and exec, so a big parent would inflate every figure."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def child_pipeline(path: Path) -> dict[str, Any]:
    """upload_create, the suggested mapping, an ImportRun, then run_validate timed."""
    _django(peer=False)
    from django.contrib.auth.models import User
    from django.db import connection

    from propel_admin.imports.models import ContactRow, ImportRun, RunStatus
    from propel_admin.imports.validation import run_validate

    with connection.cursor() as cursor:  # the PostgreSQL scratch database is shared; not
        # QuerySet.delete(), which would load the earlier figure's rows first (~450 MB)
        cursor.execute(f"DELETE FROM {ContactRow._meta.db_table}")  # noqa: S608
    user = User.objects.create_user(f"bench-{os.getpid()}-{secrets.token_hex(4)}")
    run = _import_run(_upload(path, user), user)
    started = time.perf_counter()
    run_validate(run_id=run.pk)
    seconds = time.perf_counter() - started
    run = ImportRun.objects.get(pk=run.pk)
    if run.status != RunStatus.VALIDATED:
        raise SystemExit(f"the run ended {run.status}: {run.error}")
    return {"rows": run.rows_read, "invalid": run.rows_invalid, "seconds": seconds,
            "peak_mb": _peak_mb()}  # fmt: skip


def stored_upload(path: Path, user: User) -> Upload:
    """The file uploaded as the upload page stores it (head read, mapping suggested)."""
    import hashlib

    from django.core.files.uploadedfile import UploadedFile

    from propel_admin.imports.services import upload_create

    with path.open("rb") as handle:
        sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
        handle.seek(0)
        uploaded = UploadedFile(handle, name=path.name, size=path.stat().st_size)
        return upload_create(uploaded_file=uploaded, sha256=sha256, user=user).upload


def _upload(path: Path, user: User) -> Upload:
    """stored_upload(), with the suggested mapping (every column) and Source as a constant."""
    from propel_admin.imports.mapping_edit import upload_mapping_update
    from propel_admin.mapping import MappingSpec

    upload = stored_upload(path, user)
    suggested = MappingSpec.from_dict(upload.mapping)
    if len(suggested.mapped) != len(HEADERS):
        raise SystemExit(f"the suggestions mapped {len(suggested.mapped)} of {len(HEADERS)}")
    spec = MappingSpec(suggested.columns, {**suggested.constants, "source": SOURCE})
    upload_mapping_update(upload=upload, spec=spec)
    return upload


def _import_run(upload: Upload, user: User) -> ImportRun:
    """What run_create() does, minus the enqueue: the figure is the pipeline, not the queue."""
    from propel_admin.imports.models import ImportRun
    from propel_admin.mapping import MappingSpec

    spec = MappingSpec.from_dict(upload.mapping)
    problems = spec.problems(upload.headers)
    if problems:
        raise SystemExit("; ".join(p.text for p in problems))
    return ImportRun.objects.create(
        upload=upload, mapping=spec.to_dict(), read_options=upload.read_options, created_by=user
    )


def child_peer(mode: str, path: Path) -> dict[str, Any]:
    """django-import-export's ModelResource.import_data on the CSV loaded by tablib, timed
    from the file's bytes like our pipeline (which reads, maps, validates and stages)."""
    _django(peer=True)
    import tablib
    from django.conf import settings
    from import_export.resources import modelresource_factory

    from benchmarks.peer.models import FIELDS, PeerContact

    settings.DATE_INPUT_FORMATS = ["%d/%m/%Y"]  # the file's dates, as our pipeline detects
    options = {"use_bulk": True} if mode == "use_bulk" else {}
    peer = modelresource_factory(PeerContact, meta_options=options)()
    started = time.perf_counter()
    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv")
    dataset.headers = list(FIELDS)  # the model's names for the file's columns
    result = peer.import_data(dataset, dry_run=False)
    seconds = time.perf_counter() - started
    refused = len(result.invalid_rows) + len(result.row_errors())
    stored = PeerContact.objects.count()
    if not stored:
        raise SystemExit(f"the peer stored nothing: {result.totals}")
    return {"rows": len(dataset), "seconds": seconds, "peak_mb": _peak_mb(), "invalid": refused}


def child_main(args: list[str]) -> None:
    kind, *rest = args
    found: dict[str, Any] = {}
    if kind == "migrate":
        from django.core.management import call_command

        _django(peer=True)
        call_command("migrate", verbosity=0)
    elif kind == "pipeline":
        found = child_pipeline(Path(rest[0]))
    else:
        found = child_peer(rest[0], Path(rest[1]))
    print(json.dumps(found))


# --- The parent: files, databases, children, table, goals ----------------------------------
class ChildFailed(RuntimeError):
    pass


def _env(work: Path, database_url: str) -> dict[str, str]:
    """Settings for a child: a scratch database and var/ dir, production-like, no Redis;
    plain http (the review benchmark's test client would get 301s to https)."""
    env = {
        key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "MEDIA_ROOT")
    }
    env.update(DJANGO_SETTINGS_MODULE="propel_admin.settings", DATABASE_URL=database_url,
               PROPEL_VAR_DIR=str(work / "var"), DEBUG="false",
               SECRET_KEY=secrets.token_urlsafe(50), LOG_LEVEL="WARNING",
               SECURE_SSL_REDIRECT="0",
               PII_ENCRYPTION_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode())  # fmt: skip
    return env


def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.pipeline", "--child", *args]
    try:
        done = subprocess.run(
            command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise ChildFailed(f"no answer within {CHILD_TIMEOUT}s") from None
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise ChildFailed(lines[-1] if lines else f"exit status {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


class Bench:
    """The temporary directory, its files and a migrated SQLite template database."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.template = work / "template.sqlite3"
        self.figures: dict[str, Figure] = {}
        self._copies = itertools.count(1)
        _child(["migrate"], _env(work, f"sqlite:///{self.template}"))

    def sqlite_url(self) -> str:
        """A fresh copy of the migrated template (staged rows of earlier figures not in it)."""
        copy = self.work / f"db-{next(self._copies)}.sqlite3"
        shutil.copyfile(self.template, copy)
        return f"sqlite:///{copy}"

    def measure(self, label: str, args: list[str], database_url: str) -> None:
        try:
            found = _child(args, _env(self.work, database_url))
        except ChildFailed as exc:
            print(f"   {label:<18} FAILED: {exc}", flush=True)
            return
        figure = Figure(label, found["rows"], found["seconds"], found["peak_mb"],
                        found.get("invalid"))  # fmt: skip
        self.figures[label] = figure
        invalid = "-" if figure.invalid is None else f"{figure.invalid:,}"
        print(f"   {label:<18} {figure.rows:>9,} {invalid:>8} {figure.rate:>9,.0f} "
              f"{figure.peak_mb:>8,.0f}", flush=True)  # fmt: skip


def write_files(work: Path) -> dict[str, Path]:
    rows = contact_rows(ROWS)
    peer = peer_rows(rows)
    return {
        "csv": write_csv(work / "contacts-100k.csv", rows, ROWS),
        "csv-peer": write_csv(work / "contacts-100k-peer.csv", peer, len(peer)),
        "csv-big": write_csv(work / "contacts-1m.csv", rows, BIG_ROWS),
        "xlsx": write_xlsx(work / "contacts-100k.xlsx", rows, ROWS),
        "xlsx-slope": write_xlsx(work / "contacts-200k.xlsx", rows, XLSX_SLOPE_ROWS),
    }


def measure_all(bench: Bench, files: dict[str, Path]) -> None:
    pipeline = {name: ["pipeline", str(path)] for name, path in files.items()}
    bench.measure("csv sqlite", pipeline["csv"], bench.sqlite_url())
    bench.measure("xlsx sqlite", pipeline["xlsx"], bench.sqlite_url())
    with scratch_postgres(PG_DATABASE) as postgres:
        if postgres is not None:
            _child(["migrate"], _env(bench.work, postgres))
            bench.measure("csv postgresql", pipeline["csv"], postgres)
            bench.measure("xlsx postgresql", pipeline["xlsx"], postgres)  # after csv's rows go
    bench.measure("csv sqlite 1M", pipeline["csv-big"], bench.sqlite_url())
    bench.measure("xlsx sqlite 200k", pipeline["xlsx-slope"], bench.sqlite_url())
    for mode in ("default", "use_bulk"):
        bench.measure(f"peer {mode}", ["peer", mode, str(files["csv-peer"])], bench.sqlite_url())


def xlsx_big_estimate(figures: dict[str, Figure]) -> float | None:
    """Peak MB for BIG_ROWS workbook rows, extrapolated linearly from 100k and 200k."""
    small, large = figures.get("xlsx sqlite"), figures.get("xlsx sqlite 200k")
    if small is None or large is None:
        return None
    per_row = (large.peak_mb - small.peak_mb) / (large.rows - small.rows)
    return small.peak_mb + per_row * (BIG_ROWS - small.rows)


def goals(figures: dict[str, Figure]) -> list[tuple[str, float | None, bool]]:
    """(goal, figure or None if not measured, met)."""

    def rate(label: str) -> float | None:
        figure = figures.get(label)
        return figure.rate if figure else None

    csv_sqlite = rate("csv sqlite")
    peers = [f.rate for label, f in figures.items() if label.startswith("peer")]
    ratio = csv_sqlite / max(peers) if csv_sqlite and peers else None
    big = figures.get("csv sqlite 1M")
    checks = [
        (f"CSV on SQLite >= {GOAL_CSV_SQLITE:,} rows/s", csv_sqlite, GOAL_CSV_SQLITE, True),
        (f"CSV on PostgreSQL >= {GOAL_CSV_PG:,} rows/s", rate("csv postgresql"), GOAL_CSV_PG, True),
        (f"CSV >= {GOAL_PEER_RATIO}x the peer's best mode (x)", ratio, GOAL_PEER_RATIO, True),
        (f"XLSX on SQLite >= {GOAL_XLSX:,} rows/s", rate("xlsx sqlite"), GOAL_XLSX, True),
        (f"peak for {BIG_ROWS:,} CSV rows < {GOAL_BIG_PEAK_MB} MB", big.peak_mb if big else None,
         GOAL_BIG_PEAK_MB, False),
    ]  # fmt: skip
    return [
        (name, got, got is not None and (got >= goal if at_least else got < goal))
        for name, got, goal, at_least in checks
    ]


def report(bench: Bench) -> bool:
    print("   peer: ModelResource (default options, then use_bulk) into a contact keyed by its "
          "id (a lookup per row), timed from the file's bytes; rows without a unique id left "
          "out")  # fmt: skip
    estimate = xlsx_big_estimate(bench.figures)
    if estimate is not None:
        print(f"   xlsx {BIG_ROWS:,} rows: ~{estimate:,.0f} MB peak, extrapolated from 100k and "
              "200k (openpyxl needs ~2 min to write a 1M-row workbook)")  # fmt: skip
    results = goals(bench.figures)
    for name, got, met in results:
        shown = "not measured" if got is None else f"{got:,.1f}" if got < 100 else f"{got:,.0f}"
        print(f"   {'met   ' if met else 'MISSED'} {name}: {shown}")
    return all(met for _, _, met in results)


def run() -> bool:
    with tempfile.TemporaryDirectory(prefix="propel-bench-") as name:
        work = Path(name)
        started = time.perf_counter()
        files = write_files(work)
        seconds = time.perf_counter() - started
        print(f"   files written in {seconds:.0f}s; one fresh process per line: run_validate() "
              "(read+map+check+stage), or the peer's import_data()")  # fmt: skip
        bench = Bench(work)
        print(f"   {'figure':<18} {'rows':>9} {'invalid':>8} {'rows/s':>9} {'peak MB':>8}")
        measure_all(bench, files)
    return report(bench)


def main(argv: list[str]) -> int:
    return bench_main("pipeline", __doc__, argv, run, child_main)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
