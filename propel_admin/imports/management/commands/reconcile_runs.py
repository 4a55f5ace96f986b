"""manage.py reconcile_runs: queue again what crashes or an emptied Redis left behind."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from propel_admin.imports.reconcile import reconcile

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Re-queue batches whose lease ran out or whose job vanished, restart stuck runs, "
        "resume runs after their cool-off. Runs every RECONCILE_INTERVAL_SECONDS until "
        "stopped, or once with --once. `make run` starts it; run one anywhere in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="reconcile once and exit")
        parser.add_argument("--interval", type=float, help="seconds between passes")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(str(reconcile()))
            return
        interval = options["interval"] or settings.RECONCILE_INTERVAL_SECONDS
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        while not stop.is_set():
            close_old_connections()
            try:
                reconcile()
            except Exception:  # keep reconciling; the next pass may succeed
                logger.exception("reconcile pass failed")
            stop.wait(interval)
