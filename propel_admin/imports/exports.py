"""Downloads of staged rows (CSV streamed, XLSX written in openpyxl's write-only mode).

Cells that a spreadsheet would run as a formula are neutralised with a leading quote.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from openpyxl import Workbook

from propel_admin.imports import pii
from propel_admin.imports.models import ContactRow, ImportRun, RowStatus

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ERROR_COLUMN = "Problems"
ROW_COLUMN = "Row in file"


def neutralise(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def invalid_rows(run: ImportRun, *, reveal_pii: bool = False) -> Iterator[list[str]]:
    """Header, then each invalid row: its original cells, its row number and its problems.

    Social security numbers and dates of birth (columns mapped or named so) are hidden
    unless `reveal_pii`.
    """
    from propel_admin.imports.selectors import MASKED, run_pii_columns

    headers = run.upload.headers
    masked = [] if reveal_pii else sorted(run_pii_columns(run=run))  # mapped or named as PII
    yield [*map(neutralise, headers), ROW_COLUMN, ERROR_COLUMN]
    rows = (
        ContactRow.objects.filter(run=run, status=RowStatus.INVALID)
        .order_by("row_number")
        .values_list("row_number", "cells", "errors")
    )
    for number, stored, errors in rows.iterator(chunk_size=2000):
        cells = (pii.open_cells(stored) if reveal_pii else stored) or []
        for index in masked:
            if index < len(cells) and cells[index] not in (None, ""):
                cells[index] = MASKED
        problems = "; ".join(_error_text(e) for e in errors)
        yield [*map(neutralise, cells), str(number), neutralise(problems)]


def _error_text(error: dict[str, Any]) -> str:
    column = error.get("column")
    return f"{column}: {error['text']}" if column else str(error["text"])


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """CSV text line by line (UTF-8 with a BOM first, so Excel reads accents right)."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)


def xlsx_file(rows: Iterable[list[str]], *, sheet: str = "Rows") -> IO[bytes]:
    """An XLSX in a temporary file (write-only mode keeps memory flat)."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    for row in rows:
        worksheet.append(row)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to FileResponse, which closes it
    workbook.save(handle)
    handle.seek(0)
    return handle
