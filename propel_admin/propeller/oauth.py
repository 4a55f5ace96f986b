"""OAuth2 client-credentials token fetching."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .config import ClientConfig
from .errors import AuthenticationError, UnexpectedResponseError
from .responses import error_for, parse_json, unexpected
from .transport import RawResponse, Transport

DEFAULT_LIFETIME = 1800.0


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
    """A new token: form credentials first, then HTTP Basic if the form is refused."""
    form = {
        "grant_type": "client_credentials",
        "client_id": config.client_id,
        "client_secret": config.client_secret,
    }
    label = urlsplit(config.token_url).path or "/"
    raw = transport.exchange("POST", config.token_url, label=label, attempt=attempt, data=form)
    if raw.status in (400, 401):
        raw = transport.exchange(
            "POST",
            config.token_url,
            label=f"{label} (basic auth)",
            attempt=attempt,
            data={"grant_type": "client_credentials"},
            auth=(config.client_id, config.client_secret),
        )
    if raw.status in (400, 401):
        raise AuthenticationError(
            f"Propeller refused the credentials for client id {config.client_id!r}",
            status_code=raw.status,
            request_id=raw.request_id,
        )
    if raw.status != 200:
        raise error_for(raw)
    return parse_token(raw)


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
