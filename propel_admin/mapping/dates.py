"""Dates of birth: input formats, detection over a column's samples, output as DD/MM/YYYY."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from . import messages
from .types import Invalid

Order = Literal["ymd", "dmy", "mdy"]
ISO = "YYYY-MM-DD"
ISO_DATETIME = "YYYY-MM-DD HH:MM:SS"
API_FORMAT = "DD/MM/YYYY"  # what Propeller expects (reference §6)

# Spreadsheets often add a time to a date ("1993-08-28 00:00:00"); it is dropped.
_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_NO_MATCH = Invalid(messages.DATE_NO_MATCH)
_NOT_REAL = Invalid(messages.DATE_NOT_REAL)


@dataclass(frozen=True, slots=True)
class DateFormat:
    """An input format: its name as operators see it, its pattern and field order."""

    name: str
    pattern: re.Pattern[str]
    order: Order
    short_year: bool


def _format(name: str, order: Order, sep: str, short_year: bool = False) -> DateFormat:
    part = "([0-9]{1,2})"
    year = "([0-9]{2})" if short_year else "([0-9]{4})"
    parts = [year, part, part] if order == "ymd" else [part, part, year]
    pattern = re.compile(re.escape(sep).join(parts) + _TIME)
    return DateFormat(name, pattern, order, short_year)


DATE_FORMATS: dict[str, DateFormat] = {
    fmt.name: fmt
    for fmt in (
        _format(ISO, "ymd", "-"),
        _format(ISO_DATETIME, "ymd", "-"),
        _format("YYYY/MM/DD", "ymd", "/"),
        _format("DD/MM/YYYY", "dmy", "/"),
        _format("MM/DD/YYYY", "mdy", "/"),
        _format("DD-MM-YYYY", "dmy", "-"),
        _format("DD.MM.YYYY", "dmy", "."),
        _format("DD/MM/YY", "dmy", "/", short_year=True),
        _format("MM/DD/YY", "mdy", "/", short_year=True),
        _format("DD-MM-YY", "dmy", "-", short_year=True),
        _format("DD.MM.YY", "dmy", ".", short_year=True),
    )
}
# Tried in this order; the first format that reads the most samples wins.
_DETECT_ORDER = tuple(name for name in DATE_FORMATS if name != ISO_DATETIME)
_MONTH_FIRST_TWIN = {"DD/MM/YYYY": "MM/DD/YYYY", "DD/MM/YY": "MM/DD/YY"}


def default_pivot() -> int:
    """Two-digit years up to this one are 20xx, later ones 19xx (births are in the past)."""
    return dt.date.today().year % 100


def api_date(year: int, month: int, day: int) -> str | None:
    """DD/MM/YYYY if the date exists on the calendar, else None (31/02 does not)."""
    if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month] and 1 <= year <= 9999):
        return None
    if month == 2 and day == 29 and not _is_leap(year):
        return None
    return f"{day:02d}/{month:02d}/{year:04d}"


def parse_date(text: str, fmt: DateFormat, pivot: int) -> str | Invalid:
    """One value in one format, as DD/MM/YYYY or the reason it cannot be."""
    return compile_format(fmt, pivot)(text)


def compile_format(fmt: DateFormat, pivot: int) -> Callable[[str], str | Invalid]:
    """A fast parser for one format: string slicing, no date objects, no formatting."""
    fullmatch = fmt.pattern.fullmatch
    year_at, month_at, day_at = {"ymd": (0, 1, 2), "dmy": (2, 1, 0), "mdy": (2, 0, 1)}[fmt.order]
    short_year = fmt.short_year
    days_in_month = _DAYS_IN_MONTH

    def parse(text: str) -> str | Invalid:
        match = fullmatch(text)
        if match is None:
            return _NO_MATCH
        groups = match.groups()
        day_text, month_text, year_text = groups[day_at], groups[month_at], groups[year_at]
        day, month = int(day_text), int(month_text)
        if short_year:
            two_digits = int(year_text)
            year_text = str(two_digits + (2000 if two_digits <= pivot else 1900))
        if not (1 <= month <= 12 and 1 <= day <= days_in_month[month]) or year_text == "0000":
            return _NOT_REAL
        if month == 2 and day == 29 and not _is_leap(int(year_text)):
            return _NOT_REAL
        if len(day_text) == 1:
            day_text = "0" + day_text
        if len(month_text) == 1:
            month_text = "0" + month_text
        return f"{day_text}/{month_text}/{year_text}"

    return parse


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def make_date_parser(name: str | None, *, pivot: int | None = None) -> Callable[[str], object]:
    """A `str -> DD/MM/YYYY | Invalid` function for a format name.

    None accepts the two unambiguous forms: DD/MM/YYYY (the API's) and YYYY-MM-DD (what
    the file reader produces for workbook dates).
    """
    year_pivot = default_pivot() if pivot is None else pivot
    if name is not None:
        return compile_format(DATE_FORMATS[name], year_pivot)
    api = compile_format(DATE_FORMATS[API_FORMAT], year_pivot)
    iso = compile_format(DATE_FORMATS[ISO], year_pivot)

    def parse_default(text: str) -> str | Invalid:
        return iso(text) if text[:4].isdigit() else api(text)

    return parse_default


@dataclass(frozen=True, slots=True)
class DateFormatGuess:
    """The format detected for a column; `message` explains doubts to the operator."""

    format: str | None
    ambiguous: bool
    message: str
    matched: int = 0
    total: int = 0


def detect_date_format(
    values: Iterable[str | None], *, pivot: int | None = None
) -> DateFormatGuess:
    """The input format that reads most sample values as real dates (day first on a tie)."""
    year_pivot = default_pivot() if pivot is None else pivot
    samples = [text for text in (v.strip() if v else "" for v in values) if text]
    if not samples:
        return DateFormatGuess(None, False, messages.DATE_GUESS_NO_SAMPLES)
    parsers = {name: compile_format(DATE_FORMATS[name], year_pivot) for name in _DETECT_ORDER}
    counts = {
        name: sum(not isinstance(parse(text), Invalid) for text in samples)
        for name, parse in parsers.items()
    }
    best = max(counts.values())
    total = len(samples)
    if best == 0:
        return DateFormatGuess(None, False, messages.DATE_GUESS_NONE, 0, total)
    chosen = next(name for name in _DETECT_ORDER if counts[name] == best)
    if chosen == ISO and any(":" in text for text in samples):
        chosen = ISO_DATETIME
    twin = _MONTH_FIRST_TWIN.get(chosen)
    if twin is not None and counts[twin] == best:
        message = messages.DATE_GUESS_AMBIGUOUS.format(format=chosen, other=twin)
        return DateFormatGuess(chosen, True, message, best, total)
    if best < total:
        message = messages.DATE_GUESS_PARTIAL.format(bad=total - best, total=total, format=chosen)
    else:
        message = messages.DATE_GUESS_OK.format(format=chosen)
    return DateFormatGuess(chosen, False, message, best, total)
