"""PropellerClient: the only code that talks HTTP to Propeller.

Retries live here and nowhere else: 429, 5xx, timeouts and broken connections
are retried up to `max_attempts` with capped exponential backoff and full jitter.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests

from .config import ClientConfig
from .errors import AuthenticationError, PropellerError
from .health import run_check
from .oauth import Token, fetch_token
from .responses import (
    BULK_SCOPES,
    READ_SCOPES,
    error_for,
    is_contact_not_found,
    not_found,
    parse_bulk,
    parse_json,
    unexpected,
)
from .tokens import MemoryTokenStore, TokenStore
from .transport import RawResponse, Transport, build_session
from .types import BulkResult, CheckResult, normalize_key

logger = logging.getLogger("propel_admin.propeller")

T = TypeVar("T")
BULK_PATH = "/contacts/bulk/id"


class PropellerClient:
    """Talks to one Propeller API with one keep-alive session (not thread-safe)."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        token_store: TokenStore | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.token_store: TokenStore = token_store or MemoryTokenStore()
        self._session = session or build_session(config)
        self._transport = Transport(self._session, config)
        self._base_path = urlsplit(config.api_url).path.rstrip("/")
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> PropellerClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- public calls -----------------------------------------------------------------
    def bulk_upsert_contacts(self, contacts: Sequence[Mapping[str, Any]]) -> BulkResult:
        """Create or update contacts by `id`; one ContactResult per contact."""
        sent_keys = _submitted_keys(contacts)
        body = json.dumps({"contacts": [dict(c) for c in contacts]}, separators=(",", ":")).encode()
        started = time.monotonic()

        def attempt(number: int) -> tuple[RawResponse, Any]:
            raw = self._authorized("POST", BULK_PATH, BULK_PATH, number, BULK_SCOPES, body)
            return raw, parse_bulk(raw, sent_keys)

        (raw, (results, messages, total)), attempts = self._with_retries("bulk", attempt)
        return BulkResult(
            results=tuple(results),
            by_key={key: result for (key, _), result in zip(sent_keys, results, strict=True)},
            status_code=raw.status,
            request_id=raw.request_id,
            attempts=attempts,
            duration_seconds=time.monotonic() - started,
            messages=messages,
            total=total,
        )

    def get_contact(self, contact_id: int | str) -> dict[str, Any] | None:
        """The contact with this Propeller id, or None when Propeller says it has none.

        Any other 404 (a wrong API URL answers 404 too) raises NotFoundError.
        """
        path = f"/contacts/id/{quote(str(contact_id), safe='')}"

        def attempt(number: int) -> dict[str, Any] | None:
            raw = self._authorized("GET", path, "/contacts/id/:id", number, READ_SCOPES, ok=(404,))
            if raw.status == 404:
                if is_contact_not_found(raw):
                    return None
                raise not_found(raw)
            body = parse_json(raw)
            data = body.get("data", body) if isinstance(body, dict) else None
            if not isinstance(data, dict):
                raise unexpected(raw, "JSON that is not a contact object")
            return data

        contact, _ = self._with_retries("get_contact", attempt)
        return contact

    def check(self, *, deadline: float | None = None) -> CheckResult:
        """Fetch a token and make one harmless call; never raises.

        Each exchange gets at most `deadline` seconds (default: the shorter of the
        config's deadline and health.CHECK_DEADLINE).
        """
        try:
            return run_check(self._transport, self.config, deadline=deadline)
        except Exception as exc:  # a health check reports, it does not crash
            logger.warning("propeller check failed unexpectedly (%s)", type(exc).__name__)
            return CheckResult(
                ok=False,
                api_url=self.config.api_url,
                authenticated=False,
                latency_ms=None,
                message=f"The check itself failed ({type(exc).__name__}); see the logs.",
            )

    # --- plumbing ---------------------------------------------------------------------
    def _authorized(
        self,
        method: str,
        path: str,
        label: str,
        attempt: int,
        scopes: tuple[str, ...],
        body: bytes | None = None,
        ok: tuple[int, ...] = (),
    ) -> RawResponse:
        """Send with a bearer token; on 401 drop that token, fetch anew and retry once.

        `scopes` are what the call needs, named in the error for a 403.
        """
        token = self._token(attempt)
        raw = self._send(method, path, label, attempt, token, body)
        if raw.status == 401:
            logger.info("propeller token refused (request_id=%s); fetching anew", raw.request_id)
            self.token_store.invalidate(token.access_token)
            token = self._token(attempt)
            raw = self._send(method, path, label, attempt, token, body)
            if raw.status == 401:
                raise AuthenticationError(
                    "Propeller refused a freshly issued access token",
                    status_code=401,
                    request_id=raw.request_id,
                )
        if not 200 <= raw.status < 300 and raw.status not in ok:
            raise error_for(raw, scopes=scopes)
        return raw

    def _send(
        self, method: str, path: str, label: str, attempt: int, token: Token, body: bytes | None
    ) -> RawResponse:
        headers = {"Authorization": f"Bearer {token.access_token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return self._transport.exchange(
            method,
            self.config.api_url + path,
            label=self._base_path + label,
            attempt=attempt,
            headers=headers,
            data=body,
        )

    def _token(self, attempt: int) -> Token:
        return self.token_store.get_or_fetch(
            lambda: fetch_token(self._transport, self.config, attempt=attempt)
        )

    def _with_retries(self, operation: str, call: Callable[[int], T]) -> tuple[T, int]:
        """Run `call(attempt)` until it succeeds, fails permanently, or attempts run out."""
        max_attempts = self.config.max_attempts
        for attempt in range(1, max_attempts + 1):
            try:
                return call(attempt), attempt
            except PropellerError as error:
                error.attempts = attempt
                if error.permanent or attempt == max_attempts:
                    raise
                delay = self._delay(error, attempt)
                logger.warning(
                    "propeller %s failed (%s), attempt %d/%d; retrying in %.2f s",
                    operation,
                    error.kind,
                    attempt,
                    max_attempts,
                    delay,
                )
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, error: PropellerError, attempt: int) -> float:
        """Retry-After when Propeller sent one (429 or 5xx, within the cap), else backoff."""
        if error.retry_after is not None:
            if error.retry_after > self.config.retry_after_cap:
                raise error  # too long to hold a worker: the caller reschedules
            return error.retry_after
        ceiling = min(self.config.backoff_cap, self.config.backoff_base * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)


def _submitted_keys(contacts: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    """(normalised key, submitted id) per contact; ValueError on duplicates."""
    if not contacts:
        raise ValueError("bulk_upsert_contacts needs at least one contact")
    keys: list[tuple[str, Any]] = []
    seen: dict[str, int] = {}
    for index, contact in enumerate(contacts):
        if not isinstance(contact, Mapping):
            raise TypeError(f"contact {index} is not a mapping")
        submitted = contact.get("id")
        if submitted is None:
            # Propeller refuses the request (10016); this key can never match a result.
            keys.append((f"#missing-id-{index}", None))
            continue
        key = normalize_key(submitted)
        if key in seen:
            raise ValueError(f"contacts {seen[key]} and {index} have the same id")
        seen[key] = index
        keys.append((key, submitted))
    return keys
