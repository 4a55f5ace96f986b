"""Typed results returned by the Propeller client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any


def normalize_key(value: object) -> str:
    """A lookup value as text, so that 25492, 25492.0 and "25492" compare equal."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal) and value == int(value):
        return str(int(value))
    text = str(value).strip()
    digits = text[1:] if text[:1] in "+-" else text
    if digits.isdigit() and digits.isascii():
        return str(int(text))
    return text


@dataclass(frozen=True)
class ContactResult:
    """What Propeller did with one submitted contact."""

    key: Any  # the lookup value as submitted (the contact's `id`)
    success: bool
    action: str | None = None  # "create", "update", or another word Propeller uses
    propeller_id: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class BulkResult:
    """The outcome of one bulk request: one ContactResult per submitted contact.

    `results` follows submission order; `by_key` maps normalised keys to results.
    `duration_seconds` covers every attempt, including waits between them.
    """

    results: tuple[ContactResult, ...]
    by_key: Mapping[str, ContactResult]
    status_code: int
    request_id: str | None
    attempts: int
    duration_seconds: float
    messages: tuple[str, ...] = ()
    total: int | None = None

    def get(self, key: object) -> ContactResult:
        """The result for a submitted key (25492 and "25492" are the same key)."""
        return self.by_key[normalize_key(key)]

    @property
    def succeeded(self) -> list[ContactResult]:
        return [result for result in self.results if result.success]

    @property
    def failed(self) -> list[ContactResult]:
        return [result for result in self.results if not result.success]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of `PropellerClient.check()`: healthy or a sentence saying why not."""

    ok: bool
    api_url: str
    authenticated: bool
    latency_ms: float | None
    message: str
    status_code: int | None = None
    request_id: str | None = None
    token_ms: float | None = field(default=None)
    problem: str | None = None  # the failing error's kind, e.g. "authentication", "connection"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
