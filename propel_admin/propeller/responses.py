"""Reading Propeller's answers: JSON bodies, error envelopes, bulk results."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from typing import Any

from .errors import (
    AuthenticationError,
    ForbiddenError,
    LookupKeyMissingError,
    NotFoundError,
    PayloadValidationError,
    PropellerError,
    PropellerTimeout,
    RateLimitedError,
    RequestRejectedError,
    SchemaValidationError,
    ServerError,
    UnexpectedResponseError,
)
from .transport import RawResponse
from .types import ContactResult, normalize_key

_REJECTIONS: dict[int, type[RequestRejectedError]] = {
    10007: SchemaValidationError,
    10016: LookupKeyMissingError,
    10017: PayloadValidationError,
}


def unexpected(raw: RawResponse, what: str, *, retryable: bool = False) -> UnexpectedResponseError:
    """An UnexpectedResponseError for `raw`, with a capped body excerpt."""
    return UnexpectedResponseError(
        f"Propeller answered HTTP {raw.status} with {what}",
        body_excerpt=raw.excerpt(),
        content_type=raw.content_type,
        status_code=raw.status,
        request_id=raw.request_id,
        retryable=retryable,
    )


def parse_json(raw: RawResponse) -> Any:
    """The decoded JSON body, or UnexpectedResponseError for HTML and broken JSON."""
    if "html" in raw.content_type.lower() or raw.body.lstrip()[:1] == b"<":
        raise unexpected(raw, "an HTML page instead of JSON")
    try:
        return json.loads(raw.body)
    except UnicodeDecodeError as exc:
        raise unexpected(raw, "a body that is not UTF-8 JSON") from exc
    except json.JSONDecodeError as exc:
        if not raw.body.strip():
            raise unexpected(raw, "an empty body") from exc
        if _looks_truncated(exc.doc):
            # The JSON ends too early: cut off in transit, so sending again can help.
            raise unexpected(raw, "truncated JSON", retryable=True) from exc
        raise unexpected(raw, "invalid JSON") from exc


def _looks_truncated(text: str) -> bool:
    """True when a JSON document stops inside a string, an object or an array."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return in_string or depth > 0


def _envelope(raw: RawResponse) -> dict[str, Any]:
    """The `error` object of an error answer, or {} when there is none."""
    try:
        body = json.loads(raw.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _text_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


_PLAIN: dict[int, tuple[type[PropellerError], str]] = {
    401: (AuthenticationError, "Propeller refused the access token"),
    403: (ForbiddenError, "The API key lacks permission for this call (missing scope)"),
    404: (NotFoundError, "Propeller answered 'not found'"),
}


def error_for(raw: RawResponse) -> PropellerError:
    """The typed error for a non-success answer."""
    status, request_id = raw.status, raw.request_id
    if status == 400 or status in (413, 422):
        return _rejection(raw)
    if status in _PLAIN:
        kind, message = _PLAIN[status]
        return kind(message, status_code=status, request_id=request_id)
    if status == 408:
        return PropellerTimeout(
            "Propeller timed out waiting for the request", maybe_sent=True, status_code=status
        )
    if status == 429:
        retry_after = parse_retry_after(raw.headers.get("retry-after"))
        return RateLimitedError(
            "Propeller is rate limiting this client", retry_after=retry_after, request_id=request_id
        )
    if status >= 500:
        html = "html" in raw.content_type.lower()
        message = (
            "Propeller (or a proxy in front of it) answered with an HTML error page"
            if html
            else "Propeller had a server error"
        )
        return ServerError(message, status_code=status, request_id=request_id)
    if 300 <= status < 400:
        return unexpected(raw, "a redirect (is the API URL right?)")
    return unexpected(raw, "a status this client does not handle")


def _rejection(raw: RawResponse) -> RequestRejectedError:
    envelope = _envelope(raw)
    code = envelope.get("code")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    messages = _text_list(envelope.get("messages")) or _text_list(envelope.get("message"))
    kind = _REJECTIONS.get(code, PayloadValidationError) if code is not None else None
    kind = kind or PayloadValidationError
    label = envelope.get("type") or "rejected"
    return kind(
        f"Propeller rejected the request ({label}"
        f"{f', code {code}' if code else ''}, {len(messages)} message(s))",
        code=code,
        messages=messages,
        status_code=raw.status,
        request_id=raw.request_id,
    )


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def parse_bulk(
    raw: RawResponse, sent_keys: Sequence[tuple[str, Any]]
) -> tuple[list[ContactResult], tuple[str, ...], int | None]:
    """One ContactResult per sent key (in sending order), matched by normalised key."""
    body = parse_json(raw)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise unexpected(raw, "JSON without a `data` list")
    found: dict[str, dict[str, Any]] = {}
    duplicated = unknown = 0
    expected = {key for key, _ in sent_keys}
    for item in data:
        if not isinstance(item, dict) or item.get("key") is None:
            raise unexpected(raw, "a result item without a `key`")
        key = normalize_key(item["key"])
        if key in found:
            duplicated += 1
        elif key not in expected:
            unknown += 1
        found[key] = item
    missing = len(expected - found.keys())
    if missing or duplicated or unknown:
        raise unexpected(
            raw,
            "results that do not match the contacts sent "
            f"({missing} missing, {unknown} unexpected, {duplicated} duplicated)",
        )
    results = [_contact_result(found[key], submitted) for key, submitted in sent_keys]
    messages = tuple(_text_list(body.get("messages")))
    total = body.get("total")
    return results, messages, total if isinstance(total, int) else None


def _contact_result(item: dict[str, Any], submitted: Any) -> ContactResult:
    success = item.get("success") is True
    action = item.get("action")
    return ContactResult(
        key=submitted,
        success=success,
        action=str(action) if action is not None else None,
        propeller_id=_as_int(item.get("id")),
        error=None if success else _item_error(item),
    )


def _item_error(item: dict[str, Any]) -> str:
    for field in ("error", "message", "messages"):
        value = item.get(field)
        if isinstance(value, dict):
            value = value.get("message") or value.get("messages")
        texts = _text_list(value)
        if texts:
            return "; ".join(texts)
    return "Propeller reported a failure without a reason"


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
