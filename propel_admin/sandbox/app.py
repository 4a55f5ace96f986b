"""The sandbox's behaviour without HTTP: tokens, bulk upserts, lookups, companies, stats."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from propel_admin.sandbox.auth import BULK_SCOPES, READ_SCOPES, TokenRegistry
from propel_admin.sandbox.errors import CONTACT_NOT_FOUND, INVALID_LOOKUP_KEY, SandboxError
from propel_admin.sandbox.faults import FaultConfig, FaultInjector
from propel_admin.sandbox.store import ContactStore, Outcome, StoredContact
from propel_admin.sandbox.validation import (
    MAX_ID,
    item_errors,
    parse_body,
    parse_date,
    validate_bulk,
    whole,
)

MSG_PARENT_NOT_FOUND = "Parent resource [Company] with {key} [{value}] not found"
MSG_PARENT_REQUIRED = "Field [parent] is required to create a contact"
MSG_CONTACT_NOT_FOUND = "Contact with {key} [{value}] not found"
MSG_INVALID_LOOKUP_KEY = (
    "Invalid lookup key [{key}], key must contain one of the following values: [id,sourceId,]"
)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class Companies:
    """The parent companies that exist: the configured ids plus any added at runtime."""

    def __init__(self, ids: Iterable[int]) -> None:
        # A range stays a range: membership is O(1) without a 100,000-element set.
        self._base: range | frozenset[int] = ids if isinstance(ids, range) else frozenset(ids)
        self._added: set[int] = set()
        self._sources: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def has_id(self, company_id: int) -> bool:
        return company_id in self._base or company_id in self._added

    def has_source(self, source: str, source_id: str) -> bool:
        return (source, source_id) in self._sources

    def add(self, ids: Iterable[int] = (), sources: Iterable[tuple[str, str]] = ()) -> None:
        with self._lock:
            self._added.update(ids)
            self._sources.update(sources)

    def reset(self) -> None:
        with self._lock:
            self._added.clear()
            self._sources.clear()


class Stats:
    """Counters for tests and the control endpoint; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._contacts: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._tokens = 0
        self._connections = 0
        self._in_flight = 0  # bodies received, answers not yet sent

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._contacts.clear()
            self._faults.clear()
            self._tokens = 0
            self._connections = 0

    def request(self, route: str, status: str) -> None:
        with self._lock:
            self._requests[route][status] += 1

    def contacts(self, outcomes: Counter[str]) -> None:
        with self._lock:
            self._contacts.update(outcomes)

    def in_flight(self, change: int) -> None:
        with self._lock:
            self._in_flight += change

    def fault(self, name: str) -> None:
        with self._lock:
            self._faults[name] += 1

    def connection_opened(self) -> None:
        with self._lock:
            self._connections += 1

    def token_issued(self) -> None:
        with self._lock:
            self._tokens += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {route: dict(counts) for route, counts in self._requests.items()},
                "requests_total": sum(sum(c.values()) for c in self._requests.values()),
                "contacts_created": self._contacts["create"],
                "contacts_updated": self._contacts["update"],
                "contacts_failed": self._contacts["failed"],
                "tokens_issued": self._tokens,
                "connections_opened": self._connections,
                "in_flight": self._in_flight,
                "faults": dict(self._faults),
            }


class SandboxApp:
    """Everything the endpoints do, callable without a socket."""

    def __init__(
        self,
        *,
        store_path: str | Path | None = None,
        faults: FaultConfig | None = None,
        seed: int = 0,
        token_ttl: float = 1800,
        max_bulk: int = 2000,
        admin_key: str | None = None,
        company_ids: Iterable[int] = range(1, 100000),
        require_parent_on_create: bool = True,
    ) -> None:
        self.store = ContactStore(store_path)
        self.tokens = TokenRegistry()
        self.faults = FaultInjector(faults, seed)
        self.stats = Stats()
        self.companies = Companies(company_ids)
        self.token_ttl = token_ttl
        self.max_bulk = max_bulk
        self.admin_key = admin_key or secrets.token_urlsafe(24)
        self.require_parent_on_create = require_parent_on_create

    def issue_token(self, form: dict[str, str], authorization: str | None) -> dict[str, Any]:
        override = self.faults.config.token_ttl
        body = self.tokens.issue(form, authorization, override or self.token_ttl)
        self.stats.token_issued()
        return body

    def bulk_by_id(self, raw: bytes, authorization: str | None) -> dict[str, Any]:
        """`POST /v2/contacts/bulk/id`: validate, then upsert each contact."""
        self.tokens.holder(authorization, BULK_SCOPES)
        contacts = validate_bulk(parse_body(raw), max_bulk=self.max_bulk)
        data: list[dict[str, Any] | None] = [None] * len(contacts)
        accepted: list[tuple[int, dict[str, Any]]] = []
        positions: list[int] = []
        for index, contact in enumerate(contacts):
            key = whole(contact["id"])
            problems = item_errors(contact) + self._parent_problems(contact)
            if problems:
                data[index] = _failed(key, "; ".join(problems))
            else:
                accepted.append((key, _fields(contact)))
                positions.append(index)
        outcomes = self.store.upsert(accepted, self._create_check)
        for index, (key, _), outcome in zip(positions, accepted, outcomes, strict=True):
            data[index] = _item(key, outcome)
        counts = Counter(item["action"] if item["success"] else "failed" for item in data if item)
        self.stats.contacts(counts)
        return {"data": data, "messages": ["Completed"], "total": len(data)}

    def contact(self, lookup_key: str, value: str, authorization: str | None) -> dict[str, Any]:
        """`GET /v2/contacts/{lookupKey}/{value}`."""
        self.tokens.holder(authorization, READ_SCOPES)
        found: StoredContact | None = None
        if lookup_key == "id":
            found = self.store.find(number) if (number := _as_id(value)) is not None else None
        elif lookup_key == "sourceId":
            found = self.store.find_by_source_id(value)
        else:
            raise SandboxError(INVALID_LOOKUP_KEY, MSG_INVALID_LOOKUP_KEY.format(key=lookup_key))
        if found is None:
            message = MSG_CONTACT_NOT_FOUND.format(key=lookup_key, value=value)
            raise SandboxError(CONTACT_NOT_FOUND, message)
        return {"data": render_contact(found)}

    def reset(self) -> None:
        """Empty store, no faults, no tokens, RNG re-seeded, stats zeroed, added companies gone."""
        self.store.clear()
        self.faults.reset()
        self.tokens.expire_all()
        self.stats.reset()
        self.companies.reset()

    def close(self) -> None:
        self.store.close()

    def _parent_problems(self, contact: dict[str, Any]) -> list[str]:
        parent = contact.get("parent")
        if parent is None:
            return []
        if "id" in parent:
            company_id = whole(parent["id"])
            if not self.companies.has_id(company_id):
                return [MSG_PARENT_NOT_FOUND.format(key="id", value=company_id)]
        elif not self.companies.has_source(parent["source"], parent["sourceId"]):
            return [MSG_PARENT_NOT_FOUND.format(key="sourceId", value=parent["sourceId"])]
        return []

    def _create_check(self, fields: dict[str, Any]) -> str | None:
        # Reference §8 q5: parent is required on create, not on update.
        if self.require_parent_on_create and "parent" not in fields:
            return MSG_PARENT_REQUIRED
        return None


def _as_id(text: str) -> int | None:
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def _fields(contact: dict[str, Any]) -> dict[str, Any]:
    """What is stored: everything but the lookup id, with whole-number ids as ints."""
    fields = {name: value for name, value in contact.items() if name != "id"}
    parent = fields.get("parent")
    if parent is not None and "id" in parent:
        fields["parent"] = {**parent, "id": whole(parent["id"])}
    return fields


def _item(key: int, outcome: Outcome) -> dict[str, Any]:
    if outcome.error is not None:
        return _failed(key, outcome.error)
    return {
        "action": outcome.action,
        "id": outcome.pid,
        "key": key,
        "lookupKey": "id",
        "success": True,
    }


def _failed(key: int, error: str) -> dict[str, Any]:
    return {"error": error, "key": key, "lookupKey": "id", "success": False}


def render_contact(contact: StoredContact) -> dict[str, Any]:
    """A stored contact as GET shows it: Propeller id, dates in the GET rendering."""
    data = dict(contact.fields)
    data["id"] = contact.pid
    birth = parse_date(data.get("dateOfBirth", ""))
    if birth is not None:
        data["dateOfBirth"] = _render(
            dt.datetime(birth.year, birth.month, birth.day, tzinfo=dt.UTC)
        )
    data["dateCreated"] = _render(dt.datetime.fromtimestamp(contact.created_at, dt.UTC))
    data["dateModified"] = _render(dt.datetime.fromtimestamp(contact.updated_at, dt.UTC))
    return data


def _render(moment: dt.datetime) -> str:
    """Like `August, 28 1993 00:00:00 +0000` (fixed English month names, not the locale's)."""
    month = _MONTHS[moment.month - 1]
    return f"{month}, {moment.day:02d} {moment.year} {moment:%H:%M:%S} +0000"
