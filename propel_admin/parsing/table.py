"""From raw records to a table: find the header row, name the columns, shape every row.

Header heuristic: among the first HEADER_SCAN_ROWS non-blank rows, the first whose
non-empty cells are mostly distinct text that does not look like a value (number, date,
phone), hold no e-mail or web address, and span about as many columns as the rows that
follow. A title block ("Contacts export", a date line) is narrower than the table, so it
is passed over. When no row qualifies and the first row holds values, the file has no
header row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import cast

from . import messages
from .limits import HEADER_SCAN_ROWS, MAX_COLUMNS, MAX_ROWS, WIDTH_SAMPLE_ROWS
from .report import ReadReport
from .types import NO_HEADER, FileRejected, Record, RenamedHeader, Row

VALUE = re.compile(
    r"""[-+]?[€$£]?\s?\d[\d.,'\s]*%?                             # 12, 1.5, 1,7, 08123, 10%
    | \+?\(?\d[\d\s().\-/]{5,}                                   # phone numbers, dates
    | \d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?)?  # dates and times
    | \d{1,2}:\d{2}(:\d{2})?
    | [^@\s]+@[^@\s]+\.[^@\s]+                                   # e-mail
    | (https?://|www\.)\S+
    | TRUE | FALSE""",
    re.X,
)
ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+|(https?://|www\.)\S+")
LABEL_SHARE = 0.75  # of a header's non-empty cells that must be labels, not values
DISTINCT_SHARE = 0.8
WIDTH_SHARE = 0.8  # a header reaches at least this share of the following rows' width
COMMON_WIDTH_SHARE = 0.2  # a width reached by this share of sampled rows counts as the table's
MAX_HEAD_RECORDS = 10_000  # records buffered while looking for the table
MAX_VALUE_CHARS = 254  # longer cells are text (and the patterns stay cheap)


@dataclass(slots=True)
class Layout:
    """Where the table is: its header row, column names and columns."""

    header_row: int  # NO_HEADER (0) when there is none
    headers: list[str]
    renamed: list[RenamedHeader]
    left: int  # first column of the table (0 = A)
    above: list[int] = field(default_factory=list)  # non-blank rows above the header

    @property
    def width(self) -> int:
        return len(self.headers)


def is_blank(cells: Sequence[str | None]) -> bool:
    return not any(cell and not cell.isspace() for cell in cells)


def _span(cells: Sequence[str | None]) -> int:
    """Index after the last non-empty cell."""
    for index in range(len(cells) - 1, -1, -1):
        cell = cells[index]
        if cell and not cell.isspace():
            return index + 1
    return 0


def _first(cells: Sequence[str | None]) -> int:
    return next((i for i, cell in enumerate(cells) if cell and not cell.isspace()), len(cells))


def _values(record: Record) -> list[str]:
    return [c.strip() for c in record.cells if c and not c.isspace()]


def is_value(text: str) -> bool:
    """Looks like a value rather than a column name (long text never does)."""
    return len(text) <= MAX_VALUE_CHARS and VALUE.fullmatch(text) is not None


def _is_address(text: str) -> bool:
    return len(text) <= MAX_VALUE_CHARS and ADDRESS.fullmatch(text) is not None


def _looks_like_data(record: Record) -> bool:
    return bool(record.date_cells) or any(is_value(text) for text in _values(record))


def common_width(records: Sequence[Record]) -> int:
    """The widest span that enough sampled rows reach (one stray long row does not count)."""
    spans = sorted((_span(r.cells) for r in records), reverse=True)
    if len(spans) <= 1:
        return spans[0] if spans else 0
    enough = max(2, math.ceil(COMMON_WIDTH_SHARE * len(spans)))
    return spans[min(enough, len(spans)) - 1]


def header_like(record: Record, following: Sequence[Record]) -> bool:
    values = _values(record)
    if not values:
        return False
    labels = sum(1 for text in values if not is_value(text))
    if labels < LABEL_SHARE * len(values) or any(_is_address(text) for text in values):
        return False  # mostly values, or an e-mail/web address: no column is named that
    if len({text.casefold() for text in values}) < DISTINCT_SHARE * len(values):
        return False
    target = common_width(following)
    if target >= 2:
        narrow = _span(record.cells) < math.ceil(WIDTH_SHARE * target)
        if narrow or len(values) < math.ceil(target / 2):
            return False
    return True


def find_header(rows: Sequence[Record]) -> int | None:
    """Index in `rows` (non-blank records) of the header row, or None."""
    for index, record in enumerate(rows[:HEADER_SCAN_ROWS]):
        if header_like(record, rows[index + 1 : index + 1 + WIDTH_SAMPLE_ROWS]):
            return index
    return None


def plan_layout(head: Sequence[Record], header_row: int | None) -> Layout | None:
    """The table in the head of a file; None when the head has no values at all."""
    rows = [record for record in head if not is_blank(record.cells)]
    if not rows:
        return None
    if header_row is None:
        found = find_header(rows)
        if found is None:
            found = None if _looks_like_data(rows[0]) else 0
    elif header_row == NO_HEADER:
        found = None
    else:
        found = next((i for i, r in enumerate(rows) if r.number == header_row), None)
        if found is None:
            raise FileRejected(
                messages.HEADER_ROW_NOT_FOUND.format(row=header_row), code="bad_option"
            )
    if found is None:
        return _headerless(rows[:WIDTH_SAMPLE_ROWS])
    return _with_header(rows[found], rows[found + 1 : found + 1 + WIDTH_SAMPLE_ROWS], rows[:found])


def _bounds(rows: Sequence[Record], header: Record | None) -> tuple[int, int]:
    spans = [*rows, header] if header else rows
    left = min(_first(r.cells) for r in spans)
    right = max(_span(header.cells) if header else 0, common_width(rows))
    if right - left > MAX_COLUMNS:
        where = f"Row {header.number}" if header else "The table"
        raise FileRejected(
            messages.TOO_MANY_COLUMNS.format(where=where, count=right - left, limit=MAX_COLUMNS),
            code="too_many_columns",
        )
    return left, right


def _with_header(header: Record, sample: Sequence[Record], above: Sequence[Record]) -> Layout:
    left, right = _bounds(sample, header)
    raw = [*header.cells[left:right], *[None] * (right - len(header.cells))]
    names, renamed = unique_names([" ".join((cell or "").split()) for cell in raw])
    return Layout(header.number, names, renamed, left, [r.number for r in above])


def _headerless(sample: Sequence[Record]) -> Layout:
    left, right = _bounds(sample, None)
    names = [f"Column {position}" for position in range(1, right - left + 1)]
    return Layout(NO_HEADER, names, [], left)


def unique_names(names: Sequence[str]) -> tuple[list[str], list[RenamedHeader]]:
    """Empty names become `Column 3`, repeats `Email (2)` (compared ignoring case)."""
    taken = {name.casefold() for name in names if name}
    result: list[str] = []
    renamed: list[RenamedHeader] = []
    used: set[str] = set()
    for position, name in enumerate(names, start=1):
        base = name or f"Column {position}"
        candidate, suffix = base, 2
        while candidate.casefold() in used or (not name and candidate.casefold() in taken):
            candidate, suffix = f"{base} ({suffix})", suffix + 1
        used.add(candidate.casefold())
        result.append(candidate)
        if candidate != name:
            renamed.append(RenamedHeader(position, name, candidate))
    return result, renamed


def shape_rows(
    records: Iterator[Record], layout: Layout, report: ReadReport, *, text: bool
) -> Iterator[Row]:
    """Data rows cut to the table's columns; ragged rows and blank rows are counted.

    `text`: records come from a text file, where a row with fewer cells than the table is
    worth reporting (workbook rows simply end at their last value).
    """
    left, right = layout.left, layout.left + layout.width
    for number, cells, dates in records:
        if not any(cells) or (text and "".join(cast("list[str]", cells)).isspace()):
            report.blank_rows += 1
            continue
        size = len(cells)
        if size == right and not left:
            row = Row(number, cells)
        else:
            row = _reshape(number, cells, left, right, report, text=text)
        if dates:
            row.date_cells = tuple(i - left for i in dates if left <= i < right)
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise FileRejected(messages.TOO_MANY_ROWS.format(limit=MAX_ROWS), code="too_many_rows")
        yield row


def _reshape(
    number: int, cells: list[str | None], left: int, right: int, report: ReadReport, *, text: bool
) -> Row:
    size = len(cells)
    if size > MAX_COLUMNS + right:
        raise FileRejected(
            messages.TOO_MANY_COLUMNS.format(where=f"Row {number}", count=size, limit=MAX_COLUMNS),
            code="too_many_columns",
        )
    inside = cells[left:right]
    if size < right:
        inside.extend([None] * (right - max(size, left)))
        if text:
            report.short_rows.add(number)
    outside = [*cells[:left], *cells[right:]]
    extra: list[str | None] = []
    if any(outside):
        extra = outside[: _span(outside)]
        report.long_rows.add(number)
    return Row(number, inside, extra)


def buffer_head(records: Iterator[Record], header_row: int | None) -> list[Record]:
    """The records needed to plan the table: up to the header and a sample after it."""
    head: list[Record] = []
    seen = after = 0
    for record in records:
        head.append(record)
        if len(head) >= MAX_HEAD_RECORDS:
            break
        if is_blank(record.cells):
            continue
        seen += 1
        if header_row:
            after += record.number >= header_row
            if after > WIDTH_SAMPLE_ROWS:
                break
        elif seen >= HEADER_SCAN_ROWS + WIDTH_SAMPLE_ROWS:
            break
    return head


def looks_like_table(head: Sequence[Record], layout: Layout) -> bool:
    """A named header of 2+ columns followed by rows that fill 2+ of its columns."""
    if layout.header_row == NO_HEADER or layout.width < 2:
        return False
    right = layout.left + layout.width
    data = [r for r in head if r.number > layout.header_row and not is_blank(r.cells)]
    filled = [sum(1 for c in r.cells[layout.left : right] if c) for r in data]
    full = sum(1 for count in filled if count >= 2)
    return full >= 1 and full >= min(2, len(data))
