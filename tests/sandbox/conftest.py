"""Helpers for the sandbox tests: a small HTTP client that speaks to a SandboxServer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from propel_admin.sandbox.server import SandboxServer

TIMEOUT = 5.0
BULK_PATH = "/contacts/bulk/id"


def contact(contact_id: int, **fields: Any) -> dict[str, Any]:
    """A valid contact with a parent company, overridable field by field."""
    return {
        "id": contact_id,
        "firstName": "Ann",
        "lastName": "Smith",
        "parent": {"id": 5},
        **fields,
    }


class Api:
    """requests against one sandbox: tokens, bulk posts, lookups and control calls."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.session = requests.Session()
        self._token: str | None = None

    def token_response(self, **form: str) -> requests.Response:
        data = {"grant_type": "client_credentials", **form}
        return self.session.post(self.server.token_url, data=data, timeout=TIMEOUT)

    def token(self, client_id: str | None = None, secret: str | None = None) -> str:
        response = self.token_response(
            client_id=client_id or self.server.client_id,
            client_secret=secret or self.server.client_secret,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def auth(self, token: str | None = None) -> dict[str, str]:
        if token is None:
            self._token = self._token or self.token()
            token = self._token
        return {"Authorization": f"Bearer {token}"}

    def bulk(
        self,
        contacts: list[Any] | None = None,
        *,
        body: Any = None,
        raw: bytes | None = None,
        token: str | None = None,
        timeout: float | tuple[float, float] = TIMEOUT,
    ) -> requests.Response:
        url = self.server.api_url + BULK_PATH
        if raw is None:
            payload = body if body is not None else {"contacts": contacts}
            return self.session.post(url, json=payload, headers=self.auth(token), timeout=timeout)
        headers = {**self.auth(token), "Content-Type": "application/json"}
        return self.session.post(url, data=raw, headers=headers, timeout=timeout)

    def get_contact(self, value: object, token: str | None = None) -> requests.Response:
        url = f"{self.server.api_url}/contacts/id/{value}"
        return self.session.get(url, headers=self.auth(token), timeout=TIMEOUT)

    def control(
        self, method: str, name: str, json: Any = None, key: str | None = "default"
    ) -> requests.Response:
        headers = {}
        if key is not None:
            headers["X-Sandbox-Key"] = self.server.admin_key if key == "default" else key
        url = f"{self.server.url}/__sandbox/{name}"
        return self.session.request(method, url, json=json, headers=headers, timeout=TIMEOUT)

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def api(sandbox: SandboxServer) -> Iterator[Api]:
    """A client for the shared sandbox, reset before and after the test."""
    client = Api(sandbox)
    yield client
    client.close()


class Servers:
    """Servers a test starts itself (special settings), with a client each."""

    def __init__(self) -> None:
        self.started: list[tuple[SandboxServer, Api]] = []

    def start(self, **options: Any) -> tuple[SandboxServer, Api]:
        server = SandboxServer(port=0, **options)
        server.start()
        client = Api(server)
        self.started.append((server, client))
        return server, client

    def stop_all(self) -> None:
        for server, client in self.started:
            client.close()
            server.stop()
        self.started.clear()


@pytest.fixture
def servers() -> Iterator[Servers]:
    """Start servers with `servers.start(...)`; all are stopped after the test."""
    group = Servers()
    yield group
    group.stop_all()


def sandbox_threads(port: int) -> list[threading.Thread]:
    """Live threads of the sandbox on this port (its server loop and connections)."""
    prefix = f"propeller-sandbox-{port}"
    return [t for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive()]
