"""RowWriter: rows staged in chunks, the last one written on a clean exit only; rows_delete."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from propel_admin.imports.models import ContactRow, ImportRun, Upload
from propel_admin.imports.staging import RowWriter, rows_delete

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]  # COPY in CI


@pytest.fixture
def run(operator) -> ImportRun:  # type: ignore[no-untyped-def]
    upload = Upload.objects.create(
        file="x.csv", original_name="x.csv", size=1, sha256="0" * 64, uploaded_by=operator
    )
    return ImportRun.objects.create(upload=upload, mapping={}, read_options={}, created_by=operator)


def _add(writer: RowWriter, count: int) -> None:
    for number in range(1, count + 1):
        writer.add(row_number=number, cells=[str(number)], payload={"id": number,
                   "email": f" Row{number}@Example.com "}, contact_id=number,
                   status="pending", errors=[])  # fmt: skip


def test_rows_are_written_in_chunks_with_their_counters(run: ImportRun) -> None:
    flushed: list[int] = []
    with RowWriter(run.pk, chunk_size=7, on_flush=lambda rows: flushed.append(len(rows))) as w:
        _add(w, 30)
        assert ContactRow.objects.filter(run=run).count() == 28  # four chunks so far
    assert (w.written, flushed) == (30, [7, 7, 7, 7, 2])
    rows = list(ContactRow.objects.filter(run=run).order_by("row_number"))
    assert [r.row_number for r in rows] == list(range(1, 31))
    assert rows[0].email == "row1@example.com"  # trimmed, lower case, for lookups


def test_a_database_error_reaches_the_caller_and_keeps_nothing_of_its_chunk(
    run: ImportRun,
) -> None:
    writer = RowWriter(run.pk + 1000, chunk_size=5)  # no such run: the foreign key fails
    with pytest.raises(IntegrityError):
        _add(writer, 5)
    assert ContactRow.objects.count() == 0


def test_a_failure_while_reading_drops_the_unwritten_rows(run: ImportRun) -> None:
    def read_then_fail() -> None:
        with RowWriter(run.pk, chunk_size=5) as writer:
            _add(writer, 11)
            raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        read_then_fail()
    assert ContactRow.objects.filter(run=run).count() == 10  # never the unflushed 11th row


def test_rows_delete_never_loads_the_rows_and_unlinks_their_retries(run: ImportRun) -> None:
    with RowWriter(run.pk) as writer:
        _add(writer, 5)
    child = ImportRun.objects.create(upload=run.upload, mapping={}, read_options={},
                                     created_by=run.created_by, parent=run)  # fmt: skip
    with RowWriter(child.pk) as writer:
        _add(writer, 2)
    for number in (1, 2):  # the child's rows retry the run's rows 1 and 2
        ContactRow.objects.filter(run=child, row_number=number).update(
            retry_of=ContactRow.objects.get(run=run, row_number=number)
        )
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert rows_delete(run_id=run.pk) == 5
    # QuerySet.delete() would first SELECT every row with its cells (retry_of is SET_NULL):
    # gigabytes of memory for a million-row run.
    assert not [q["sql"] for q in queries if "cells" in q["sql"]]
    assert not ContactRow.objects.filter(run=run).exists()
    assert list(ContactRow.objects.filter(run=child).values_list("retry_of", flat=True)) == [
        None,
        None,
    ]
