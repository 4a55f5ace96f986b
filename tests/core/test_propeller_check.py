"""`manage.py propeller_check` and the settings-built client, against the sandbox."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from propel_admin.core.propeller_client import (
    client_config_from_settings,
    get_propeller_client,
    token_fernet_key,
)
from propel_admin.propeller import RedisTokenStore

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_config_follows_the_settings_at_call_time(sandbox, settings) -> None:
    settings.PROPELLER_TIMEOUT = 12.5
    settings.PROPELLER_MAX_ATTEMPTS = 2
    config = client_config_from_settings()
    assert config.api_url == sandbox.api_url
    assert config.token_url == sandbox.token_url
    assert config.read_timeout == 12.5
    assert config.max_attempts == 2
    assert config.connect_timeout == settings.PROPELLER_CONNECT_TIMEOUT
    assert config.retry_after_cap == settings.PROPELLER_RETRY_AFTER_CAP


def test_the_settings_client_caches_its_token_encrypted_in_redis(
    sandbox, settings, redis_conn
) -> None:
    with get_propeller_client() as client:
        assert isinstance(client.token_store, RedisTokenStore)
        assert client.get_contact(1) is None
        token = client.token_store.get()
    assert token is not None
    [key] = [k for k in redis_conn.scan_iter("propel:propeller-token:*") if b"lock" not in k]
    blob = redis_conn.get(key) or b""
    assert token.access_token.encode() not in blob
    Fernet(token_fernet_key(settings.SECRET_KEY)).decrypt(blob)  # our key, derived
    with get_propeller_client() as again:
        again.get_contact(2)
    assert sandbox.stats()["tokens_issued"] == 1


def test_it_reports_a_healthy_sandbox(sandbox, redis_conn) -> None:
    out = StringIO()
    call_command("propeller_check", stdout=out)
    text = out.getvalue()
    assert sandbox.api_url in text
    assert "Authentication: ok" in text
    assert "Latency:" in text
    assert " ms" in text


def test_it_prints_json_when_asked(sandbox, redis_conn) -> None:
    out = StringIO()
    call_command("propeller_check", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["ok"] is True
    assert result["authenticated"] is True
    assert result["api_url"] == sandbox.api_url
    assert result["latency_ms"] >= 0


def test_a_wrong_secret_fails_with_a_clear_message(sandbox, settings, redis_conn) -> None:
    settings.PROPELLER_CLIENT_SECRET = "wrong-secret-for-check"
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("propeller_check", stdout=out)
    assert caught.value.returncode == 1
    message = str(caught.value)
    assert "Authentication was refused for client id 'sandbox-client'" in message
    assert "PROPELLER_CLIENT_SECRET" in message
    assert "wrong-secret-for-check" not in message + out.getvalue()
    assert "Authentication: REFUSED" in out.getvalue()


def test_an_unreachable_port_fails_with_a_clear_message(sandbox, settings, redis_conn) -> None:
    port = _free_port()
    settings.PROPELLER_API_URL = f"http://127.0.0.1:{port}/v2"
    settings.PROPELLER_TOKEN_URL = f"http://127.0.0.1:{port}/oauth2/token"
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("propeller_check", stdout=out)
    assert caught.value.returncode == 1
    assert f"Connection refused by 127.0.0.1:{port}" in str(caught.value)
    assert "Authentication: not confirmed (connection)" in out.getvalue()


def _run(sandbox: Any, secret: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PROPELLER_API_URL": sandbox.api_url,
        "PROPELLER_TOKEN_URL": sandbox.token_url,
        "PROPELLER_CLIENT_ID": sandbox.client_id,
        "PROPELLER_CLIENT_SECRET": secret,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "propeller_check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_exits_0_or_1_without_a_traceback(sandbox, redis_conn) -> None:
    healthy = _run(sandbox, sandbox.client_secret)
    assert healthy.returncode == 0, healthy.stderr
    assert sandbox.api_url in healthy.stdout
    assert "Latency:" in healthy.stdout
    broken = _run(sandbox, "subprocess-wrong-secret")
    assert broken.returncode == 1
    assert "Authentication was refused" in broken.stderr
    assert "Traceback" not in broken.stderr
    assert "subprocess-wrong-secret" not in broken.stdout + broken.stderr
