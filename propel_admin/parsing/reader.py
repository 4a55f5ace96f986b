"""RowReader: the table found in a stream of records, and its rows, read once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import chain

from . import messages
from .report import ReadReport
from .table import Layout, buffer_head, plan_layout, shape_rows
from .types import NO_HEADER, FileRejected, ReadOptions, Record, RenamedHeader, Row


class RowReader:
    """The rows of one file, streamed; iterate once. Close it (or use `with`) when done.

    `headers`, `options` and the first warnings are known as soon as it is created;
    `warnings` and `count` are complete once the rows have been read to the end.
    """

    def __init__(
        self,
        records: Iterator[Record],
        options: ReadOptions,
        *,
        report: ReadReport,
        text: bool,
        notes: list[str],
        closers: list[Callable[[], None]],
    ) -> None:
        self.report = report
        self._closers = [*closers, getattr(records, "close", _nothing)]
        self.finished = False
        try:
            head = buffer_head(records, options.header_row)
            layout = plan_layout(head, options.header_row)
            if layout is None:
                raise FileRejected(messages.NO_CONTENT, code="no_content")
        except BaseException:
            self.close()
            raise
        self.layout: Layout = layout
        self.options = replace(options, header_row=layout.header_row)
        self.notes = [*notes, *layout_notes(layout)]
        rest = (record for record in head if record.number > layout.header_row)
        self._rows = shape_rows(chain(rest, records), layout, report, text=text)

    @property
    def headers(self) -> list[str]:
        return self.layout.headers

    @property
    def header_row(self) -> int:
        return self.layout.header_row

    @property
    def renamed_headers(self) -> list[RenamedHeader]:
        return self.layout.renamed

    @property
    def count(self) -> int:
        """Data rows read so far."""
        return self.report.rows

    @property
    def warnings(self) -> list[str]:
        found = [*self.notes, *self.report.messages()]
        if self.finished and not self.report.rows:
            found.append(messages.NO_DATA_ROWS)
        return found

    def __iter__(self) -> Iterator[Row]:
        try:
            yield from self._rows
            self.finished = True
        finally:
            self.close()

    def close(self) -> None:
        closers, self._closers = self._closers, []
        for close in reversed(closers):
            close()

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _nothing() -> None:
    return None


def layout_notes(layout: Layout) -> list[str]:
    """Warnings about the table itself: no header, renamed columns, skipped title rows."""
    notes: list[str] = []
    if layout.header_row == NO_HEADER:
        notes.append(messages.NO_HEADER_ROW.format(count=layout.width))
    if layout.renamed:
        changes = "; ".join(
            messages.RENAMED_DUPLICATE.format(old=r.original, position=r.position, new=r.name)
            if r.original
            else messages.RENAMED_EMPTY.format(position=r.position, new=r.name)
            for r in layout.renamed
        )
        notes.append(messages.RENAMED_HEADERS.format(changes=changes))
    if layout.above:
        rows = messages.list_items(layout.above, len(layout.above))
        notes.append(messages.ROWS_ABOVE_HEADER.format(rows=rows))
    return notes
