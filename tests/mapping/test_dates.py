"""Dates of birth: parsing in each input format, and detecting the format of a column."""

from __future__ import annotations

import pytest

from propel_admin.mapping import messages
from propel_admin.mapping.dates import DATE_FORMATS, detect_date_format, make_date_parser
from propel_admin.mapping.types import Invalid
from propel_admin.sandbox import validation as sandbox

NO_MATCH = Invalid(messages.DATE_NO_MATCH)
NOT_REAL = Invalid(messages.DATE_NOT_REAL)


@pytest.mark.parametrize(
    ("fmt", "raw"),
    [("YYYY-MM-DD", "1993-08-28"), ("YYYY-MM-DD", "1993-8-28"),
     ("YYYY-MM-DD HH:MM:SS", "1993-08-28 00:00:00"), ("YYYY-MM-DD", "1993-08-28T13:45:10Z"),
     ("YYYY/MM/DD", "1993/08/28"), ("DD/MM/YYYY", "28/08/1993"), ("DD/MM/YYYY", "28/8/1993"),
     ("MM/DD/YYYY", "08/28/1993"), ("MM/DD/YYYY", "8/28/1993 0:00"), ("DD-MM-YYYY", "28-08-1993"),
     ("DD.MM.YYYY", "28.08.1993"), ("DD/MM/YY", "28/08/93"), ("MM/DD/YY", "08/28/93"),
     ("DD-MM-YY", "28-08-93"), ("DD.MM.YY", "28.8.93")],
)  # fmt: skip
def test_every_format_reads_into_the_api_format(fmt: str, raw: str) -> None:
    assert make_date_parser(fmt, pivot=25)(raw) == "28/08/1993"


def test_two_digit_years_pivot_into_the_past() -> None:
    parse = make_date_parser("DD/MM/YY", pivot=25)
    assert parse("01/02/25") == "01/02/2025"
    assert parse("01/02/26") == "01/02/1926"
    assert parse("01/02/00") == "01/02/2000"


@pytest.mark.parametrize("raw", ["31/02/1990", "29/02/1900", "31/04/2001", "00/01/2000",
                                 "01/13/2000", "01/01/0000"])  # fmt: skip
def test_dates_that_do_not_exist_are_rejected(raw: str) -> None:
    assert make_date_parser("DD/MM/YYYY")(raw) == NOT_REAL


def test_leap_days_are_real_in_leap_years() -> None:
    parse = make_date_parser("DD/MM/YYYY")
    assert parse("29/02/2000") == "29/02/2000"
    assert parse("29/02/1996") == "29/02/1996"


@pytest.mark.parametrize("raw", ["1993-08-28", "28 Aug 1993", "28/08/93", "280893", "28/08"])
def test_values_in_another_format_do_not_match(raw: str) -> None:
    assert make_date_parser("DD/MM/YYYY")(raw) == NO_MATCH


def test_without_a_format_the_two_unambiguous_forms_are_read() -> None:
    parse = make_date_parser(None)
    assert parse("28/08/1993") == "28/08/1993"
    assert parse("1993-08-28") == "28/08/1993"
    assert parse("08-28-1993") == NO_MATCH


def test_every_output_is_accepted_by_the_api() -> None:
    for name in DATE_FORMATS:
        value = make_date_parser(name, pivot=25)("1993-08-28" if name[0] == "Y" else "28/08/93")
        if not isinstance(value, Invalid):
            assert sandbox.parse_date(value) is not None


def test_it_detects_day_first_when_a_day_is_over_12() -> None:
    guess = detect_date_format(["01/02/1990", "28/08/1993", None, ""])
    assert (guess.format, guess.ambiguous) == ("DD/MM/YYYY", False)
    assert guess.message == messages.DATE_GUESS_OK.format(format="DD/MM/YYYY")
    assert (guess.matched, guess.total) == (2, 2)


def test_it_detects_month_first_when_a_day_is_over_12() -> None:
    guess = detect_date_format(["01/02/1990", "08/28/1993"])
    assert (guess.format, guess.ambiguous) == ("MM/DD/YYYY", False)


def test_it_warns_when_day_and_month_cannot_be_told_apart() -> None:
    guess = detect_date_format(["01/02/1990", "12/11/1985"])
    assert (guess.format, guess.ambiguous) == ("DD/MM/YYYY", True)
    assert guess.message == messages.DATE_GUESS_AMBIGUOUS.format(
        format="DD/MM/YYYY", other="MM/DD/YYYY"
    )


def test_it_warns_on_ambiguous_two_digit_years_too() -> None:
    guess = detect_date_format(["01/02/90", "03/04/85"], pivot=25)
    assert (guess.format, guess.ambiguous) == ("DD/MM/YY", True)


@pytest.mark.parametrize(
    ("samples", "expected"),
    [(["1993-08-28", "2001-01-02"], "YYYY-MM-DD"),
     (["1993-08-28 00:00:00", "2001-01-02"], "YYYY-MM-DD HH:MM:SS"),
     (["1993/08/28"], "YYYY/MM/DD"), (["28-08-1993"], "DD-MM-YYYY"),
     (["28.08.1993", "1.2.2001"], "DD.MM.YYYY"), (["28.08.93"], "DD.MM.YY")],
)  # fmt: skip
def test_it_detects_unambiguous_formats(samples: list[str], expected: str) -> None:
    guess = detect_date_format(samples, pivot=25)
    assert (guess.format, guess.ambiguous) == (expected, False)


def test_it_says_how_many_samples_do_not_fit() -> None:
    guess = detect_date_format(["28/08/1993", "30/02/1990", "n/a", "01/01/2000"])
    assert guess.format == "DD/MM/YYYY"
    assert guess.message == messages.DATE_GUESS_PARTIAL.format(bad=2, total=4, format="DD/MM/YYYY")


def test_it_gives_up_on_values_that_are_no_dates() -> None:
    assert detect_date_format(["abc", "12"]).format is None
    assert detect_date_format(["abc"]).message == messages.DATE_GUESS_NONE
    assert detect_date_format([None, " "]).message == messages.DATE_GUESS_NO_SAMPLES
