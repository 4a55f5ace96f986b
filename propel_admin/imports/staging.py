"""Fast, chunked writes of staged contact rows: executemany on SQLite, COPY on PostgreSQL.

The ORM's bulk_create is several times slower for this table (shared/perf-notes.md), and
staging is the hot path of reading a file. Each chunk is written in its own transaction
together with the run's counters, so a crash leaves counts that match the stored rows.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any

import orjson
from django.db import connection, connections, transaction

from propel_admin.imports.models import ContactRow

COLUMNS = (
    "run_id", "row_number", "cells", "payload", "contact_id", "email", "status", "errors"
)  # fmt: skip
STATUS_INDEX = COLUMNS.index("status")
StagedRow = tuple[int, int, str, str | None, int | None, str, str, str]


def _dumps(value: object) -> str:
    """Compact JSON text; orjson is about 4x faster than the json module on this hot path."""
    return orjson.dumps(value).decode()


def _email(payload: dict[str, Any] | None) -> str:
    """The row's e-mail address in lower case, for finding a contact across runs."""
    email = payload.get("email") if payload else None
    return email.strip().lower()[:254] if isinstance(email, str) else ""


class RowWriter:
    """Collects rows and writes them `chunk_size` at a time.

    Used as a context manager. Outside a transaction, chunks are written by a thread on
    its own connection while the caller maps the next rows: the database call releases
    the GIL, so reading and writing overlap (on SQLite about a quarter of the time went
    to executemany and commit). Inside a transaction (a caller's atomic block, a test)
    another connection could not see the run, so chunks are written in line.
    """

    def __init__(
        self,
        run_id: int,
        *,
        chunk_size: int = 10_000,
        on_flush: Callable[[list[StagedRow]], None] | None = None,
    ) -> None:
        self.run_id = run_id
        self.chunk_size = chunk_size
        self.on_flush = on_flush  # runs inside the chunk's transaction (counters)
        self._rows: list[StagedRow] = []
        self.written = 0
        self._thread: _ChunkThread | None = None

    def __enter__(self) -> RowWriter:
        if not connection.in_atomic_block:
            self._thread = _ChunkThread(self._write)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.flush()
        if self._thread is not None:
            thread, self._thread = self._thread, None
            thread.finish(discard=kind is not None)

    def add(
        self,
        *,
        row_number: int,
        cells: list[Any],
        payload: dict[str, Any] | None,
        contact_id: int | None,
        status: str,
        errors: list[dict[str, Any]],
    ) -> None:
        self._rows.append(
            (
                self.run_id,
                row_number,
                _dumps(cells),
                _dumps(payload) if payload is not None else None,
                contact_id,
                _email(payload),
                status,
                _dumps(errors) if errors else "[]",
            )
        )
        if len(self._rows) >= self.chunk_size:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        if self._thread is not None:
            self._thread.put(rows)
        else:
            self._write(rows)

    def _write(self, rows: list[StagedRow]) -> None:
        with transaction.atomic():
            _insert(rows)
            if self.on_flush is not None:
                self.on_flush(rows)
        self.written += len(rows)


class _ChunkThread(threading.Thread):
    """Writes chunks in order; at most two wait, so memory stays flat. An error stops the
    writing and is raised in the caller's thread at its next put() or at finish()."""

    def __init__(self, write: Callable[[list[StagedRow]], None]) -> None:
        super().__init__(name="row-writer", daemon=True)
        self._write = write
        self._chunks: queue.Queue[list[StagedRow] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            while (rows := self._chunks.get()) is not None:
                if self._error is None:
                    try:
                        self._write(rows)
                    except BaseException as exc:  # handed to the caller
                        self._error = exc
        finally:
            connections.close_all()  # this thread's connection

    def put(self, rows: list[StagedRow]) -> None:
        self._raise()
        self._chunks.put(rows)

    def finish(self, *, discard: bool) -> None:
        """Wait for the queued chunks (dropped when `discard`), then raise any error."""
        if discard:
            with contextlib.suppress(queue.Empty):
                while True:
                    self._chunks.get_nowait()
        self._chunks.put(None)
        self.join()
        if not discard:
            self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def _insert(rows: list[StagedRow]) -> None:
    table = ContactRow._meta.db_table
    columns = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor, for COPY
            # wrap_database_errors: psycopg's errors raised as Django's (IntegrityError...)
            with (
                connection.wrap_database_errors,
                raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
