"""`manage.py propeller_check` and the settings-built client, against the sandbox."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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
from tests.propeller.conftest import (
    HANG,
    TOKEN_REPLY,
    Handler,
    Reply,
    StubRequest,
    StubServer,
    json_reply,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stub_propeller(settings) -> Iterator[Callable[[Handler], StubServer]]:  # type: ignore[no-untyped-def]
    """Start a stub Propeller and point the settings at it; stopped afterwards."""
    started: list[StubServer] = []

    def start(handler: Handler) -> StubServer:
        server = StubServer(handler).start()
        started.append(server)
        settings.PROPELLER_API_URL = server.url + "/v2"
        settings.PROPELLER_TOKEN_URL = server.url + "/oauth2/token"
        settings.PROPELLER_CLIENT_ID = "stub-client"
        settings.PROPELLER_CLIENT_SECRET = "stub-secret-value"
        return server

    yield start
    for server in started:
        server.stop()


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


@pytest.mark.parametrize("path", ["", "/v3"])
def test_a_wrong_api_path_fails_and_asks_about_the_url(
    sandbox, settings, redis_conn, path: str
) -> None:
    settings.PROPELLER_API_URL = sandbox.url + path
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("propeller_check", stdout=out)
    assert caught.value.returncode == 1
    assert "is the API URL right? It normally ends in /v2" in str(caught.value)
    assert "Authentication: ok" in out.getvalue()


def test_a_key_that_cannot_read_contacts_passes_with_a_note(stub_propeller, redis_conn) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        return json_reply(403, {"error": {"code": 403, "type": "Forbidden"}})

    stub_propeller(handler)
    out = StringIO()
    call_command("propeller_check", stdout=out)
    assert "Authentication: ok" in out.getvalue()
    assert "cannot read contacts" in out.getvalue()


def test_a_silent_server_fails_the_check_long_before_propeller_timeout(
    stub_propeller, settings, redis_conn
) -> None:
    stub_propeller(lambda request: HANG)
    settings.PROPELLER_TIMEOUT = 30
    started = time.monotonic()
    with pytest.raises(CommandError) as caught:
        call_command("propeller_check", "--timeout", "0.5", stdout=StringIO())
    assert time.monotonic() - started < 3.0
    assert "did not answer within 0.5 s" in str(caught.value)


def test_without_timeout_the_check_uses_its_own_deadline(
    stub_propeller, settings, redis_conn, monkeypatch
) -> None:
    from propel_admin.propeller import health

    monkeypatch.setattr(health, "CHECK_DEADLINE", 0.5)
    stub_propeller(lambda request: HANG)
    settings.PROPELLER_TIMEOUT = 30
    started = time.monotonic()
    with pytest.raises(CommandError) as caught:
        call_command("propeller_check", stdout=StringIO())
    assert time.monotonic() - started < 3.0
    assert "did not answer within 0.5 s" in str(caught.value)


def test_a_bad_timeout_is_refused(sandbox) -> None:
    with pytest.raises(CommandError, match="positive number of seconds"):
        call_command("propeller_check", "--timeout", "0", stdout=StringIO())


def test_the_check_deadline_defaults_to_at_most_10_seconds(sandbox, settings) -> None:
    from propel_admin.propeller.health import CHECK_DEADLINE, check_config

    settings.PROPELLER_TIMEOUT = 30
    config = check_config(client_config_from_settings())
    assert CHECK_DEADLINE == 10.0
    assert config.request_deadline == 10.0
    assert config.read_timeout == 10.0
    settings.PROPELLER_TIMEOUT = 4
    assert check_config(client_config_from_settings()).request_deadline == 4.0


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
