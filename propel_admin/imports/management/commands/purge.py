"""manage.py purge: the retention policy (stored files and rows of long-idle runs)."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from propel_admin.imports import retention

EXIT_BAD = 2
DAYS_TOO_FEW = "purge: --older-than must be a whole number of days, at least 1 (got {days})"


class Command(BaseCommand):
    help = (
        "Delete the uploaded files and the rows of runs whose last activity is older than "
        "DAYS (default RETENTION_DAYS) and that are not checking, sending or paused. Runs keep "
        "their counts, history and audit trail; uploads keep their name, size and sha256. "
        "With --dry-run, print what would be deleted and delete nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", type=int, metavar="DAYS", dest="days",
            help="days since a run's last activity (default: RETENTION_DAYS)",
        )  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="count only; delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.RETENTION_DAYS
        if days < 1:
            self.stderr.write(DAYS_TOO_FEW.format(days=days))
            sys.exit(EXIT_BAD)
        if options["dry_run"]:
            totals = retention.purge_preview(days=days)
            self.stdout.write(f"Would delete (idle for more than {days} days): {totals.summary()}")
            return
        totals = retention.purge(days=days)
        self.stdout.write(f"Deleted (idle for more than {days} days): {totals.summary()}")
