"""manage.py export_results: a run's results (or failures) as CSV or XLSX, from a terminal."""

from __future__ import annotations

import getpass
import shutil
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from propel_admin.imports import exports, result_exports
from propel_admin.imports.models import ImportRun

EXIT_BAD = 2


class Command(BaseCommand):
    help = (
        "Write a run's rows with their outcome (or, with --failed, the rows Propeller refused) "
        "as CSV or XLSX. Social security numbers and dates of birth are hidden unless "
        "--reveal-pii (which is logged). Exit 2 for an unknown run or unusable options."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", type=int, help="the run's number (Run #N)")
        parser.add_argument("--failed", action="store_true", help="only the rows Propeller refused")
        parser.add_argument("--format", choices=result_exports.FORMATS, default="csv")
        parser.add_argument(
            "--output", help="file to write (default: a name like the page's download, here); "
            "- for standard output (CSV only, without the byte-order mark)",
        )  # fmt: skip
        parser.add_argument(
            "--reveal-pii", action="store_true",
            help="write social security numbers and dates of birth as they are (logged)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        run = ImportRun.objects.select_related("upload").filter(pk=options["run_id"]).first()
        if run is None:
            self._fail(f"there is no run #{options['run_id']}")
        if refusal := result_exports.export_refusal(run):
            self._fail(refusal)
        file_format, output = options["format"], options["output"]
        if output == "-" and file_format != "csv":
            self._fail("only CSV can go to standard output; give --output FILE for XLSX")
        kind = result_exports.FAILURES if options["failed"] else result_exports.RESULTS
        export = result_exports.ExportRequest(run=run, kind=kind, reveal_pii=options["reveal_pii"])
        result_exports.export_logged(
            export, who=f"{getpass.getuser()} (command line)", file_format=file_format
        )
        rows = result_exports.export_rows(export)
        if output == "-":
            lines = exports.csv_lines(rows)
            next(lines)  # the byte-order mark is for Excel, not for pipes
            for line in lines:
                self.stdout.write(line, ending="")
            return
        path = Path(output or export.filename(file_format))
        try:
            _write(path, rows, file_format, export.sheet)
        except OSError as exc:
            self._fail(f"cannot write {path}: {exc.strerror or exc}")
        self.stderr.write(f"wrote {path}")

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(f"export_results: {message}")
        sys.exit(EXIT_BAD)


def _write(path: Path, rows: Any, file_format: str, sheet: str) -> None:
    if file_format == "xlsx":
        with exports.xlsx_file(rows, sheet=sheet) as handle, path.open("wb") as out:
            shutil.copyfileobj(handle, out)
        return
    with path.open("w", encoding="utf-8", newline="") as out:
        out.writelines(exports.csv_lines(rows))
