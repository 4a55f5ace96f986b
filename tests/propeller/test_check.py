"""check(): a health sentence for people, never an exception, never a secret."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from propel_admin.propeller import ClientConfig, PropellerClient, health

from .conftest import DROP, HANG, TOKEN_REPLY, Reply, StubRequest, json_reply, stub_config

CONTACT_NOT_FOUND = json_reply(
    404,
    {
        "error": {
            "code": 50006,
            "status": 404,
            "type": "ContactNotFound",
            "messages": ["Contact with id [0] not found"],
        }
    },
)


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
        ((403, {"Content-Type": "text/html"}, b"<html>WAF</html>"), "not Propeller's"),
        ((400, {"Content-Type": "text/html"}, b"<html>bad</html>"), "answered with an error"),
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


@pytest.mark.parametrize("path", ["", "/v3"])
def test_a_wrong_api_path_fails_the_check_and_asks_about_the_url(
    sandbox, make_client, path: str
) -> None:
    result = make_client(api_url=sandbox.url + path).check()
    assert not result.ok
    assert result.authenticated
    assert result.status_code == 404
    assert result.problem == "not_found"
    assert "is the API URL right? It normally ends in /v2" in result.message
    assert sandbox.url + path in result.message


@pytest.mark.parametrize(
    "error",
    [
        {"code": 50006},
        {"code": "50006"},
        {"type": "ContactNotFound"},
        {"code": 10008, "type": "NotFound", "messages": ["Contact with id [0] not found"]},
        {"message": "Contact not found"},
    ],
)
def test_propellers_contact_not_found_means_healthy(stub_server, error: dict[str, Any]) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        return json_reply(404, {"error": {"status": 404, **error}})

    result = PropellerClient(stub_config(stub_server(handler))).check()
    assert result.ok, result.message
    assert result.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": 10008, "type": "NotFound", "messages": ["Resource [/x] not found"]}},
        {"error": {"code": 10008, "messages": ["Resource [/contacts/id/0] not found"]}},
        {"message": "Not Found"},
        {},
    ],
)
def test_any_other_json_404_fails_the_check(stub_server, body: dict[str, Any]) -> None:
    def handler(request: StubRequest) -> Reply:
        return TOKEN_REPLY if request.path == "/oauth2/token" else json_reply(404, body)

    result = PropellerClient(stub_config(stub_server(handler))).check()
    assert not result.ok
    assert "It normally ends in /v2" in result.message


def test_a_key_without_contacts_read_is_still_authenticated(stub_server) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        forbidden = {"code": 403, "type": "Forbidden", "messages": ["lacks [contacts:read]"]}
        return json_reply(403, {"error": forbidden})

    server = stub_server(handler)
    result = PropellerClient(stub_config(server)).check()
    assert result.ok
    assert result.authenticated
    assert result.status_code == 403
    assert "authentication works" in result.message
    assert "cannot read contacts" in result.message
    assert "contacts:read" in result.message
    assert "sending contacts does not need" in result.message


def test_a_400_envelope_for_contact_0_proves_reachability(stub_server) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        rejected = {"code": 10017, "status": 400, "type": "PayloadValidationError"}
        return json_reply(400, {"error": {**rejected, "messages": ["id must be positive"]}})

    result = PropellerClient(stub_config(stub_server(handler))).check()
    assert result.ok
    assert result.authenticated
    assert result.status_code == 400
    assert "refused the test lookup of contact 0" in result.message
    assert "PayloadValidationError" in result.message


def test_the_check_retries_its_get_once_on_a_dropped_connection(stub_server) -> None:
    def handler(request: StubRequest) -> Reply:
        if request.path == "/oauth2/token":
            return TOKEN_REPLY
        lookups = [r for r in server.requests if r.path == "/v2/contacts/id/0"]
        return DROP if len(lookups) == 1 else CONTACT_NOT_FOUND

    server = stub_server(handler)
    result = PropellerClient(stub_config(server)).check()
    assert result.ok, result.message
    assert [r.path for r in server.requests].count("/v2/contacts/id/0") == 2


def test_the_check_retries_a_dropped_connection_only_once(stub_server) -> None:
    server = stub_server(lambda request: TOKEN_REPLY if "token" in request.path else DROP)
    result = PropellerClient(stub_config(server)).check()
    assert not result.ok
    assert result.problem == "connection"
    assert "dropped" in result.message
    assert [r.path for r in server.requests].count("/v2/contacts/id/0") == 2


def test_the_check_has_its_own_shorter_deadline(stub_server, monkeypatch) -> None:
    monkeypatch.setattr(health, "CHECK_DEADLINE", 0.5)
    server = stub_server(lambda request: HANG)
    config = stub_config(server, read_timeout=30.0, deadline=30.0)
    started = time.monotonic()
    result = PropellerClient(config).check()
    assert time.monotonic() - started < 2.0
    assert not result.ok
    assert result.problem == "timeout"
    assert "did not answer within 0.5 s" in result.message


def test_the_check_keeps_a_shorter_configured_deadline(stub_server) -> None:
    server = stub_server(lambda request: TOKEN_REPLY if "token" in request.path else HANG)
    started = time.monotonic()
    result = PropellerClient(stub_config(server, read_timeout=0.4)).check()
    assert time.monotonic() - started < 2.0
    assert not result.ok
    assert result.authenticated


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, "It normally ends in /oauth2/token"),
        (403, "new keys start inactive"),
    ],
)
def test_a_token_endpoint_refusal_points_at_the_token_settings(
    stub_server, status: int, expected: str
) -> None:
    server = stub_server(lambda request: json_reply(status, {"error": {"code": status}}))
    result = PropellerClient(stub_config(server)).check()
    assert not result.ok
    assert not result.authenticated
    assert expected in result.message
    assert "/v2" not in result.message
