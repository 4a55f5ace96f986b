"""What sealing social security numbers costs the check: the same data staged three ways,
each in a fresh child process on a fresh copy of a migrated SQLite database, as
benchmarks/pipeline.py measures: `plain`, the numbers under a neutral header and ignored
(nothing sealed); `ignored`, headed "SSN" and ignored (the cells sealed, by the column's
name); `ssn`, headed "SSN" and mapped to `ssn` (cells and payload sealed).

Alone: python -m benchmarks.pii_staging [ROWS]  (children: --child plain|ignored|ssn FILE).
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.pipeline import (
    HEADERS,
    ROOT,
    ROWS,
    SOURCE,
    _django,
    _env,
    _peak_mb,
    contact_rows,
    stored_upload,
)

CHILD_TIMEOUT = 900


MODES = {"plain": "Reference", "ignored": "SSN", "ssn": "SSN"}  # mode -> the column's header


def write_file(path: Path, count: int, header: str) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HEADERS, header])
        for number, row in enumerate(contact_rows(count)):
            writer.writerow(
                [*row, f"{100 + number % 800:03d}-{number % 97:02d}-{number % 9973:04d}"]
            )
    return path


def child(mode: str, path: Path) -> dict[str, Any]:
    _django(peer=False)
    from django.contrib.auth.models import User

    from propel_admin.imports.models import ContactRow, ImportRun, RunStatus
    from propel_admin.imports.validation import run_validate
    from propel_admin.mapping import MappingSpec
    from propel_admin.mapping.spec import ColumnRule

    user = User.objects.create_user(f"bench-{secrets.token_hex(4)}")
    upload = stored_upload(path, user)
    spec = MappingSpec.from_dict(upload.mapping)
    ssn = len(HEADERS)
    columns = [
        rule
        if rule.index != ssn
        else ColumnRule(ssn, MODES[mode], "ssn" if mode == "ssn" else None)
        for rule in spec.columns
    ]
    spec = MappingSpec(tuple(columns), {**spec.constants, "source": SOURCE})
    run = ImportRun.objects.create(
        upload=upload, mapping=spec.to_dict(), read_options=upload.read_options, created_by=user
    )
    started = time.perf_counter()
    run_validate(run_id=run.pk)
    seconds = time.perf_counter() - started
    run = ImportRun.objects.get(pk=run.pk)
    if run.status != RunStatus.VALIDATED:
        raise SystemExit(f"the run ended {run.status}: {run.error}")
    rows = ContactRow.objects.filter(run=run)
    sealed = rows.filter(payload__ssn__startswith="enc:v1:").count()
    cells = sum(
        any(str(cell).startswith("enc:v1:") for cell in row)
        for row in rows.values_list("cells", flat=True).iterator()
    )
    return {"rows": run.rows_read, "seconds": seconds, "peak_mb": _peak_mb(), "sealed": sealed,
            "cells": cells}  # fmt: skip


def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.pii_staging", "--child", *args]
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    if done.returncode != 0:
        raise SystemExit((done.stderr or done.stdout).strip().splitlines()[-1])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(count: int = ROWS) -> None:
    work = Path(tempfile.mkdtemp(prefix="propel-bench-pii-"))
    try:
        files = {header: write_file(work / f"contacts-{header}.csv", count, header)
                 for header in set(MODES.values())}  # fmt: skip
        template = work / "template.sqlite3"
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            env=_env(work, f"sqlite:///{template}"), cwd=ROOT, check=True,
        )  # fmt: skip
        print(f"{count:,} rows with a column of SSNs; staging (read, map, check, write):")
        for round_ in range(2):
            for mode, header in MODES.items():
                copy = work / f"db-{mode}-{round_}.sqlite3"
                shutil.copyfile(template, copy)
                found = _child([mode, str(files[header])], _env(work, f"sqlite:///{copy}"))
                rate = found["rows"] / found["seconds"]
                seconds, peak, sealed = found["seconds"], found["peak_mb"], found["sealed"]
                print(f"   {mode:<8} {seconds:6.2f} s {rate:>9,.0f} rows/s {peak:5.0f} MB"
                      f"  sealed cells: {found['cells']:,}, payloads: {sealed:,}")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        print(json.dumps(child(argv[1], Path(argv[2]))))
        return 0
    run(int(argv[0]) if argv else ROWS)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propel_admin.settings")
    sys.exit(main(sys.argv[1:]))
