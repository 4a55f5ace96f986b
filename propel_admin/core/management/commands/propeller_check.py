"""`manage.py propeller_check`: can we reach Propeller and authenticate?"""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from propel_admin.core.propeller_client import get_propeller_client
from propel_admin.propeller import CheckResult
from propel_admin.propeller.health import CHECK_DEADLINE


class Command(BaseCommand):
    help = "Fetch a Propeller token and make one harmless API call; exit 1 if that fails."
    requires_system_checks: list[str] = []  # a connectivity check must run regardless

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--timeout",
            type=_positive_seconds,
            default=None,
            metavar="SECONDS",
            help=(
                "give up on each request after this many seconds "
                f"(default: PROPELLER_TIMEOUT, at most {CHECK_DEADLINE:g})"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with get_propeller_client() as client:
            result = client.check(deadline=options["timeout"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self.stdout.write(f"API URL:        {result.api_url}")
            self.stdout.write(f"Authentication: {_authentication(result)}")
            latency = "-" if result.latency_ms is None else f"{result.latency_ms:.0f} ms"
            self.stdout.write(f"Latency:        {latency}")
            if result.ok:
                self.stdout.write(self.style.SUCCESS(result.message))
        if not result.ok:
            raise CommandError(result.message, returncode=1)


def _authentication(result: CheckResult) -> str:
    if result.authenticated:
        return "ok"
    if result.problem == "authentication":
        return "REFUSED"
    return f"not confirmed ({result.problem or 'check failed'})"


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value
