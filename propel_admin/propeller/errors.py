"""Errors raised by the Propeller client; each says whether retrying can help.

`retryable` is True when sending the same request again may succeed (429, 5xx,
timeouts, broken connections); `permanent` is its opposite, as in healthchecks'
transport errors. Messages never contain a secret, a token or contact values;
server-provided texts live in attributes (`messages`, `body_excerpt`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# "#/contacts/3: ...", "#/contacts/3/id: ...", "#/contacts/3/parent/id: ..."
_CONTACT_PATH = re.compile(r"^#?/?contacts(?:/|\[)(\d+)\]?((?:/[^:\s]+)*)\s*:\s*(.*)$", re.S)


class PropellerError(Exception):
    """Base class: something went wrong talking to Propeller."""

    kind = "error"
    default_retryable = False
    retry_after: float | None = None  # seconds Propeller asked us to wait (429, 5xx)

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        attempts: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        self.attempts = attempts
        self.retryable = self.default_retryable if retryable is None else retryable

    @property
    def permanent(self) -> bool:
        """True when sending the same request again cannot help."""
        return not self.retryable

    def __str__(self) -> str:
        details = []
        if self.status_code is not None:
            details.append(f"HTTP {self.status_code}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        if self.attempts:
            details.append(f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}")
        return f"{self.message} ({', '.join(details)})" if details else self.message


class RequestRejectedError(PropellerError):
    """A 400: Propeller refused the whole request; the payload must change."""

    kind = "rejected"

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        messages: Iterable[str] = (),
        status_code: int | None = 400,
        request_id: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, request_id=request_id, attempts=attempts)
        self.code = code
        self.messages: list[str] = list(messages)
        self.contact_indexes, self.unattributed = parse_contact_messages(self.messages)


class SchemaValidationError(RequestRejectedError):
    """400/10007: the JSON does not match Propeller's schema (e.g. an unknown key)."""

    kind = "schema"


class LookupKeyMissingError(RequestRejectedError):
    """400/10016: a contact lacks its lookup key (`id`)."""

    kind = "lookup_key_missing"


class PayloadValidationError(RequestRejectedError):
    """400/10017 and other 400s: server-side validation refused the payload."""

    kind = "payload"


class AuthenticationError(PropellerError):
    """The credentials or the token were refused (401, token endpoint 400/401)."""

    kind = "authentication"


class ForbiddenError(PropellerError):
    """403: the API key lacks a scope for this call (`scopes` names what it needs)."""

    kind = "forbidden"

    def __init__(
        self,
        message: str,
        *,
        scopes: Iterable[str] = (),
        status_code: int | None = 403,
        request_id: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, request_id=request_id, attempts=attempts)
        self.scopes = tuple(scopes)


class NotFoundError(PropellerError):
    """404 where the call expects a resource to exist (often a wrong API URL)."""

    kind = "not_found"


class RateLimitedError(PropellerError):
    """429: too many requests; `retry_after` is the delay Propeller asked for."""

    kind = "rate_limited"
    default_retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status_code: int | None = 429,
        request_id: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, request_id=request_id, attempts=attempts)
        self.retry_after = retry_after


class ServerError(PropellerError):
    """5xx: Propeller failed; the same request may well succeed later.

    `retry_after` is set when the answer carried a Retry-After (typically a 503).
    """

    kind = "server"
    default_retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, request_id=request_id, attempts=attempts)
        self.retry_after = retry_after


class PropellerTimeout(PropellerError):
    """No (complete) answer in time.

    `maybe_sent` is True when the request may have reached Propeller, so the
    outcome is unknown. The bulk endpoint upserts by id, so re-sending the same
    payload is safe. `waited` is the limit (in seconds) that ran out.
    """

    kind = "timeout"
    default_retryable = True

    def __init__(
        self,
        message: str,
        *,
        maybe_sent: bool,
        host: str = "",
        status_code: int | None = None,
        attempts: int | None = None,
        waited: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, attempts=attempts)
        self.maybe_sent = maybe_sent
        self.host = host
        self.waited = waited


class PropellerConnectionError(PropellerError):
    """The connection could not be made or broke.

    `reason` is one of "refused", "dns", "tls", "dropped", "other". TLS failures
    (certificates, protocol) are permanent; the rest may pass.
    """

    kind = "connection"
    default_retryable = True

    def __init__(
        self,
        message: str,
        *,
        reason: str = "other",
        host: str = "",
        maybe_sent: bool = False,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message, attempts=attempts, retryable=reason != "tls")
        self.reason = reason
        self.host = host
        self.maybe_sent = maybe_sent


class UnexpectedResponseError(PropellerError):
    """Propeller answered something this client does not understand.

    HTML, invalid or truncated JSON, a body that is too large, or bulk results
    that do not match the submitted contacts. `body_excerpt` holds at most a few
    KB of the body for diagnosis (it may contain contact data: never log it).
    """

    kind = "unexpected_response"

    def __init__(
        self,
        message: str,
        *,
        body_excerpt: str = "",
        content_type: str = "",
        status_code: int | None = None,
        request_id: str | None = None,
        attempts: int | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            request_id=request_id,
            attempts=attempts,
            retryable=retryable,
        )
        self.body_excerpt = body_excerpt
        self.content_type = content_type


def parse_contact_messages(messages: Iterable[str]) -> tuple[dict[int, list[str]], list[str]]:
    """Split messages into those about one contact (by 0-based index) and the rest.

    `#/contacts/3/id: expected type: Number, found: String` becomes
    `{3: ["id: expected type: Number, found: String"]}`.
    """
    by_index: dict[int, list[str]] = {}
    unattributed: list[str] = []
    for message in messages:
        match = _CONTACT_PATH.match(str(message).strip())
        if match is None:
            unattributed.append(str(message))
            continue
        index, subpath, text = int(match.group(1)), match.group(2).strip("/"), match.group(3)
        by_index.setdefault(index, []).append(f"{subpath}: {text}" if subpath else text)
    return by_index, unattributed
