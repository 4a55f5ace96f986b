"""`manage.py propeller_check`: can we reach Propeller and authenticate?"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from propel_admin.core.propeller_client import get_propeller_client
from propel_admin.propeller import CheckResult


class Command(BaseCommand):
    help = "Fetch a Propeller token and make one harmless API call; exit 1 if that fails."
    requires_system_checks: list[str] = []  # a connectivity check must run regardless

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        with get_propeller_client() as client:
            result = client.check()
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
