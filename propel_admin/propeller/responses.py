"""Reading Propeller's answers: JSON bodies, error envelopes, bulk results."""

from __future__ import annotations

import json
import math
import re
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

# The scopes each call needs (reference §1).
READ_SCOPES = ("contacts:read",)
BULK_SCOPES = ("contacts:write", "bulk:write")

CONTACT_NOT_FOUND_CODE = 50006
CONTACT_NOT_FOUND_TYPE = "ContactNotFound"
# "Contact with id [0] not found", "Contact not found"; not "Resource [/contacts/id/0] ...".
_CONTACT_NOT_FOUND_TEXT = re.compile(r"^\s*contact\b[^/]*\bnot found\b", re.IGNORECASE)
URL_HINT = "is the API URL right? It normally ends in /v2"


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


def _envelope_code(envelope: dict[str, Any]) -> int | None:
    try:
        return int(envelope["code"])
    except (KeyError, TypeError, ValueError):
        return None


def envelope_label(raw: RawResponse) -> str | None:
    """ "PayloadValidationError, code 10017" for Propeller's error envelope, else None."""
    envelope = _envelope(raw)
    code, kind = _envelope_code(envelope), envelope.get("type")
    if code is None and not kind and not _envelope_messages(envelope):
        return None
    parts = [str(kind) if kind else "", f"code {code}" if code is not None else ""]
    return ", ".join(part for part in parts if part) or "error envelope"


def _envelope_messages(envelope: dict[str, Any]) -> list[str]:
    return _text_list(envelope.get("messages")) or _text_list(envelope.get("message"))


def is_contact_not_found(raw: RawResponse) -> bool:
    """True for Propeller's own "this contact does not exist" answer (404, 50006)."""
    if raw.status != 404:
        return False
    envelope = _envelope(raw)
    if _envelope_code(envelope) == CONTACT_NOT_FOUND_CODE:
        return True
    if envelope.get("type") == CONTACT_NOT_FOUND_TYPE:
        return True
    return any(_CONTACT_NOT_FOUND_TEXT.match(text) for text in _envelope_messages(envelope))


def not_found(raw: RawResponse) -> NotFoundError:
    """A 404 that is not the contact-not-found answer: most likely a wrong API URL."""
    if "html" in raw.content_type.lower() or raw.body.lstrip()[:1] == b"<":
        what = "a page that is not Propeller's"
    else:
        label = envelope_label(raw)
        what = f"an error ({label})" if label else "a body without Propeller's error envelope"
    return NotFoundError(
        f"The API answered HTTP 404 with {what}, not Propeller's contact-not-found answer; "
        f"{URL_HINT}",
        status_code=404,
        request_id=raw.request_id,
    )


def forbidden(raw: RawResponse, scopes: Sequence[str] = ()) -> ForbiddenError:
    """A 403, naming the scopes the call needs when they are known."""
    needs = f"; it needs the scope(s) {' and '.join(scopes)}" if scopes else " (missing scope)"
    return ForbiddenError(
        f"The API key lacks permission for this call{needs}",
        scopes=scopes,
        request_id=raw.request_id,
    )


def error_for(raw: RawResponse, *, scopes: Sequence[str] = ()) -> PropellerError:
    """The typed error for a non-success answer; `scopes` are what the call needs."""
    status, request_id = raw.status, raw.request_id
    if status == 400 or status in (413, 422):
        return _rejection(raw)
    if status == 401:
        return AuthenticationError(
            "Propeller refused the access token", status_code=status, request_id=request_id
        )
    if status == 403:
        return forbidden(raw, scopes)
    if status == 404:
        return not_found(raw)
    if status == 408:
        return PropellerTimeout(
            "Propeller timed out waiting for the request", maybe_sent=True, status_code=status
        )
    retry_after = parse_retry_after(raw.headers.get("retry-after"), date=raw.headers.get("date"))
    if status == 429:
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
        return ServerError(
            message, retry_after=retry_after, status_code=status, request_id=request_id
        )
    if 300 <= status < 400:
        return unexpected(raw, "a redirect (is the API URL right?)")
    return unexpected(raw, "a status this client does not handle")


def _rejection(raw: RawResponse) -> RequestRejectedError:
    envelope = _envelope(raw)
    code = _envelope_code(envelope)
    messages = _envelope_messages(envelope)
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


def parse_retry_after(
    value: str | None, *, date: str | None = None, now: float | None = None
) -> float | None:
    """Retry-After in seconds: delta-seconds, or an HTTP date minus the answer's Date.

    An HTTP date is measured against the server's own `Date` header when there is
    one, so clock skew between us and Propeller does not matter; only without it
    is our clock (`now`) used. None when absent, unreadable, or not in the future
    (the caller then backs off as usual rather than retrying at once).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        moment = _http_date(text)
        if moment is None:
            return None
        reference = _http_date(date) if date else None
        if reference is None:
            reference = time.time() if now is None else now
        seconds = moment - reference
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def _http_date(text: str) -> float | None:
    try:
        return parsedate_to_datetime(text.strip()).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_bulk(
    raw: RawResponse, sent_keys: Sequence[tuple[str, Any]]
) -> tuple[list[ContactResult], tuple[str, ...], int | None]:
    """One ContactResult per sent key (in sending order), matched by normalised key."""
    body = parse_json(raw)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise unexpected(raw, "JSON without a `data` list")
    found = _match_items(raw, data, [key for key, _ in sent_keys])
    results = [_contact_result(found[key], submitted) for key, submitted in sent_keys]
    messages = tuple(_text_list(body.get("messages")))
    total = body.get("total")
    return results, messages, total if isinstance(total, int) else None


def _match_items(raw: RawResponse, data: list[Any], expected: list[str]) -> dict[str, Any]:
    """Result items by submitted key.

    An item without `key` (the docs' only failed-item example has none) is given to
    the one submitted key no keyed item answered, when there is exactly one of each.
    Anything else that does not match one-to-one is an UnexpectedResponseError:
    results are never matched by position.
    """
    found: dict[str, dict[str, Any]] = {}
    keyless: list[dict[str, Any]] = []
    duplicated = unknown = 0
    sent = set(expected)
    for item in data:
        if not isinstance(item, dict):
            raise unexpected(raw, "a result item that is not an object")
        if item.get("key") is None:
            keyless.append(item)
            continue
        key = normalize_key(item["key"])
        if key in found:
            duplicated += 1
        elif key not in sent:
            unknown += 1
        found[key] = item
    unmatched = [key for key in expected if key not in found]
    if len(keyless) == 1 and len(unmatched) == 1 and not (duplicated or unknown):
        found[unmatched[0]] = keyless[0]
    elif keyless or unmatched or duplicated or unknown:
        without = f"{len(keyless)} without a `key`, " if keyless else ""
        raise unexpected(
            raw,
            "results that do not match the contacts sent "
            f"({without}{len(unmatched)} missing, {unknown} unexpected, "
            f"{duplicated} duplicated)",
        )
    return found


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
