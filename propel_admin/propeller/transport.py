"""One HTTP exchange with Propeller: timeouts, a whole-exchange deadline, a body cap.

Every exchange logs one line (method, path, status, duration, request id, attempt);
never a header value, a body or a query string.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from .config import ClientConfig
from .errors import (
    PropellerConnectionError,
    PropellerError,
    PropellerTimeout,
    UnexpectedResponseError,
)

logger = logging.getLogger("propel_admin.propeller")

_CHUNK = 64 * 1024
EXCERPT_BYTES = 2048


@dataclass(frozen=True)
class RawResponse:
    """A complete answer: status, headers and the whole (capped) body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    duration_seconds: float

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id") or None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def excerpt(self) -> str:
        """At most EXCERPT_BYTES of the body, as text, for diagnosis only."""
        return self.body[:EXCERPT_BYTES].decode("utf-8", errors="replace")


def build_session(config: ClientConfig) -> requests.Session:
    """A keep-alive session; the client alone decides about retries (none here)."""
    session = requests.Session()
    session.headers["User-Agent"] = config.user_agent
    session.headers["Accept"] = "application/json"
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.verify = config.verify_tls
    return session


class Transport:
    """Sends requests over one session and returns complete RawResponses."""

    def __init__(self, session: requests.Session, config: ClientConfig) -> None:
        self.session = session
        self.config = config

    def exchange(
        self,
        method: str,
        url: str,
        *,
        label: str,
        attempt: int,
        headers: Mapping[str, str] | None = None,
        data: bytes | Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> RawResponse:
        """Send one request and read the whole answer within the deadline."""
        started = time.monotonic()
        deadline = started + self.config.request_deadline
        read_timeout = min(self.config.read_timeout, self.config.request_deadline)
        host = urlsplit(url).hostname or ""
        try:
            response = self.session.request(
                method,
                url,
                headers=dict(headers or {}),
                data=data,
                auth=auth,
                timeout=(self.config.connect_timeout, read_timeout),
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            error = _map_request_exception(exc, host, self.config)
            _log_exchange(method, label, started, attempt, error.kind)
            raise error from exc
        try:
            body = self._read_body(response, deadline, host)
        except (PropellerTimeout, PropellerConnectionError, UnexpectedResponseError) as error:
            response.close()
            _log_exchange(method, label, started, attempt, error.kind, response)
            raise
        _log_exchange(method, label, started, attempt, "", response)
        return RawResponse(response.status_code, response.headers, body, time.monotonic() - started)

    def _read_body(self, response: requests.Response, deadline: float, host: str) -> bytes:
        """Read in chunks, checking the deadline and the size cap between chunks."""
        limit = self.config.max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(response, limit)
        chunks: list[bytes] = []
        size = 0
        raw = response.raw
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _deadline_passed(self.config, host, response.status_code)
            _limit_socket_wait(raw, min(remaining, self.config.read_timeout))
            try:
                chunk = raw.read1(_CHUNK, decode_content=True)
            except urllib3.exceptions.ReadTimeoutError as exc:
                if time.monotonic() >= deadline:
                    raise _deadline_passed(self.config, host, response.status_code) from exc
                raise _read_timeout(self.config, host, response.status_code) from exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise _broken_body(exc, host, response, b"".join(chunks)) from exc
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise _too_large(response, limit)
            chunks.append(chunk)
        response.raw.release_conn()
        return b"".join(chunks)


def _limit_socket_wait(raw: Any, seconds: float) -> None:
    """Make the next socket read give up when the deadline does (best effort)."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.settimeout(max(seconds, 0.001))


def _log_exchange(
    method: str,
    label: str,
    started: float,
    attempt: int,
    failure: str,
    response: requests.Response | None = None,
) -> None:
    """One line per exchange: no header values, bodies or query strings."""
    status = str(response.status_code) if response is not None else "-"
    request_id = response.headers.get("x-request-id") if response is not None else None
    logger.info(
        "propeller %s %s -> %s%s in %.0f ms request_id=%s attempt=%d",
        method,
        label,
        status,
        f" ({failure})" if failure else "",
        (time.monotonic() - started) * 1000,
        request_id or "-",
        attempt,
    )


def _too_large(response: requests.Response, limit: int) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"Propeller's answer is larger than {limit // 1024} KB; refusing to read it",
        status_code=response.status_code,
        request_id=response.headers.get("x-request-id"),
        content_type=response.headers.get("content-type", ""),
    )


def _deadline_passed(config: ClientConfig, host: str, status: int) -> PropellerTimeout:
    return PropellerTimeout(
        f"{host} did not finish answering within {config.request_deadline:g} s; "
        "the request was sent, so its outcome is unknown",
        maybe_sent=True,
        host=host,
        status_code=status,
        waited=config.request_deadline,
    )


def _read_timeout(config: ClientConfig, host: str, status: int | None) -> PropellerTimeout:
    waited = min(config.read_timeout, config.request_deadline)
    return PropellerTimeout(
        f"{host} sent nothing for {waited:g} s; the request was sent, so its outcome is unknown",
        maybe_sent=True,
        host=host,
        status_code=status,
        waited=waited,
    )


def _broken_body(
    exc: BaseException, host: str, response: requests.Response, partial: bytes
) -> PropellerError:
    if isinstance(exc, urllib3.exceptions.ProtocolError) and _find(
        exc, urllib3.exceptions.IncompleteRead
    ):
        return UnexpectedResponseError(
            f"{host} closed the connection before the answer was complete "
            f"({len(partial)} bytes received)",
            body_excerpt=partial[:EXCERPT_BYTES].decode("utf-8", errors="replace"),
            content_type=response.headers.get("content-type", ""),
            status_code=response.status_code,
            request_id=response.headers.get("x-request-id"),
            retryable=True,
        )
    return PropellerConnectionError(
        f"The connection to {host} broke while reading the answer",
        reason="dropped",
        host=host,
        maybe_sent=True,
    )


def _map_request_exception(
    exc: requests.RequestException, host: str, config: ClientConfig
) -> PropellerError:
    """Turn a requests exception into a typed error naming the host, never a secret."""
    if isinstance(exc, requests.ConnectTimeout):
        return PropellerTimeout(
            f"Could not connect to {host} within {config.connect_timeout:g} s",
            maybe_sent=False,
            host=host,
            waited=config.connect_timeout,
        )
    if isinstance(exc, requests.ReadTimeout):
        return _read_timeout(config, host, None)
    if isinstance(exc, requests.exceptions.SSLError):
        return PropellerConnectionError(
            f"TLS handshake with {host} failed: {_tls_reason(exc)}", reason="tls", host=host
        )
    if isinstance(exc, requests.ConnectionError):
        return _connection_error(exc, host)
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return PropellerConnectionError(f"Invalid Propeller URL for host {host!r}", host=host)
    return PropellerConnectionError(
        f"Request to {host} failed: {type(exc).__name__}", host=host, maybe_sent=True
    )


def _connection_error(exc: requests.ConnectionError, host: str) -> PropellerConnectionError:
    if _find(exc, socket.gaierror, urllib3.exceptions.NameResolutionError):
        return PropellerConnectionError(
            f"The host name {host} could not be resolved", reason="dns", host=host
        )
    refused = _find(exc, ConnectionRefusedError)
    if refused is not None or "refused" in str(exc).lower():
        return PropellerConnectionError(
            f"Connection to {host} was refused (nothing listening on that port?)",
            reason="refused",
            host=host,
        )
    if _find(exc, urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError):
        return PropellerConnectionError(f"Could not connect to {host}", reason="other", host=host)
    # The connection was made but broke before an answer arrived: the request may
    # have been processed.
    return PropellerConnectionError(
        f"The connection to {host} was dropped before an answer arrived",
        reason="dropped",
        host=host,
        maybe_sent=True,
    )


def _tls_reason(exc: BaseException) -> str:
    found = _find(exc, ssl.SSLCertVerificationError)
    if isinstance(found, ssl.SSLCertVerificationError):
        return f"certificate not accepted ({found.verify_message})"
    found = _find(exc, ssl.SSLError)
    if isinstance(found, ssl.SSLError) and found.reason:
        return str(found.reason).lower().replace("_", " ")
    return "TLS error"


def _find(exc: BaseException, *types: type[BaseException]) -> BaseException | None:
    """The first exception of one of `types` in exc's cause/context/args/reason chain."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        current = stack.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, types):
            return current
        refused = isinstance(current, OSError) and current.errno == errno.ECONNREFUSED
        if refused and ConnectionRefusedError in types:
            return current
        stack.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        stack.extend(current.args)
    return None
