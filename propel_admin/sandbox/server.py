"""SandboxServer: start the Propeller sandbox in a background thread and control it."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from propel_admin.sandbox.app import SandboxApp
from propel_admin.sandbox.auth import FULL_CLIENT, READONLY_CLIENT
from propel_admin.sandbox.faults import FaultConfig
from propel_admin.sandbox.handler import SandboxHTTPServer

_POLL_SECONDS = 0.05  # how quickly serve_forever notices stop()


class SandboxServer:
    """A Propeller REST v2 stand-in on a loopback port; usable as a context manager."""

    client_id = FULL_CLIENT.client_id
    client_secret = FULL_CLIENT.client_secret
    readonly_client_id = READONLY_CLIENT.client_id
    readonly_client_secret = READONLY_CLIENT.client_secret

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        store_path: str | Path | None = None,
        faults: FaultConfig | None = None,
        seed: int = 0,
        token_ttl: float = 1800,
        max_bulk: int = 2000,
        admin_key: str | None = None,
        company_ids: Iterable[int] = range(1, 100000),
        require_parent_on_create: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.app = SandboxApp(
            store_path=store_path,
            faults=faults,
            seed=seed,
            token_ttl=token_ttl,
            max_bulk=max_bulk,
            admin_key=admin_key,
            company_ids=company_ids,
            require_parent_on_create=require_parent_on_create,
        )
        self._http: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        """Bind and serve in a daemon thread; returns once the socket listens."""
        if self._http is not None:
            raise RuntimeError("the sandbox is already running")
        self._http = SandboxHTTPServer((self.host, self.port), self.app)
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"propeller-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end stalls and open connections, close the store. Idempotent."""
        http, thread = self._http, self._thread
        if http is None or thread is None:
            return
        self._http = self._thread = None
        http.shutdown()
        http.close_connections()
        http.server_close()
        thread.join()
        self.app.close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth2/token"

    @property
    def admin_key(self) -> str:
        return self.app.admin_key

    @property
    def faults(self) -> FaultConfig:
        return self.app.faults.config

    def set_faults(self, faults: FaultConfig) -> None:
        self.app.faults.set(faults)

    def expire_tokens(self) -> int:
        """Invalidate every issued token now; returns how many there were."""
        return self.app.tokens.expire_all()

    def reset(self) -> None:
        self.app.reset()

    def stats(self) -> dict[str, Any]:
        return self.app.stats.snapshot()

    def get_contact(self, key: int) -> dict[str, Any] | None:
        """The stored contact submitted with this id, or None."""
        found = self.app.store.get(key)
        return found.as_dict() if found else None

    def add_companies(
        self, ids: Iterable[int] = (), sources: Iterable[tuple[str, str]] = ()
    ) -> None:
        """Make parent companies exist: ids, and (source, sourceId) pairs."""
        self.app.companies.add(ids, sources)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
