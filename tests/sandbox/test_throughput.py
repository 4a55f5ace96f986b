"""Guards against the two known slow-downs of a keep-alive client, without timing anything
(speed is measured by `make bench client`): Nagle's algorithm on the server's socket (a
40 ms stall per request) and a connection per request."""

from __future__ import annotations

from propel_admin.sandbox.handler import SandboxHandler
from tests.sandbox.conftest import Api, contact


def test_the_server_socket_sends_without_waiting_for_acks() -> None:
    # socketserver sets TCP_NODELAY on each accepted connection when this is true.
    assert SandboxHandler.disable_nagle_algorithm is True


def test_one_session_keeps_one_connection_for_many_batches(api: Api) -> None:
    token = api.token()
    opened = api.server.stats()["connections_opened"]
    for batch in range(20):
        contacts = [contact(batch * 100 + i) for i in range(1, 101)]
        assert api.bulk(contacts, token=token).status_code == 200
    assert api.server.stats()["connections_opened"] == opened  # the token's connection, reused
