"""`check()`: is Propeller reachable, and do our credentials work? In one sentence."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from .config import ClientConfig
from .errors import (
    AuthenticationError,
    ForbiddenError,
    PropellerConnectionError,
    PropellerError,
    PropellerTimeout,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)
from .oauth import Token, fetch_token
from .responses import error_for, parse_json, unexpected
from .transport import RawResponse, Transport
from .types import CheckResult

CHECK_PATH = "/contacts/id/0"
CREDENTIALS_HINT = "check PROPELLER_CLIENT_ID / PROPELLER_CLIENT_SECRET"


def run_check(transport: Transport, config: ClientConfig) -> CheckResult:
    """Fetch a fresh token, then look up contact 0: 200 or a JSON 404 means healthy."""
    started = time.monotonic()
    try:
        token = fetch_token(transport, config)
    except PropellerError as error:
        return _failed(config, error, stage="token", authenticated=False)
    token_ms = (time.monotonic() - started) * 1000
    try:
        raw = _lookup(transport, config, token)
    except PropellerError as error:
        return _failed(config, error, stage="api", authenticated=True, token_ms=token_ms)
    latency_ms = round(raw.duration_seconds * 1000, 1)
    return CheckResult(
        ok=True,
        api_url=config.api_url,
        authenticated=True,
        latency_ms=latency_ms,
        message=(
            f"Propeller at {config.api_url} answered in {latency_ms:.0f} ms; "
            f"client id {config.client_id!r} is authenticated."
        ),
        status_code=raw.status,
        request_id=raw.request_id,
        token_ms=round(token_ms, 1),
    )


def _lookup(transport: Transport, config: ClientConfig, token: Token) -> RawResponse:
    raw = transport.exchange(
        "GET",
        config.api_url + CHECK_PATH,
        label=urlsplit(config.api_url).path.rstrip("/") + CHECK_PATH,
        attempt=1,
        headers={"Authorization": f"Bearer {token.access_token}"},
    )
    if raw.status == 200:
        parse_json(raw)  # an HTML login page at 200 is not Propeller
        return raw
    if raw.status == 404:
        try:
            parse_json(raw)
        except UnexpectedResponseError:
            raise unexpected(raw, "a 404 page that is not Propeller's") from None
        return raw
    raise error_for(raw)


def _failed(
    config: ClientConfig,
    error: PropellerError,
    *,
    stage: str,
    authenticated: bool,
    token_ms: float | None = None,
) -> CheckResult:
    return CheckResult(
        ok=False,
        api_url=config.api_url,
        authenticated=authenticated,
        latency_ms=None,
        message=describe(error, config, stage),
        status_code=error.status_code,
        request_id=error.request_id,
        token_ms=None if token_ms is None else round(token_ms, 1),
        problem=error.kind,
    )


def describe(error: PropellerError, config: ClientConfig, stage: str) -> str:
    """A sentence for a person: what failed, where, and what to look at."""
    url = config.token_url if stage == "token" else config.api_url
    if isinstance(error, AuthenticationError):
        if stage == "token":
            return (
                f"Authentication was refused for client id {config.client_id!r} at "
                f"{config.token_url}; {CREDENTIALS_HINT}."
            )
        return f"Propeller at {url} refused the access token it had just issued (HTTP 401)."
    if isinstance(error, ForbiddenError):
        return (
            f"Client id {config.client_id!r} is authenticated but not allowed to read "
            f"contacts at {url} (HTTP 403); give the API key the contacts scopes."
        )
    if isinstance(error, PropellerConnectionError):
        return _describe_connection(error, url)
    if isinstance(error, PropellerTimeout):
        return f"No answer from {url} in time: {error.message}."
    if isinstance(error, RateLimitedError):
        return f"Propeller at {url} is rate limiting this client (HTTP 429); try again later."
    if isinstance(error, ServerError):
        return f"Server error from {url} (HTTP {error.status_code}): {error.message}."
    if isinstance(error, UnexpectedResponseError):
        return f"Unexpected answer from {url}: {error.message}; check the Propeller URLs."
    return f"Propeller at {url} answered with an error: {error}."


def _describe_connection(error: PropellerConnectionError, url: str) -> str:
    parts = urlsplit(url)
    where = parts.netloc or error.host
    if error.reason == "refused":
        return f"Connection refused by {where} ({url}); is the server running and the URL right?"
    if error.reason == "dns":
        return f"The host name {parts.hostname} could not be resolved ({url}); check the URL."
    if error.reason == "tls":
        return f"TLS error talking to {where}: {error.message}."
    return f"Could not talk to {where} ({url}): {error.message}."
