"""Text files: the head sample, and records streamed with the csv module (RFC 4180)."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO, cast

from . import messages
from .encoding import FALLBACK_ERRORS, bad_byte_count, open_text
from .limits import HEAD_BYTES, MAX_CELL_CHARS
from .report import ReadReport
from .types import FileRejected, Record


def read_head(path: Path) -> tuple[bytes, bool]:
    """The first HEAD_BYTES of the file, and whether that is the whole file."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES + 1)
    return head[:HEAD_BYTES], len(head) <= HEAD_BYTES


def decode_head(head: bytes, codec: str, *, complete: bool) -> str:
    """The sample as text; a character cut off at the sample's end is left out."""
    decoder = codecs.getincrementaldecoder(codec)(errors=FALLBACK_ERRORS)
    return decoder.decode(head, final=complete).lstrip("\ufeff")


class _Lines:
    """Feeds csv.reader line by line, removing NUL bytes and noting very long lines."""

    def __init__(self, stream: TextIO, report: ReadReport) -> None:
        self.stream = stream
        self.report = report
        self.number = 0
        self.last_long = 0  # number of the last line longer than a cell may be

    def __iter__(self) -> Iterator[str]:
        base = bad_byte_count() - self.report.bad_bytes
        for line in self.stream:
            self.number += 1
            self.report.bad_bytes = bad_byte_count() - base  # decoded through the fallback
            if "\x00" in line:
                line = line.replace("\x00", "")
                self.report.nul_rows.add(self.number)
            if len(line) > MAX_CELL_CHARS:
                self.last_long = self.number
            yield line


def csv_records(path: Path, *, codec: str, delimiter: str, report: ReadReport) -> Iterator[Record]:
    """Every record with the line number where it starts; cells are the raw text."""
    with open_text(path, codec) as stream:
        lines = _Lines(stream, report)
        reader = csv.reader(lines, delimiter=delimiter, quotechar='"', strict=False)
        previous = 0
        try:
            for cells in reader:
                number = previous + 1
                if reader.line_num - previous > 1 or lines.last_long > previous:
                    _check_lengths(cells, number)
                previous = reader.line_num
                if number == 1 and cells and cells[0].startswith("\ufeff"):
                    cells[0] = cells[0][1:]
                yield Record(number, cast("list[str | None]", cells))
        except csv.Error:  # the only csv error left in lenient mode: a field too large
            _reject_long(previous + 1)


def _check_lengths(cells: list[str], number: int) -> None:
    if any(len(cell) > MAX_CELL_CHARS for cell in cells):
        _reject_long(number)


def _reject_long(number: int) -> None:
    where = f"Row {number}"
    raise FileRejected(
        messages.CELL_TOO_LONG.format(where=where, limit=MAX_CELL_CHARS), code="cell_too_long"
    )
