"""Real worker and reconciler processes for integration tests, always cleaned up.

Children run `manage.py` against the test database and the test's Redis, and talk to the
sandbox over loopback HTTP like production workers talk to Propeller.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.workers import child_database_url, sandbox_env

if TYPE_CHECKING:
    from propel_admin.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT = 10.0

# Short timeouts and backoff so faults cost fractions of a second, not minutes.
WORKER_SETTINGS = {
    "PROPELLER_TIMEOUT": "2",
    "PROPELLER_BACKOFF_BASE": "0.05",
    "PROPELLER_BACKOFF_CAP": "0.5",
    "PROPELLER_RETRY_AFTER_CAP": "1",
    "PROPELLER_MAX_REQUESTS_PER_SECOND": "1000",
    "PROPELLER_MAX_CONCURRENCY": "8",
    "LOG_LEVEL": "WARNING",
}


def child_env(
    *, sandbox: SandboxServer, media_root: Path, redis_url: str, **extra: str
) -> dict[str, str]:
    """The environment of a worker: test database, this Redis, the sandbox, short timeouts."""
    return {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(media_root),
        **sandbox_env(sandbox),
        **WORKER_SETTINGS,
        **extra,
    }


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Processes:
    """manage.py children of one test; `stop_all` ends every one of them."""

    env: dict[str, str]
    log_dir: Path
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, *args: str, env: Mapping[str, str] | None = None) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{len(self.children):02d}-{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", *args],
                cwd=ROOT, env={**self.env, **(env or {})}, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def worker(
        self, name: str = "worker", *, burst: bool = False, env: Mapping[str, str] | None = None
    ) -> Child:
        args = ["rqworker", "default", "-v", "0"]  # PropelWorker, as the settings say
        return self.start(name, *args, *(["--burst"] if burst else []), env=env)

    def reconciler(self, interval: float = 0.3) -> Child:
        return self.start("reconciler", "reconcile_runs", "--interval", str(interval))

    def kill(self, child: Child) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up, like a crashed host."""
        _signal(child.process, signal.SIGKILL)
        child.process.wait(STOP_TIMEOUT)

    def stop_all(self) -> None:
        """SIGTERM everyone, then SIGKILL whatever is still there."""
        for child in self.children:
            _signal(child.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in self.children:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(child.process, signal.SIGKILL)
                child.process.wait()

    def wait_all(self, timeout: float) -> None:
        """Wait for burst workers to drain the queue and exit."""
        deadline = time.monotonic() + timeout
        for child in self.children:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise AssertionError(f"{child.name} still running\n{self.report()}") from None

    def report(self) -> str:
        """Each child's state and the end of its output, for failure messages."""
        parts = []
        for child in self.children:
            code = child.process.poll()
            state = "running" if code is None else f"exit {code}"
            parts.append(f"--- {child.name} (pid {child.process.pid}, {state})\n{child.tail()}")
        return "\n".join(parts)


def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):  # exited just now
            os.killpg(process.pid, signum)


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    between: Callable[[], object] | None = None,
    describe: Callable[[], str] = lambda: "",
) -> None:
    """Poll `condition` (calling `between` after each miss) until true, else fail."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{describe()}")
        if between is not None:
            between()
        time.sleep(0.1)
