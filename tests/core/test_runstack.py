"""make run's supervisor, started for real: it serves, is healthy and leaves nothing behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (children run in their own sessions)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Stack:
    def __init__(self, var_dir: Path) -> None:
        self.port = _free_port()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PROPEL_VAR_DIR": str(var_dir),
            "PORT": str(self.port),
            "PROPELLER_SANDBOX_PORT": str(_free_port()),
            "WORKERS": "1",
            "DJANGO_SUPERUSER_USERNAME": "first-admin",
        }
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []

    def start(self) -> None:
        self.output = []
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runstack"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if "Press Ctrl-C to stop everything." in line:
                return
        raise AssertionError("runstack did not start:\n" + "".join(self.output))

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        rest, _ = self.process.communicate(timeout=60)
        self.output.append(rest)
        return self.process.returncode


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path / "var")
    yield running
    if running.process and running.process.poll() is None:
        running.process.kill()


def _wait_healthy(port: int) -> requests.Response:
    deadline = time.monotonic() + 60
    while True:
        response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.5)


@pytest.mark.slow
def test_make_run_serves_is_healthy_and_ctrl_c_leaves_nothing_behind(stack: Stack) -> None:
    stack.start()
    banner = "".join(stack.output)
    assert f"Propel Admin is running at http://127.0.0.1:{stack.port}/" in banner
    assert "Log in as 'first-admin' with password '" in banner
    assert stack.process is not None
    children = _descendants(stack.process.pid)
    assert len(children) >= 5  # redis, sandbox, worker, reconciler, web (+ gunicorn workers)

    health = _wait_healthy(stack.port)
    assert health.status_code == 200, health.text
    login = requests.get(f"http://127.0.0.1:{stack.port}/login/", timeout=10)
    assert login.status_code == 200
    assert "Log in" in login.text
    css = requests.get(
        f"http://127.0.0.1:{stack.port}/static/vendor/htmx-2.0.11/htmx.min.js", timeout=10
    )
    assert css.status_code == 200

    # A worker killed outright is started again; the rest keeps running.
    workers = [p for p in _children_of(stack.process.pid) if b"rqworker" in _cmdline(p)]
    assert len(workers) == 1  # the worker itself, not its scheduler process
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        again = [p for p in _children_of(stack.process.pid) if b"rqworker" in _cmdline(p)]
        if again and again != workers:
            break
        time.sleep(0.2)
    assert again, "the killed worker was not started again"
    assert again != workers
    assert stack.process.poll() is None
    children |= _descendants(stack.process.pid)

    assert stack.stop() == 0
    assert "Stopped." in "".join(stack.output)
    assert "worker 1 stopped (exit status -9); starting it again." in "".join(stack.output)
    left = [pid for pid in children if _alive(pid)]
    assert left == [], f"processes left behind: {left}"


@pytest.mark.slow
def test_a_second_start_keeps_the_data_and_creates_no_second_account(stack: Stack) -> None:
    stack.start()
    assert stack.stop() == 0
    stack.start()
    banner = "".join(stack.output)
    assert "Log in as 'first-admin' (password set earlier" in banner
    assert "with password '" not in banner
    assert stack.stop() == 0


def test_a_busy_port_is_named_in_a_clear_message(stack: Stack) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", stack.port))
        squatter.listen()
        process = subprocess.run(
            [sys.executable, "manage.py", "runstack"],
            cwd=ROOT,
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=90,
        )
    assert process.returncode == 1
    assert (
        f"port {stack.port} on 127.0.0.1 is in use; stop what uses it or set PORT" in process.stderr
    )
    assert "Traceback" not in process.stderr + process.stdout
