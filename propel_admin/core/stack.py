"""The process supervisor behind `make run`: Redis, sandbox, workers and web server.

Each child runs in its own session, so a Ctrl-C on the terminal reaches only this
supervisor, which then stops the children in order (web, workers, sandbox, Redis) and
reaps them. Children also get SIGTERM if the supervisor itself dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from propel_admin.core import embedded_redis

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
STOP_TIMEOUT = 15.0
MAX_RESTARTS = 20
SANDBOX_READY_PREFIX = "Propeller sandbox listening on "


class StackError(RuntimeError):
    """The stack could not start; the message says what to do."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    args: list[str] | None = None  # set for children that are started again if they die
    restarts: int = 0


@dataclass
class Stack:
    """Starts the parts in order and stops them in reverse."""

    python: str = sys.executable
    manage: Path = Path("manage.py")
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    children: list[Child] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def spawn(
        self,
        name: str,
        args: Sequence[str],
        *,
        stdout: int | None = None,
        restartable: bool = False,
    ) -> Child:
        child = Child(name, self._popen(args, stdout), list(args) if restartable else None)
        self.children.append(child)
        return child

    def _popen(self, args: Sequence[str], stdout: int | None = None) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            list(args),
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def start_redis(self, socket_path: Path) -> None:
        try:
            process = embedded_redis.start(socket_path, persist=True)
        except embedded_redis.EmbeddedRedisError as exc:
            raise StackError(str(exc)) from None
        self.children.append(Child("redis", process))

    def start_sandbox(self, host: str, port: int, store: Path) -> str:
        """Start the sandbox and return its base URL once it listens."""
        require_free_port(host, port, "PROPELLER_SANDBOX_PORT")
        args = [self.python, str(self.manage), "propeller_sandbox", "--host", host]
        args += ["--port", str(port), "--store", str(store)]
        child = self.spawn("sandbox", args, stdout=subprocess.PIPE)
        assert child.process.stdout is not None
        first = child.process.stdout.readline().decode().strip()
        if not first.startswith(SANDBOX_READY_PREFIX):
            raise StackError(f"the Propeller sandbox did not start (it said {first!r})")
        _forward(child.process.stdout)
        return first.removeprefix(SANDBOX_READY_PREFIX).split()[0]

    def start_workers(self, count: int) -> None:
        # PropelWorker (core/worker.py) runs jobs in its own process: no fork per job, and one
        # keep-alive connection to Propeller per worker (a crash mid-job is the reconciler's
        # to mend).
        for number in range(1, count + 1):
            args = [self.python, str(self.manage), "rqworker", "default", "--with-scheduler",
                    "--worker-class", "propel_admin.core.worker.PropelWorker"]  # fmt: skip
            self.spawn(f"worker {number}", args, restartable=True)

    def start_reconciler(self) -> None:
        args = [self.python, str(self.manage), "reconcile_runs"]
        self.spawn("reconciler", args, restartable=True)

    def start_web(self, host: str, port: int) -> None:
        require_free_port(host, port, "PORT")
        args = [
            self.python, "-m", "gunicorn", "propel_admin.wsgi",
            "--bind", f"{host}:{port}", "--workers", "2", "--threads", "4",
            "--graceful-timeout", "10", "--no-control-socket", "--access-logfile", "-",
            # The path only: query strings may hold searched names or emails.
            "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        ]  # fmt: skip
        self.spawn("web", args)
        wait_for_port(host, port, timeout=30.0, alive=self.children[-1].process)

    def wait(self) -> int:
        """Block until a signal arrives (exit 0) or a vital child dies (exit 1).

        A worker or the reconciler that dies is started again (a batch it held is sent
        again once its lease runs out); Redis, the sandbox or the web server dying stops
        everything.
        """
        while not self._stopping.is_set():
            for index, child in enumerate(self.children):
                code = child.process.poll()
                if code is None:
                    continue
                if child.args and child.restarts < MAX_RESTARTS:
                    print(f"{child.name} stopped (exit status {code}); starting it again.")
                    self.children[index] = self._restart(child)
                    continue
                print(f"\n{child.name} stopped unexpectedly (exit status {code}); stopping.")
                return 1
            self._stopping.wait(0.5)
        return 0

    def _restart(self, child: Child) -> Child:
        """The same command again, in the same place in the stopping order."""
        assert child.args is not None
        return Child(child.name, self._popen(child.args), child.args, child.restarts + 1)

    def request_stop(self, *_: object) -> None:
        self._stopping.set()

    def stop(self) -> None:
        """Stop every child, newest first; SIGKILL whatever outlives the timeout."""
        for child in reversed(self.children):
            _terminate(child)
        self.children.clear()


def _terminate(child: Child) -> None:
    process = child.process
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop in %.0fs; killing it", child.name, STOP_TIMEOUT)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # Reap anything the child left in its process group (gunicorn workers, RQ horses).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _forward(stream: IO[bytes]) -> None:
    """Copy a child's remaining output to ours, so its log lines stay visible."""

    def pump() -> None:
        for line in iter(stream.readline, b""):
            sys.stdout.buffer.write(line)
            sys.stdout.flush()

    threading.Thread(target=pump, daemon=True).start()


def require_free_port(host: str, port: int, setting: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise StackError(
                f"port {port} on {host} is in use; "
                f"stop what uses it or set {setting} to another port"
            ) from None


def wait_for_port(host: str, port: int, *, timeout: float, alive: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive.poll() is not None:
            raise StackError(f"the web server exited with status {alive.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"the web server did not listen on {host}:{port} within {timeout:.0f}s")
