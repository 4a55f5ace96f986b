"""Fast, chunked writes of staged contact rows: multi-row INSERTs on SQLite, COPY on PostgreSQL.

The ORM's bulk_create is several times slower for this table (shared/perf-notes.md), and
staging is the hot path of reading a file. Each chunk is written in its own transaction
together with the run's counters, so a crash leaves counts that match the stored rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from itertools import chain
from typing import Any

import orjson
from django.db import connection, transaction

from propel_admin.imports.models import ContactRow

COLUMNS = (
    "run_id", "row_number", "cells", "payload", "contact_id", "email", "status", "errors"
)  # fmt: skip
STATUS_INDEX = COLUMNS.index("status")
SQLITE_ROWS_PER_INSERT = 500  # 4,000 parameters; SQLite allows 32,766 since 3.32
StagedRow = tuple[int, int, str, str | None, int | None, str, str, str]


def _dumps(value: object) -> str:
    """Compact JSON text; orjson is about 4x faster than the json module on this hot path."""
    return orjson.dumps(value).decode()


def _email(payload: dict[str, Any] | None) -> str:
    """The row's e-mail address in lower case, for finding a contact across runs."""
    email = payload.get("email") if payload else None
    return email.strip().lower()[:254] if isinstance(email, str) else ""


class RowWriter:
    """Collects rows and writes them `chunk_size` at a time; used as a context manager that
    writes the last chunk on a clean exit and drops it on an error.

    Writing chunks from a second thread was tried: slower here, since executemany binds
    each row's parameters holding the GIL, so the threads took turns instead of overlapping.
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

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.flush()
        else:
            self._rows = []

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
        with transaction.atomic():
            _insert(rows)
            if self.on_flush is not None:
                self.on_flush(rows)
        self.written += len(rows)


def rows_delete(*, run_id: int) -> int:
    """Delete a run's staged rows with one statement, in the caller's transaction; the count.

    Not QuerySet.delete(): `retry_of` is SET_NULL, so Django would first load every row
    (cells, payload and all) to collect them, gigabytes for a million-row run. Rows of
    re-runs that retry these rows are unlinked first, as SET_NULL would.
    """
    retries_unlink(run_id=run_id)
    with connection.cursor() as cursor:
        table = ContactRow._meta.db_table
        cursor.execute(f"DELETE FROM {table} WHERE run_id = %s", [run_id])  # noqa: S608
        return int(cursor.rowcount)


def retries_unlink(*, run_id: int) -> None:
    """Rows of re-runs that retry this run's rows lose that link (they keep their own
    rows), as `retry_of`'s SET_NULL would: before the run's rows are deleted."""
    ContactRow.objects.filter(retry_of__run_id=run_id).update(retry_of=None)


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
            with connection.wrap_database_errors:
                head = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 (names from _meta)
                _sqlite_insert(connection.connection, head, rows)


def _sqlite_insert(driver: sqlite3.Connection, head: str, rows: list[StagedRow]) -> None:
    """Multi-row INSERTs of up to SQLITE_ROWS_PER_INSERT rows: about 30% faster than
    executemany, which runs the one-row statement once per row. On the driver's connection
    (same transaction): Django's cursor would rewrite each long statement's placeholders
    and, in DEBUG, quote every value again to log it."""
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(SQLITE_ROWS_PER_INSERT, limit // len(COLUMNS)))
    one = "(" + ", ".join(["?"] * len(COLUMNS)) + ")"
    full = head + ", ".join([one] * per)
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        sql = full if len(chunk) == per else head + ", ".join([one] * len(chunk))
        driver.execute(sql, list(chain.from_iterable(chunk)))
