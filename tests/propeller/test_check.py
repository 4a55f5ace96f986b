"""check(): a health sentence for people, never an exception, never a secret."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from propel_admin.propeller import ClientConfig, PropellerClient

from .conftest import TOKEN_REPLY, Reply, StubRequest, json_reply, stub_config


def test_a_healthy_sandbox_checks_ok(sandbox, make_client) -> None:
    result = make_client().check()
    assert result.ok
    assert result.authenticated
    assert result.api_url == sandbox.api_url
    assert result.latency_ms is not None
    assert result.latency_ms >= 0
    assert sandbox.api_url in result.message
    assert result.as_dict()["ok"] is True


def test_a_read_only_key_is_healthy_too(sandbox, make_client) -> None:
    client = make_client(
        client_id=sandbox.readonly_client_id, client_secret=sandbox.readonly_client_secret
    )
    assert client.check().ok


def test_a_wrong_secret_says_authentication_was_refused(sandbox, make_client) -> None:
    result = make_client(client_secret="wrong-secret-xyz").check()
    assert not result.ok
    assert not result.authenticated
    assert "Authentication was refused for client id 'sandbox-client'" in result.message
    assert "PROPELLER_CLIENT_SECRET" in result.message
    assert result.problem == "authentication"
    assert "wrong-secret-xyz" not in result.message


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(base: str, **overrides: Any) -> ClientConfig:
    values: dict[str, Any] = {
        "api_url": base + "/v2",
        "token_url": base + "/oauth2/token",
        "client_id": "someone",
        "client_secret": "hidden-secret-value",
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
    }
    values.update(overrides)
    return ClientConfig(**values)


def test_an_unreachable_port_says_connection_refused() -> None:
    port = _free_port()
    result = PropellerClient(_config(f"http://127.0.0.1:{port}")).check()
    assert not result.ok
    assert f"Connection refused by 127.0.0.1:{port}" in result.message


def test_an_unknown_host_says_the_name_did_not_resolve() -> None:
    result = PropellerClient(_config("http://propeller.invalid")).check()
    assert not result.ok
    assert "propeller.invalid could not be resolved" in result.message


def test_a_tls_failure_says_tls(stub_server) -> None:
    server = stub_server(lambda request: TOKEN_REPLY)
    result = PropellerClient(_config(server.url.replace("http://", "https://"))).check()
    assert not result.ok
    assert result.message.startswith("TLS error talking to 127.0.0.1")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ((200, {"Content-Type": "text/html"}, b"<html>login</html>"), "HTML page"),
        ((404, {"Content-Type": "text/html"}, b"<html>nope</html>"), "not Propeller's"),
        (json_reply(503, {"error": {"code": 1}}), "Server error"),
        (json_reply(403, {"error": {"code": 1}}), "not allowed to read contacts"),
    ],
)
def test_an_unexpected_api_answer_says_so(stub_server, reply, expected: str) -> None:
    def handler(request: StubRequest) -> Reply:
        return TOKEN_REPLY if request.path == "/oauth2/token" else reply

    server = stub_server(handler)
    result = PropellerClient(stub_config(server)).check()
    assert not result.ok
    assert result.authenticated
    assert expected in result.message
    assert server.url in result.message


def test_check_does_not_retry(stub_server) -> None:
    server = stub_server(lambda request: json_reply(500, {}))
    result = PropellerClient(stub_config(server, max_attempts=5)).check()
    assert not result.ok
    assert not result.authenticated
    assert len(server.requests) == 1
