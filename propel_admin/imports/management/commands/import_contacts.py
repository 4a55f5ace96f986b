"""manage.py import_contacts: the upload, mapping and check pipeline from a terminal."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandParser

from propel_admin.core import health
from propel_admin.core.roles import NOT_AN_OPERATOR, OPERATE_RUNS
from propel_admin.imports import mapping_edit, run_control, services, validation
from propel_admin.imports.models import ImportRun, MappingTemplate, RunStatus, Upload
from propel_admin.imports.reconcile import reconcile
from propel_admin.mapping import MappingSpec, MappingSpecError, field_by_key
from propel_admin.parsing import FileRejected, ReadOptions

EXIT_REJECTED = 2


class Rejected(Exception):
    """The file or the options cannot be used: exit 2 with this one-line reason."""


class Command(BaseCommand):
    help = (
        "Upload a contact file, map it (a template, --map, or automatic suggestions), check "
        "every row and, without --dry-run, send the valid rows to Propeller (--wait follows "
        "the run). Exit 0 when the file was read, 2 when it was rejected, 1 otherwise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv, .tsv, .txt, .xlsx or .xlsm file")
        parser.add_argument("--user", required=True, help="the username the upload is made as")
        parser.add_argument("--sheet", help="workbook sheet to read (default: detected)")
        parser.add_argument("--header-row", type=int, help="row holding the column names; 0 = none")
        parser.add_argument("--template", help="apply this saved mapping template")
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD",
            help="map a column onto a field (FIELD empty or - to ignore the column)",
        )  # fmt: skip
        parser.add_argument(
            "--constant", action="append", default=[], metavar="FIELD=VALUE",
            help="the same value for every row",
        )  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="stop after checking the rows")
        parser.add_argument("--wait", action="store_true", help="wait until the check has finished")
        parser.add_argument("--json", action="store_true", help="print one JSON object at the end")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = self._run(options)
        except Rejected as exc:
            self.stderr.write(f"rejected: {exc}")
            sys.exit(EXIT_REJECTED)
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self._print(summary)

    def _run(self, options: dict[str, Any]) -> dict[str, Any]:
        user = _user(options["user"])
        upload = _upload(Path(options["file"]), user, options["sheet"], options["header_row"])
        spec = _mapping(upload, options["template"], options["map"], options["constant"])
        sending = not options["dry_run"]
        # Without a worker to pick the jobs up, the work is done in this process.
        here = (options["wait"] or sending) and not health.check_workers().ok
        try:
            run = validation.run_create(upload=upload, user=user, enqueue=not here)
        except (validation.MappingNotReady, MappingSpecError) as exc:
            raise Rejected(f"the mapping cannot be used: {exc}") from None
        if here:
            self.stderr.write("no RQ worker is running: checking the rows in this process")
            validation.run_validate(run_id=run.pk)
        if options["wait"] or sending:
            run = _wait(run)  # sending needs the finished check
        if sending and run.status == RunStatus.VALIDATED and run.rows_valid:
            run = run_control.run_start(run_id=run.pk, user=user)
            if options["wait"]:
                run = self._follow(run, here=here, quiet=options["json"])
        return _summary(upload, spec, run)

    def _follow(self, run: ImportRun, *, here: bool, quiet: bool) -> ImportRun:
        return follow_run(run, here=here, quiet=quiet, write=self.stderr.write)

    def _print(self, summary: dict[str, Any]) -> None:
        self.stdout.write(
            f"Upload #{summary['upload_id']}, run #{summary['run_id']}: {summary['status']}"
        )
        if summary["status"] != RunStatus.REJECTED:
            counts = f"{summary['valid']} ready to send, {summary['invalid']} with problems"
            self.stdout.write(f"{summary['rows']} rows: {counts}")
            for message, count in summary["errors"].items():
                self.stdout.write(f"  {count:>7}  {message}")
        if summary["sent"] or summary["cancelled"]:
            self.stdout.write(
                f"Sent {summary['sent']}: {summary['created']} created, {summary['updated']} "
                f"updated, {summary['failed']} failed; {summary['cancelled']} cancelled"
            )
        if summary["paused_reason"]:
            self.stdout.write(f"Paused: {summary['paused_reason']}")


def _user(username: str) -> Any:
    try:
        user = get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        raise Rejected(f"no active user {username!r}") from None
    if not user.has_perm(OPERATE_RUNS):  # the upload page's rule, from the terminal too
        raise Rejected(NOT_AN_OPERATOR.format(name=username, action="import"))
    return user


def _upload(path: Path, user: Any, sheet: str | None, header_row: int | None) -> Upload:
    if not path.is_file():
        raise Rejected(f"no file at {path}")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
        try:
            outcome = services.upload_create(
                uploaded_file=File(handle, name=path.name),  # type: ignore[arg-type]
                sha256=digest.hexdigest(),
                user=user,
            )
            upload = outcome.upload
            if sheet is not None or header_row is not None:
                chosen = ReadOptions.from_dict({**upload.read_options, "sheet": sheet or
                                                upload.read_options.get("sheet"),
                                                "header_row": header_row})  # fmt: skip
                upload = services.upload_reread(upload=upload, options=chosen, user=user)
        except FileRejected as exc:
            raise Rejected(exc.message) from None
    return upload


def _mapping(
    upload: Upload, template_name: str | None, maps: list[str], constants: list[str]
) -> MappingSpec:
    if template_name:
        template = MappingTemplate.objects.filter(name__iexact=template_name).first()
        if template is None:
            raise Rejected(f"no mapping template named {template_name!r}")
        mapping_edit.upload_mapping_suggest(upload=upload, template=template)
    spec = MappingSpec.from_dict(upload.mapping)
    data = spec.to_dict()
    for item in maps:
        column, _, field = item.partition("=")
        rule = next((c for c in data["columns"] if c["header"] == column.strip()), None)
        if rule is None:
            raise Rejected(f"--map {item!r}: the file has no column {column.strip()!r}")
        target = field.strip()
        if target not in ("", "-") and field_by_key(target) is None:
            raise Rejected(f"--map {item!r}: {target!r} is not a Propeller contact field")
        rule["target"] = None if target in ("", "-") else target
    for item in constants:
        field, sep, value = item.partition("=")
        if not sep or field_by_key(field.strip()) is None:
            raise Rejected(f"--constant {item!r}: use FIELD=VALUE with a Propeller contact field")
        data["constants"][field.strip()] = value.strip()
    spec = MappingSpec.from_dict(data)
    mapping_edit.upload_mapping_update(upload=upload, spec=spec, user=upload.uploaded_by)
    return spec


def follow_run(
    run: ImportRun, *, here: bool, quiet: bool, write: Callable[[str], Any]
) -> ImportRun:
    """Print progress until the run is done (or paused); work the queue if no one else."""
    last = ""
    while True:
        if here:
            _work_queue_once()
        run.refresh_from_db()
        line = f"{run.get_status_display()}: {run.rows_done} of {run.rows_to_send} rows done"
        if line != last and not quiet:
            write(line)
            last = line
        if run.is_done or run.status in (RunStatus.PAUSED, RunStatus.REJECTED):
            return run
        if run.status == RunStatus.VALIDATED and not run.rows_valid:
            return run  # checked, and nothing can be sent
        time.sleep(0.5)


def _wait(run: ImportRun) -> ImportRun:
    while True:
        run.refresh_from_db()
        if run.is_finished:
            return run
        time.sleep(0.5)


def _work_queue_once() -> None:
    """A real RQ worker in burst mode, in this process, plus a reconciler pass."""
    import django_rq

    from propel_admin.core.worker import PropelWorker

    reconcile()
    queue = django_rq.get_queue("default")
    PropelWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")


def _summary(upload: Upload, spec: MappingSpec, run: ImportRun) -> dict[str, Any]:
    if run.status == RunStatus.REJECTED:
        raise Rejected(run.error)
    return {
        "upload_id": upload.pk,
        **send_summary(run),
        "mapping": {rule.header: rule.target for rule in spec.columns},
        "constants": dict(spec.constants),
        "errors": {g["message"]: g["count"] for g in run.error_groups},
        "warnings": run.warnings,
    }


def send_summary(run: ImportRun) -> dict[str, Any]:
    """A run's status and counts, as the commands print them with --json."""
    return {
        "run_id": run.pk,
        "status": run.status,
        "rows": run.rows_read,
        "valid": run.rows_valid,
        "invalid": run.rows_invalid,
        "sent": run.rows_created + run.rows_updated + run.rows_failed,
        "created": run.rows_created,
        "updated": run.rows_updated,
        "failed": run.rows_failed,
        "cancelled": run.rows_cancelled,
        "paused_reason": run.paused_reason,
    }
