"""manage.py rotate_pii_key: re-encrypt stored social security numbers with the newest key."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from propel_admin.imports import pii, pii_rotation

EXIT_BAD = 2


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored social security number (staged rows, corrections, upload "
        "previews) with the first key of PII_ENCRYPTION_KEYS. Chunked and resumable: values "
        "already under the first key are skipped. With --dry-run, count only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count only; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        try:
            totals = pii_rotation.pii_rotate(dry_run=dry_run)
        except pii.PiiUnreadable as exc:
            self.stderr.write(f"rotate_pii_key: {exc}")
            sys.exit(EXIT_BAD)
        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        self.stdout.write(
            f"{verb} {totals.values} values in {totals.rows} rows and "
            f"{totals.uploads} upload previews with the first key."
        )
