"""RowWriter: chunks written on a second connection while rows are mapped, or in line."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from propel_admin.imports.models import ContactRow, ImportRun, Upload
from propel_admin.imports.staging import RowWriter

pytestmark = pytest.mark.services  # SQLite here, PostgreSQL (COPY) in .ci/run


@pytest.fixture
def run(operator) -> ImportRun:  # type: ignore[no-untyped-def]
    upload = Upload.objects.create(
        file="x.csv", original_name="x.csv", size=1, sha256="0" * 64, uploaded_by=operator
    )
    return ImportRun.objects.create(upload=upload, mapping={}, read_options={}, created_by=operator)


def _add(writer: RowWriter, count: int, start: int = 1) -> None:
    for number in range(start, start + count):
        writer.add(row_number=number, cells=[str(number)], payload={"id": number,
                   "email": f" Row{number}@Example.com "}, contact_id=number,
                   status="pending", errors=[])  # fmt: skip


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "row-writer"]


@pytest.mark.django_db(transaction=True)
def test_chunks_are_written_by_a_second_thread_in_order(run: ImportRun) -> None:
    flushed: list[tuple[str, int]] = []
    writer = RowWriter(
        run.pk, chunk_size=7,
        on_flush=lambda rows: flushed.append((threading.current_thread().name, len(rows))),
    )  # fmt: skip
    with writer:
        assert len(_writer_threads()) == 1
        _add(writer, 30)
    assert not _writer_threads()
    assert writer.written == 30
    assert flushed == [("row-writer", 7)] * 4 + [("row-writer", 2)]
    rows = list(ContactRow.objects.filter(run=run).order_by("row_number"))
    assert [r.row_number for r in rows] == list(range(1, 31))
    assert rows[0].email == "row1@example.com"  # trimmed, lower case, for lookups


@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_writer_thread_reaches_the_caller(run: ImportRun) -> None:
    writer = RowWriter(run.pk + 1000, chunk_size=5)  # no such run: the foreign key fails
    with pytest.raises(IntegrityError), writer:
        _add(writer, 12)
    assert not _writer_threads()
    assert ContactRow.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_failure_while_reading_stops_the_thread_and_drops_waiting_chunks(
    run: ImportRun,
) -> None:
    def read_then_fail() -> None:
        with RowWriter(run.pk, chunk_size=5) as writer:
            _add(writer, 11)
            raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        read_then_fail()
    assert not _writer_threads()
    assert ContactRow.objects.filter(run=run).count() <= 10  # never the unflushed 11th row


@pytest.mark.django_db
def test_inside_a_transaction_chunks_are_written_in_line(run: ImportRun) -> None:
    assert connection.in_atomic_block  # the test's transaction
    with RowWriter(run.pk, chunk_size=4) as writer:
        assert not _writer_threads()
        _add(writer, 9)
    with transaction.atomic():
        assert ContactRow.objects.filter(run=run).count() == 9
