"""Fixtures for the Propeller client tests: configs, clients, a recording sleep, stub servers."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from propel_admin.propeller import (
    ClientConfig,
    MemoryTokenStore,
    PropellerClient,
    TokenStore,
    oauth,
)


@dataclass
class RecordingSleep:
    """Stands in for time.sleep where the real wait would be long; records each delay."""

    delays: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@dataclass
class StubRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Reply = tuple[int, dict[str, str], bytes]
Handler = Callable[[StubRequest], Reply]

# Special replies: close the connection without an answer, or never answer at all.
DROP: Reply = (-1, {}, b"")
HANG: Reply = (-2, {}, b"")


class StubServer:
    """A tiny loopback HTTP/1.1 server whose answers come from a function.

    Replies may set their own `Date` header (to play a server with a skewed clock);
    DROP closes the connection without answering and HANG never answers.
    """

    def __init__(self, handler: Handler) -> None:
        self.requests: list[StubRequest] = []
        self.stopping = threading.Event()
        stub = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                request = StubRequest(
                    self.command, self.path, dict(self.headers), self.rfile.read(length)
                )
                stub.requests.append(request)
                status, headers, body = handler(request)
                if status < 0:
                    if status == HANG[0]:
                        stub.stopping.wait(30)
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response_only(status)
                headers = {
                    "Content-Type": "application/json",
                    "Date": self.date_time_string(),
                    **headers,
                }
                headers.setdefault("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


def json_reply(status: int, body: Any, **headers: str) -> Reply:
    return status, dict(headers), json.dumps(body).encode()


TOKEN_REPLY = json_reply(200, {"access_token": "stub-token", "expires_in": "1800"})


@pytest.fixture
def stub_server() -> Iterator[Callable[[Handler], StubServer]]:
    """Start stub servers for a test; they stop afterwards."""
    started: list[StubServer] = []

    def start(handler: Handler) -> StubServer:
        server = StubServer(handler).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def stub_config(server: StubServer, **overrides: Any) -> ClientConfig:
    values: dict[str, Any] = {
        "api_url": server.url + "/v2",
        "token_url": server.url + "/oauth2/token",
        "client_id": "stub-client",
        "client_secret": "stub-secret-value",
        "read_timeout": 2.0,
        "connect_timeout": 1.0,
        "max_attempts": 3,
    }
    values.update(overrides)
    return ClientConfig(**values)


@pytest.fixture(autouse=True)
def _fresh_token_method_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without a remembered token method (stub ports can be reused)."""
    monkeypatch.setattr(oauth, "_PREFERRED", {})


@pytest.fixture
def recording_sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def make_config(sandbox: Any) -> Callable[..., ClientConfig]:
    """A ClientConfig for the sandbox; keyword arguments override fields."""

    def make(**overrides: Any) -> ClientConfig:
        values: dict[str, Any] = {
            "api_url": sandbox.api_url,
            "token_url": sandbox.token_url,
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "read_timeout": 5.0,
            "connect_timeout": 2.0,
            "max_attempts": 3,
            "backoff_base": 0.01,
            "backoff_cap": 0.05,
            "retry_after_cap": 5.0,
        }
        values.update(overrides)
        return ClientConfig(**values)

    return make


@pytest.fixture
def make_client(
    make_config: Callable[..., ClientConfig], recording_sleep: RecordingSleep
) -> Iterator[Callable[..., PropellerClient]]:
    """A PropellerClient on the sandbox with a recording sleep; closed afterwards."""
    clients: list[PropellerClient] = []

    def make(
        *, token_store: TokenStore | None = None, sleep: Any = None, **overrides: Any
    ) -> PropellerClient:
        client = PropellerClient(
            make_config(**overrides),
            token_store=token_store or MemoryTokenStore(),
            sleep=sleep or recording_sleep,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def contact(contact_id: int | str, **fields: Any) -> dict[str, Any]:
    """A valid contact for bulk-by-id (create needs a parent company)."""
    return {
        "id": contact_id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "parent": {"id": 1},
        **fields,
    }


def bulk_requests(sandbox: Any, status: str | None = None) -> int:
    """How many bulk requests the sandbox saw (with this answer status, if given)."""
    counts = sandbox.stats()["requests"].get("/v2/contacts/bulk/id", {})
    return int(counts.get(status, 0) if status else sum(counts.values()))
