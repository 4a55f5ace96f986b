"""`check()`: is Propeller reachable, and do our credentials work? In one sentence."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from urllib.parse import urlsplit

from .config import ClientConfig
from .errors import (
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    PropellerConnectionError,
    PropellerError,
    PropellerTimeout,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)
from .oauth import Token, fetch_token
from .responses import (
    READ_SCOPES,
    envelope_label,
    error_for,
    is_contact_not_found,
    parse_json,
    unexpected,
)
from .transport import RawResponse, Transport
from .types import CheckResult

logger = logging.getLogger("propel_admin.propeller")

CHECK_PATH = "/contacts/id/0"
# Seconds each of the check's exchanges may take: a health probe should answer
# "unreachable" long before a worker's PROPELLER_TIMEOUT would.
CHECK_DEADLINE = 10.0
CREDENTIALS_HINT = "check PROPELLER_CLIENT_ID / PROPELLER_CLIENT_SECRET"
MSG_HEALTHY = (
    "Propeller at {api_url} answered in {latency:.0f} ms; client id {client_id!r} is authenticated."
)
MSG_CANNOT_READ = (
    "Propeller at {api_url} answered in {latency:.0f} ms; authentication works for "
    "client id {client_id!r}, but the API key cannot read contacts (HTTP 403: it lacks "
    "the contacts:read scope), which sending contacts does not need."
)
MSG_LOOKUP_REFUSED = (
    "Propeller at {api_url} answered in {latency:.0f} ms; client id {client_id!r} is "
    "authenticated. Note: it refused the test lookup of contact 0 ({label}, HTTP 400), "
    "which still shows that it is reachable and accepted the token."
)


def check_config(config: ClientConfig, deadline: float | None = None) -> ClientConfig:
    """`config` with every limit cut to the check's deadline (default CHECK_DEADLINE)."""
    limit = min(config.request_deadline, CHECK_DEADLINE if deadline is None else deadline)
    return replace(
        config,
        deadline=limit,
        read_timeout=min(config.read_timeout, limit),
        connect_timeout=min(config.connect_timeout, limit),
    )


def run_check(
    transport: Transport, config: ClientConfig, *, deadline: float | None = None
) -> CheckResult:
    """Fetch a fresh token, then look up contact 0; contact-not-found means healthy."""
    config = check_config(config, deadline)
    transport = Transport(transport.session, config)
    started = time.monotonic()
    try:
        token = fetch_token(transport, config)
    except PropellerError as error:
        return _failed(config, error, stage="token", authenticated=False)
    token_ms = (time.monotonic() - started) * 1000
    try:
        raw = _lookup(transport, config, token)
        template = _verdict(raw)
    except PropellerError as error:
        return _failed(config, error, stage="api", authenticated=True, token_ms=token_ms)
    latency_ms = round(raw.duration_seconds * 1000, 1)
    label = envelope_label(raw) or ""
    return CheckResult(
        ok=True,
        api_url=config.api_url,
        authenticated=True,
        latency_ms=latency_ms,
        message=template.format(
            api_url=config.api_url, latency=latency_ms, client_id=config.client_id, label=label
        ),
        status_code=raw.status,
        request_id=raw.request_id,
        token_ms=round(token_ms, 1),
    )


def _lookup(transport: Transport, config: ClientConfig, token: Token) -> RawResponse:
    """GET contact 0; once more if the connection broke.

    The token request leaves a keep-alive connection that the server may close just
    as the GET reuses it. This is the check's only retry (it bypasses the client's).
    """
    try:
        return _get(transport, config, token, attempt=1)
    except PropellerConnectionError as error:
        if not error.retryable:
            raise
        logger.info("propeller check: connection problem (%s); trying once more", error.reason)
        return _get(transport, config, token, attempt=2)


def _get(transport: Transport, config: ClientConfig, token: Token, *, attempt: int) -> RawResponse:
    return transport.exchange(
        "GET",
        config.api_url + CHECK_PATH,
        label=urlsplit(config.api_url).path.rstrip("/") + CHECK_PATH,
        attempt=attempt,
        headers={"Authorization": f"Bearer {token.access_token}"},
    )


def _verdict(raw: RawResponse) -> str:
    """The message template for an answer that shows a working Propeller; raises otherwise.

    200 and Propeller's contact-not-found are plain health. A 403 after a token was
    issued only means the key lacks contacts:read; a 400 in Propeller's envelope
    means it refused id 0: both prove reachability and authentication.
    """
    if raw.status == 200:
        parse_json(raw)  # an HTML login page at 200 is not Propeller
        return MSG_HEALTHY
    if is_contact_not_found(raw):
        return MSG_HEALTHY
    html = "html" in raw.content_type.lower() or raw.body.lstrip()[:1] == b"<"
    if raw.status == 403:
        if html:
            raise unexpected(raw, "an HTML page that is not Propeller's (a proxy or firewall?)")
        return MSG_CANNOT_READ
    if raw.status == 400 and envelope_label(raw):
        return MSG_LOOKUP_REFUSED
    raise error_for(raw, scopes=READ_SCOPES)


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
            f"The token endpoint {url} refused client id {config.client_id!r} (HTTP 403); "
            f"{CREDENTIALS_HINT} and that the API key is active (new keys start inactive)."
        )
    if isinstance(error, NotFoundError):
        if stage == "token":
            return f"{error.message} ({url})."
        return f"Looking up contact 0 at {url}: {error.message}."
    if isinstance(error, PropellerConnectionError):
        return _describe_connection(error, url)
    if isinstance(error, PropellerTimeout):
        if stage == "token" and error.maybe_sent:
            return f"{error.message} ({url})."
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
