"""Loaded by pytest before Django (`-p tests.bootstrap`): prepares the real services.

Without REDIS_URL an embedded redis-server is started on a private unix socket for
the whole session, and REDIS_URL is set so that settings and django-rq see it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API
os.environ.setdefault("LOG_LEVEL", "WARNING")

_redis_process: subprocess.Popen[bytes] | None = None
_redis_dir: Path | None = None

if not os.environ.get("REDIS_URL"):
    # Short path: unix socket paths are limited to about 100 characters.
    _redis_dir = Path(tempfile.mkdtemp(prefix="propel-test-redis-"))
    os.environ["REDIS_URL"] = f"unix://{_redis_dir / 'redis.sock'}?db=0"


def pytest_configure(config: pytest.Config) -> None:
    global _redis_process
    if _redis_dir is not None and _redis_process is None:
        from propel_admin.core import embedded_redis

        _redis_process = embedded_redis.start(_redis_dir / "redis.sock", persist=False)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _redis_process is not None:
        from propel_admin.core import embedded_redis

        embedded_redis.stop(_redis_process)
    if _redis_dir is not None:
        shutil.rmtree(_redis_dir, ignore_errors=True)
