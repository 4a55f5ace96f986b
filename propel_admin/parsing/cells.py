"""Workbook cell values (as calamine or the head reader give them) turned into text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from . import messages
from .limits import MAX_CELL_CHARS
from .report import ReadReport
from .types import FileRejected

EXACT_INTEGER_LIMIT = 2**53  # floats hold every whole number below this exactly
EXCEL_DIGITS_LIMIT = 10**15  # Excel keeps 15 significant digits


@dataclass(frozen=True, slots=True)
class ExcelError:
    """An error value such as #N/A found in a cell (by the head reader)."""

    code: str


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 0, AA -> 26 (the inverse of column_letters)."""
    index = 0
    for char in letters:
        index = index * 26 + ord(char.upper()) - 64
    return index - 1


def cell_name(row: int, column: int) -> str:
    return f"{column_letters(column)}{row}"


def float_text(value: float) -> str:
    """12345.0 -> '12345', 1e20 -> '100000000000000000000', 1.27 -> '1.27'."""
    if value.is_integer():
        if -EXACT_INTEGER_LIMIT < value < EXACT_INTEGER_LIMIT:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    text = repr(value)
    if "e" in text:  # tiny numbers: 1e-05 -> 0.00001
        return format(Decimal(text), "f")
    return text


def datetime_text(value: dt.datetime) -> str:
    if value.microsecond >= 500_000:
        value += dt.timedelta(microseconds=1_000_000 - value.microsecond)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def duration_text(value: dt.timedelta) -> str:
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _other_text(value: object, where: str, report: ReadReport) -> str | None:
    """The rarer types, kept out of convert_row's hot loop."""
    if isinstance(value, ExcelError):
        report.excel_errors.add(f"{where} ({value.code})")
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.timedelta):
        return duration_text(value)
    return str(value)


def convert_row(
    values: Sequence[object], number: int, offset: int, report: ReadReport
) -> tuple[list[str | None], tuple[int, ...]]:
    """Cell values -> text (None for empty), plus the indexes of real dates.

    `offset` is the sheet column of values[0]; the result starts at column A and has no
    trailing empty cells. The hot loop of a workbook read: exact types first (text and
    whole numbers are most cells), the rest through _cell_text.
    """
    cells: list[str | None] = [None] * offset
    dates: list[int] = []
    append = cells.append
    for index, value in enumerate(values, start=offset):
        kind = type(value)
        if kind is str:
            if len(value) > MAX_CELL_CHARS:  # type: ignore[arg-type]
                raise _too_long(number, index)
            append(value or None)  # type: ignore[arg-type]
        elif kind is float and value.is_integer() and -_SMALL < value < _SMALL:  # type: ignore[attr-defined,operator]
            append(str(int(value)))  # type: ignore[call-overload]
        elif value is None:
            append(None)
        else:
            text, is_date = _cell_text(value, number, index, report)
            if is_date:
                dates.append(index)
            append(text)
    while cells and cells[-1] is None:
        cells.pop()
    return cells, tuple(dates)


_SMALL = float(EXCEL_DIGITS_LIMIT)  # whole floats below this print as plain integers


def _too_long(number: int, index: int) -> FileRejected:
    where = f"Cell {cell_name(number, index)}"
    return FileRejected(
        messages.CELL_TOO_LONG.format(where=where, limit=MAX_CELL_CHARS), code="cell_too_long"
    )


def _cell_text(
    value: object, number: int, index: int, report: ReadReport
) -> tuple[str | None, bool]:
    """Any cell value but plain text and small whole numbers: (text, is it a date)."""
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            raise _too_long(number, index)
        return value or None, False
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= EXCEL_DIGITS_LIMIT:
            report.long_numbers.add(cell_name(number, index))
        return float_text(value), False
    if isinstance(value, dt.datetime):
        return datetime_text(value), True
    if isinstance(value, dt.date):
        return value.isoformat(), True
    if value is None:
        return None, False
    return _other_text(value, cell_name(number, index), report), False
