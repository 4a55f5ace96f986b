"""manage.py runstack: what `make run` runs. Prepares the database, then starts everything."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from propel_admin.core.accounts import first_account_from_env
from propel_admin.core.management.commands.ensure_admin import login_hint
from propel_admin.core.stack import Stack, StackError


class Command(BaseCommand):
    help = (
        "Migrate, create the first account, then start the embedded Redis (unless REDIS_URL "
        "is set), the Propeller sandbox (unless PROPELLER_API_URL is set), WORKERS RQ workers "
        "and the web server on HOST:PORT. Ctrl-C stops everything."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        account = first_account_from_env()
        stack = Stack(manage=Path(settings.BASE_DIR) / "manage.py")
        signal.signal(signal.SIGINT, stack.request_stop)
        signal.signal(signal.SIGTERM, stack.request_stop)
        try:
            self._start(stack)
            self._banner(account_hint=login_hint(account))
            code = stack.wait()
        except StackError as exc:
            code = 1
            self.stderr.write(f"Could not start: {exc}")
        finally:
            self.stdout.write("Stopping…")
            stack.stop()
            self.stdout.write("Stopped.")
        if code:
            raise CommandError("stopped because a part failed (see above)", returncode=code)

    def _start(self, stack: Stack) -> None:
        if settings.EMBEDDED_REDIS:
            stack.start_redis(Path(settings.EMBEDDED_REDIS_SOCKET))
        if settings.PROPELLER_USES_SANDBOX:
            store = Path(settings.VAR_DIR) / "sandbox.sqlite3"
            stack.start_sandbox("127.0.0.1", settings.PROPELLER_SANDBOX_PORT, store)
        stack.start_workers(settings.WORKERS)
        stack.start_reconciler()
        stack.start_web(settings.HOST, settings.PORT)

    def _banner(self, *, account_hint: str) -> None:
        host = "127.0.0.1" if settings.HOST in ("0.0.0.0", "::") else settings.HOST  # noqa: S104
        where = "the local sandbox" if settings.PROPELLER_USES_SANDBOX else "LIVE Propeller"
        redis = "embedded redis-server" if settings.EMBEDDED_REDIS else "Redis at REDIS_URL"
        lines = [
            "",
            f"  Propel Admin is running at http://{host}:{settings.PORT}/",
            f"  {account_hint}",
            f"  Contacts go to {where}: {settings.PROPELLER_API_URL}",
            f"  Queue: {redis}; {settings.WORKERS} worker(s). Press Ctrl-C to stop everything.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        sys.stdout.flush()
