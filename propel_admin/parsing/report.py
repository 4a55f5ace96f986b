"""What happened while reading: counters and capped lists, turned into warnings at the end."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import messages
from .limits import WARNING_LIST_ITEMS


@dataclass(slots=True)
class Tally:
    """A count plus the first few examples (row numbers or cell names)."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: object) -> None:
        self.count += 1
        if len(self.examples) < WARNING_LIST_ITEMS:
            self.examples.append(str(example))

    def text(self) -> str:
        return messages.list_items(self.examples, self.count)


@dataclass(slots=True)
class ReadReport:
    """Everything a reader noticed; `messages()` phrases it for the operator."""

    rows: int = 0
    blank_rows: int = 0
    bad_bytes: int = 0
    encoding_label: str = ""
    short_rows: Tally = field(default_factory=Tally)
    long_rows: Tally = field(default_factory=Tally)
    nul_rows: Tally = field(default_factory=Tally)
    excel_errors: Tally = field(default_factory=Tally)
    long_numbers: Tally = field(default_factory=Tally)

    def messages(self) -> list[str]:
        found: list[str] = []
        if self.bad_bytes:
            found.append(messages.BAD_BYTES.format(label=self.encoding_label, count=self.bad_bytes))
        tallies = (
            (self.nul_rows, messages.NUL_BYTES, "rows"),
            (self.short_rows, messages.SHORT_ROWS, "rows"),
            (self.long_rows, messages.LONG_ROWS, "rows"),
            (self.excel_errors, messages.EXCEL_ERRORS, "cells"),
            (self.long_numbers, messages.LONG_NUMBERS, "cells"),
        )
        for tally, template, key in tallies:
            if tally.count:
                found.append(template.format(**{key: tally.text()}))
        if self.blank_rows:
            found.append(messages.BLANK_ROWS.format(count=self.blank_rows))
        return found
