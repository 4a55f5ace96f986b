"""OAuth2 client-credentials token fetching."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .config import ClientConfig
from .errors import (
    AuthenticationError,
    NotFoundError,
    PropellerError,
    PropellerTimeout,
    UnexpectedResponseError,
)
from .responses import error_for, parse_json, unexpected
from .transport import RawResponse, Transport

DEFAULT_LIFETIME = 1800.0
FORM, BASIC = "form", "basic"
OAUTH_URL_HINT = "is the token URL right? It normally ends in /oauth2/token"

# Which way of sending credentials worked last, per (token URL, client id), for this
# process: a Basic-only server then costs one refused request per process, not per
# token. Plain dict reads and writes are atomic; a race only costs one extra request.
_PREFERRED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Token:
    """A bearer token and when it expires (wall-clock epoch seconds)."""

    access_token: str = field(repr=False)
    expires_at: float
    lifetime: float

    @property
    def early_margin(self) -> float:
        """Renew this long before expiry: 60 s, or a fifth of a short lifetime."""
        return min(60.0, self.lifetime / 5)

    def is_fresh(self, now: float) -> bool:
        return now < self.expires_at - self.early_margin

    def seconds_left(self, now: float) -> float:
        """Seconds until the token should be renewed."""
        return self.expires_at - self.early_margin - now


def fetch_token(transport: Transport, config: ClientConfig, *, attempt: int = 1) -> Token:
    """A new token, sending the credentials the way that last worked for this key.

    Form fields come first until HTTP Basic is seen to work instead (reference §1:
    servers differ); when the first way is refused (400/401) the other is tried.
    """
    first = _PREFERRED.get(_memory_key(config), FORM)
    second = BASIC if first == FORM else FORM
    used, raw = first, _request(transport, config, first, attempt)
    if raw.status in (400, 401):
        used, raw = second, _request(transport, config, second, attempt)
    if raw.status != 200:
        raise _refusal(raw, config)
    token = parse_token(raw)
    _PREFERRED[_memory_key(config)] = used
    return token


def _refusal(raw: RawResponse, config: ClientConfig) -> PropellerError:
    if raw.status in (400, 401):
        return AuthenticationError(
            f"Propeller refused the credentials for client id {config.client_id!r}",
            status_code=raw.status,
            request_id=raw.request_id,
        )
    if raw.status == 404:
        return NotFoundError(
            f"The token endpoint answered HTTP 404; {OAUTH_URL_HINT}",
            status_code=404,
            request_id=raw.request_id,
        )
    return error_for(raw)


def _memory_key(config: ClientConfig) -> tuple[str, str]:
    return config.token_url, config.client_id


def _request(transport: Transport, config: ClientConfig, method: str, attempt: int) -> RawResponse:
    """One token request with the credentials as form fields or as HTTP Basic."""
    label = urlsplit(config.token_url).path or "/"
    data = {"grant_type": "client_credentials"}
    auth: tuple[str, str] | None = None
    if method == FORM:
        data.update(client_id=config.client_id, client_secret=config.client_secret)
    else:
        label, auth = f"{label} (basic auth)", (config.client_id, config.client_secret)
    try:
        return transport.exchange(
            "POST", config.token_url, label=label, attempt=attempt, data=data, auth=auth
        )
    except PropellerTimeout as exc:
        if not exc.maybe_sent:
            raise  # "could not connect within N s" already says what happened
        # Asking for a token changes nothing, so "outcome unknown" would only alarm.
        waited = exc.waited if exc.waited is not None else config.read_timeout
        raise PropellerTimeout(
            f"The token endpoint at {exc.host} did not answer within {waited:g} s",
            maybe_sent=True,
            host=exc.host,
            status_code=exc.status_code,
            waited=waited,
        ) from exc


def parse_token(raw: RawResponse, *, now: float | None = None) -> Token:
    """Read `access_token` and `expires_in` (a string or a number; 1800 if absent)."""
    try:
        body = parse_json(raw)
    except UnexpectedResponseError as exc:
        exc.body_excerpt = ""  # a token answer's body may hold the token: never keep it
        raise
    if not isinstance(body, dict):
        raise _bad_answer(raw, "a token answer that is not a JSON object")
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token.strip():
        raise _bad_answer(raw, "a token answer without an access_token")
    lifetime = _lifetime(body.get("expires_in"), raw)
    issued = time.time() if now is None else now
    return Token(access_token=access_token.strip(), expires_at=issued + lifetime, lifetime=lifetime)


def _lifetime(value: Any, raw: RawResponse) -> float:
    if value is None or value == "":
        return DEFAULT_LIFETIME
    try:
        lifetime = float(value)
    except (TypeError, ValueError):
        raise _bad_answer(raw, "a token answer whose expires_in is not a number") from None
    if not lifetime > 0 or isinstance(value, bool):
        raise _bad_answer(raw, "a token that has already expired")
    return lifetime


def _bad_answer(raw: RawResponse, what: str) -> UnexpectedResponseError:
    error = unexpected(raw, what)
    error.body_excerpt = ""
    return error
