"""The sandbox's contact store: sqlite (in memory or a file), one transaction per request."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIRST_PROPELLER_ID = 100001
_CHUNK = 500  # keys per `IN (...)` query, well under sqlite's parameter limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    pid INTEGER PRIMARY KEY,
    key INTEGER NOT NULL UNIQUE,
    data TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    update_count INTEGER NOT NULL DEFAULT 0
)
"""
_COLUMNS = "pid, key, data, created_at, updated_at, update_count"
_INSERT = (
    "INSERT INTO contacts (pid, key, data, created_at, updated_at, update_count)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


@dataclass
class StoredContact:
    """One contact: Propeller id, the id it was submitted with, its fields and history."""

    pid: int
    key: int
    fields: dict[str, Any]
    created_at: float
    updated_at: float
    update_count: int

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.fields,
            "id": self.pid,
            "key": self.key,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "updateCount": self.update_count,
        }


@dataclass(frozen=True)
class Outcome:
    """The result for one submitted contact: an action and Propeller id, or an error."""

    action: str | None = None
    pid: int | None = None
    error: str | None = None


@dataclass
class _Batch:
    """The rows one request touches, loaded once and written back in one transaction."""

    known: dict[int, StoredContact]
    create_check: Callable[[dict[str, Any]], str | None]
    now: float = field(default_factory=time.time)
    created: set[int] = field(default_factory=set)
    updated: set[int] = field(default_factory=set)


class ContactStore:
    """Contacts keyed by their submitted id; Propeller ids count up from 100001."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        target = str(path) if path is not None else ":memory:"
        # One connection shared by all handler threads, serialised by self._lock.
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()
        self._next_pid = self._first_free_pid()

    def upsert(
        self,
        items: list[tuple[int, dict[str, Any]]],
        create_check: Callable[[dict[str, Any]], str | None],
    ) -> list[Outcome]:
        """Create or merge-update each (key, fields) in order; all in one transaction."""
        with self._lock:
            batch = _Batch(self._rows({key for key, _ in items}), create_check)
            outcomes = [self._apply(batch, key, fields) for key, fields in items]
            updated = batch.updated - batch.created
            self._write(
                [batch.known[key] for key in batch.created],
                [batch.known[key] for key in updated],
            )
        return outcomes

    def _apply(self, batch: _Batch, key: int, fields: dict[str, Any]) -> Outcome:
        row = batch.known.get(key)
        if row is not None:
            row.fields.update(fields)
            row.updated_at = batch.now
            row.update_count += 1
            batch.updated.add(key)
            return Outcome("update", row.pid)
        problem = batch.create_check(fields)
        if problem is not None:
            return Outcome(error=problem)
        batch.known[key] = StoredContact(self._next_pid, key, dict(fields), batch.now, batch.now, 0)
        batch.created.add(key)
        self._next_pid += 1
        return Outcome("create", batch.known[key].pid)

    def _write(self, created: list[StoredContact], updated: list[StoredContact]) -> None:
        inserts = [_params(row) for row in created]
        updates = [(json.dumps(r.fields), r.updated_at, r.update_count, r.pid) for r in updated]
        if not inserts and not updates:
            return
        self._db.execute("BEGIN")
        try:
            self._db.executemany(_INSERT, inserts)
            self._db.executemany(
                "UPDATE contacts SET data = ?, updated_at = ?, update_count = ? WHERE pid = ?",
                updates,
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            self._next_pid = self._first_free_pid()
            raise

    def _rows(self, keys: Iterable[int]) -> dict[int, StoredContact]:
        wanted = list(keys)
        found: dict[int, StoredContact] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT {_COLUMNS} FROM contacts WHERE key IN ({marks})"  # noqa: S608
            for row in self._db.execute(query, chunk):
                found[row[1]] = _contact(row)
        return found

    def get(self, key: int) -> StoredContact | None:
        """The contact submitted with this id."""
        return self._one("key = ?", key)

    def find(self, value: int) -> StoredContact | None:
        """By submitted id, else by Propeller id."""
        return self.get(value) or self._one("pid = ?", value)

    def find_by_source_id(self, source_id: str) -> StoredContact | None:
        return self._one("json_extract(data, '$.sourceId') = ?", source_id)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM contacts").fetchone()[0])

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM contacts")
            self._next_pid = FIRST_PROPELLER_ID

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _one(self, where: str, value: object) -> StoredContact | None:
        query = f"SELECT {_COLUMNS} FROM contacts WHERE {where} ORDER BY pid LIMIT 1"  # noqa: S608
        with self._lock:
            row = self._db.execute(query, (value,)).fetchone()
        return _contact(row) if row else None

    def _first_free_pid(self) -> int:
        highest = self._db.execute("SELECT max(pid) FROM contacts").fetchone()[0]
        return max(FIRST_PROPELLER_ID, (highest or 0) + 1)


def _contact(row: tuple[Any, ...]) -> StoredContact:
    return StoredContact(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5])


def _params(contact: StoredContact) -> tuple[Any, ...]:
    fields = json.dumps(contact.fields)
    return (
        contact.pid,
        contact.key,
        fields,
        contact.created_at,
        contact.updated_at,
        contact.update_count,
    )
