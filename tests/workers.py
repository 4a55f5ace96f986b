"""Real RQ worker processes for tests, on the test database and the test Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from propel_admin.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[1]


def child_database_url() -> str:
    """DATABASE_URL of the database this test process uses (SQLite file or PostgreSQL)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def sandbox_env(sandbox: SandboxServer) -> dict[str, str]:
    """The PROPELLER_* settings that point a child process at the sandbox."""
    return {
        "PROPELLER_API_URL": sandbox.api_url,
        "PROPELLER_TOKEN_URL": sandbox.token_url,
        "PROPELLER_CLIENT_ID": sandbox.client_id,
        "PROPELLER_CLIENT_SECRET": sandbox.client_secret,
    }


def worker_env(sandbox: SandboxServer | None = None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": child_database_url(), "LOG_LEVEL": "WARNING", **extra}
    if sandbox is not None:
        env.update(sandbox_env(sandbox))
    return env


@contextmanager
def worker_process(
    env: dict[str, str], *, burst: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    """`manage.py rqworker` as the product runs it; stopped (or killed) on exit."""
    # The worker class is the settings' (RQ["WORKER_CLASS"]): PropelWorker.
    args = [sys.executable, "manage.py", "rqworker", "default", *(["--burst"] if burst else [])]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
