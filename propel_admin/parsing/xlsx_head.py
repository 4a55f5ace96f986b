"""The first rows of a worksheet, read by streaming its XML (for sniffing and previews).

calamine loads a whole sheet before giving the first row; a preview of a large workbook
must not. This reader stops as soon as its caller has enough rows. Its values are the
ones calamine gives (same types, same date rules), so the same text comes out of both.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cells import ExcelError, column_index, convert_row
from .report import ReadReport
from .types import Record
from .workbook import SharedStrings, iter_elements, local, string_item_text, unescape
from .zipsafe import damaged

EPOCH_1900 = dt.datetime(1899, 12, 30)  # serial 1 = 1900-01-01 (after Excel's fake 1900-02-29)
EPOCH_1904 = dt.datetime(1904, 1, 1)
FAKE_LEAP_DAY = 60  # serial of 1900-02-29, which did not exist
MAX_SERIAL = 2_958_466  # 10000-01-01
MILLISECONDS_PER_DAY = 86_400_000


@dataclass(slots=True)
class SheetContext:
    """What decoding a sheet's cells needs from the rest of the package."""

    strings: SharedStrings
    date_styles: dict[int, str]
    date1904: bool


def head_records(
    path: Path, info: zipfile.ZipInfo, context: SheetContext, report: ReadReport
) -> Iterator[Record]:
    """Records of one worksheet, top to bottom, parsed only as far as they are consumed."""
    previous = 0
    for _, element in iter_elements(path, info):
        if local(element.tag) != "row":
            continue
        number = _int(element.get("r"), previous + 1)
        if number <= previous:
            raise damaged()  # rows out of order
        values = _row_values(element, context)
        element.clear()
        for missing in range(previous + 1, number):  # rows with no cells, as calamine gives
            yield Record(missing, [])
        cells, dates = convert_row(values, number, 0, report)
        yield Record(number, cells, dates)
        previous = number


def _row_values(row: Any, context: SheetContext) -> list[object]:
    values: list[object] = []
    for cell in row:
        if local(cell.tag) != "c":
            continue
        reference = cell.get("r")
        column = column_index(reference.rstrip("0123456789")) if reference else len(values)
        if column < len(values):
            raise damaged()  # cells out of order
        values.extend([None] * (column - len(values)))
        values.append(_cell_value(cell, context))
    return values


def _cell_value(cell: Any, context: SheetContext) -> object:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = next((child for child in cell if local(child.tag) == "is"), None)
        return unescape(string_item_text(inline)) if inline is not None else None
    raw = next((child.text for child in cell if local(child.tag) == "v"), None)
    if raw is None or raw == "":
        return None  # no value, or a formula never calculated
    if kind == "s":
        return context.strings.get(_int(raw, -1))
    if kind == "str":
        return unescape(raw)
    if kind == "d":
        return iso_date(raw)
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind == "e":
        return ExcelError(raw)
    try:
        number = float(raw)
    except ValueError:
        raise damaged() from None
    style = context.date_styles.get(_int(cell.get("s"), 0))
    return excel_date(number, style, context.date1904) if style else number


def iso_date(text: str) -> object:
    """A t="d" cell: ISO 8601 text, a date when it has no time part (as calamine reads it)."""
    try:
        if "T" in text or " " in text:
            return dt.datetime.fromisoformat(text.rstrip("Z"))
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def excel_date(serial: float, kind: str, date1904: bool) -> object:
    """An Excel serial as calamine gives it: time below 1, date when whole, else datetime."""
    if kind == "duration":
        return dt.timedelta(milliseconds=round(serial * MILLISECONDS_PER_DAY))
    if not 0 <= serial < MAX_SERIAL:
        return serial
    if serial < 1:
        moment = dt.datetime.min + dt.timedelta(milliseconds=round(serial * MILLISECONDS_PER_DAY))
        return moment.time()
    if date1904:
        epoch = EPOCH_1904
    else:
        epoch = EPOCH_1900 if serial >= FAKE_LEAP_DAY else EPOCH_1900 + dt.timedelta(days=1)
    moment = epoch + dt.timedelta(milliseconds=round(serial * MILLISECONDS_PER_DAY))
    return moment.date() if serial.is_integer() else moment


def _int(value: str | None, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise damaged() from None
