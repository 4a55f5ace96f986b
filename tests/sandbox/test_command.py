"""manage.py propeller_sandbox as the supervisor runs it: a subprocess on a free port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.sandbox.conftest import TIMEOUT

BASE_DIR = Path(__file__).resolve().parents[2]
READY = re.compile(
    r"Propeller sandbox listening on (http://127\.0\.0\.1:(\d+)) \(API http://127\.0\.0\.1:\2/v2\)"
)


class Running:
    """A started command: its process, first stdout line and base URL."""

    def __init__(self, process: subprocess.Popen[str], first_line: str) -> None:
        self.process = process
        self.first_line = first_line
        match = READY.fullmatch(first_line)
        assert match, f"unexpected first line {first_line!r}"
        self.url = match.group(1)

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=10)
        # Read through the text wrappers: communicate() would skip what readline buffered.
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        out = self.process.stdout.read()
        self.process.stdout.close()
        self.process.stderr.close()
        return code, out


def _read_line(process: subprocess.Popen[str], timeout: float = 20.0) -> str:
    """The first stdout line, or fail (not hang) if it does not come."""
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if not lines:
        process.kill()
        reader.join()
        pytest.fail("the sandbox command printed nothing")
    return lines[0].rstrip("\n")


@pytest.fixture
def run_command() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.communicate(timeout=10)


def _start(started: list[Running], *args: str, env: dict[str, str] | None = None) -> Running:
    command = [sys.executable, "manage.py", "propeller_sandbox", "--port", "0", *args]
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        running = Running(process, _read_line(process))
    except BaseException:
        process.kill()
        process.communicate(timeout=10)
        raise
    started.append(running)
    return running


def test_it_prints_the_ready_line_serves_and_exits_0_on_sigterm(run_command: list[Running]) -> None:
    running = _start(run_command, "--memory")

    token = requests.post(
        running.url + "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
        },
        timeout=TIMEOUT,
    ).json()["access_token"]
    response = requests.post(
        running.url + "/v2/contacts/bulk/id",
        json={"contacts": [{"id": 1, "parent": {"id": 5}}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    code, rest = running.stop()

    assert response.json()["data"][0]["action"] == "create"
    assert code == 0
    assert "Client id sandbox-client" in rest.splitlines()[0]
    assert "admin key" in rest.splitlines()[0]


def test_it_reads_faults_and_admin_key_from_the_environment(run_command: list[Running]) -> None:
    env = {"SANDBOX_FAULTS": "rate_500=1", "SANDBOX_ADMIN_KEY": "test-admin-key-123"}
    running = _start(run_command, "--memory", "--seed", "3", env=env)

    faults = requests.get(
        running.url + "/__sandbox/faults",
        headers={"X-Sandbox-Key": "test-admin-key-123"},
        timeout=TIMEOUT,
    )
    code, rest = running.stop()

    assert faults.json()["rate_500"] == 1
    assert code == 0
    assert "test-admin-key-123" not in running.first_line + rest
    assert "SANDBOX_ADMIN_KEY" in rest


def test_flags_win_over_the_environment(run_command: list[Running]) -> None:
    env = {"SANDBOX_FAULTS": "rate_500=1"}
    running = _start(
        run_command, "--memory", "--faults", "rate_429=1", "--admin-key", "k1", env=env
    )

    faults = requests.get(
        running.url + "/__sandbox/faults", headers={"X-Sandbox-Key": "k1"}, timeout=TIMEOUT
    ).json()
    code, _ = running.stop()

    assert (faults["rate_429"], faults["rate_500"]) == (1, 0)
    assert code == 0
