"""manage.py propeller_sandbox: run the Propeller sandbox until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from propel_admin.sandbox.faults import FaultConfig
from propel_admin.sandbox.server import SandboxServer

READY_LINE = "Propeller sandbox listening on {url} (API {api_url})"
FAULTS_ENV = "SANDBOX_FAULTS"
ADMIN_KEY_ENV = "SANDBOX_ADMIN_KEY"


class Command(BaseCommand):
    help = (
        "Serve the local Propeller REST v2 stand-in (token + contacts bulk endpoints). "
        "The first stdout line says where it listens."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--port", type=int, default=None, help="0 picks a free port (default: settings)"
        )
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--store", type=Path, help="sqlite file that keeps contacts")
        where.add_argument("--memory", action="store_true", help="keep contacts in memory only")
        parser.add_argument("--seed", type=int, default=0, help="seed of the fault dice")
        parser.add_argument("--token-ttl", type=float, default=1800.0, help="token lifetime (s)")
        parser.add_argument(
            "--faults", help=f'e.g. "rate_429=0.1,retry_after=2" (or ${FAULTS_ENV})'
        )
        parser.add_argument("--admin-key", help=f"key for /__sandbox/ (or ${ADMIN_KEY_ENV})")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verbosity"] >= 2:
            logging.getLogger("propel_admin.sandbox").setLevel(logging.DEBUG)
        server = self._server(options)
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        key_file = self._admin_key_file(server, options)
        server.start()
        try:
            self._announce(server, options, key_file)
            while not stop.wait(1.0):
                pass
        finally:
            server.stop()
            if key_file is not None:
                key_file.unlink(missing_ok=True)
        self.stdout.write("Propeller sandbox stopped.")

    def _server(self, options: dict[str, Any]) -> SandboxServer:
        try:
            spec = options["faults"]
            faults = FaultConfig.from_string(
                spec if spec is not None else os.environ.get(FAULTS_ENV, "")
            )
        except ValueError as exc:
            raise CommandError(f"--faults / {FAULTS_ENV}: {exc}") from None
        if options["token_ttl"] <= 0:
            raise CommandError("--token-ttl must be > 0")
        store: Path | None = None
        if not options["memory"]:
            store = options["store"] or Path(settings.VAR_DIR) / "sandbox.sqlite3"
            store.parent.mkdir(parents=True, exist_ok=True)
        port = options["port"]
        return SandboxServer(
            host=options["host"],
            port=settings.PROPELLER_SANDBOX_PORT if port is None else port,
            store_path=store,
            faults=faults,
            seed=options["seed"],
            token_ttl=options["token_ttl"],
            admin_key=options["admin_key"] or os.environ.get(ADMIN_KEY_ENV) or None,
        )

    def _admin_key_file(self, server: SandboxServer, options: dict[str, Any]) -> Path | None:
        """A generated admin key goes to a private file, never to the terminal."""
        if options["admin_key"] or os.environ.get(ADMIN_KEY_ENV):
            return None
        handle, name = tempfile.mkstemp(prefix="propeller-sandbox-", suffix=".admin-key")
        with os.fdopen(handle, "w") as key_file:  # mkstemp creates it 0600
            key_file.write(server.admin_key + "\n")
        return Path(name)

    def _announce(
        self, server: SandboxServer, options: dict[str, Any], key_file: Path | None
    ) -> None:
        # The supervisor (core.stack) parses the port from this first line.
        self.stdout.write(READY_LINE.format(url=server.url, api_url=server.api_url))
        self.stdout.flush()
        if options["admin_key"]:
            key_source = "given with --admin-key"
        elif key_file is None:
            key_source = f"from ${ADMIN_KEY_ENV}"
        else:
            key_source = f"in {key_file} (deleted on exit)"
        store = "memory" if options["memory"] else str(server.app.store.path)
        self.stdout.write(
            f"Client id {server.client_id} / secret {server.client_secret} "
            f"(read-only: {server.readonly_client_id}); store: {store}; "
            f"faults: {server.faults.to_string() or 'none'}; admin key for /__sandbox/ {key_source}"
        )
        self.stdout.flush()
