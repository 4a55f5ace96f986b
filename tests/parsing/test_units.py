"""The small pieces: number and date text, format codes, names, header heuristics."""

from __future__ import annotations

import datetime as dt

import pytest

from propel_admin.parsing import FileRejected
from propel_admin.parsing import messages as m
from propel_admin.parsing.cells import column_index, column_letters, convert_row, float_text
from propel_admin.parsing.dialect import sniff_delimiter
from propel_admin.parsing.encoding import detect_encoding
from propel_admin.parsing.report import ReadReport
from propel_admin.parsing.table import find_header, unique_names
from propel_admin.parsing.types import Record
from propel_admin.parsing.workbook import format_kind
from propel_admin.parsing.xlsx_head import excel_date
from propel_admin.parsing.zipsafe import check_prolog


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12345.0, "12345"),
        (-3.0, "-3"),
        (1.27, "1.27"),
        (41800000.01, "41800000.01"),
        (1e20, "100000000000000000000"),
        (1e-05, "0.00001"),
        (0.1, "0.1"),
    ],
)
def test_float_text_has_no_trailing_point_zero_and_no_exponent(value: float, text: str) -> None:
    assert float_text(value) == text


def test_convert_row_gives_text_and_marks_dates() -> None:
    report = ReadReport()
    values = ["", "x", 1.0, True, dt.date(2024, 2, 3), dt.datetime(2024, 2, 3, 4, 5, 6, 600_000)]
    values += [dt.time(7, 8, 9), dt.timedelta(hours=30, minutes=5), None, ""]
    cells, dates = convert_row(values, 7, 2, report)
    assert cells == [
        *[None, None, None, "x", "1", "TRUE"],
        *["2024-02-03", "2024-02-03 04:05:07", "07:08:09", "30:05:00"],
    ]
    assert dates == (6, 7)


def test_a_workbook_cell_longer_than_excel_allows_is_refused() -> None:
    with pytest.raises(FileRejected) as caught:
        convert_row(["ok", "x" * 32_768], 9, 0, ReadReport())
    assert caught.value.message == m.CELL_TOO_LONG.format(where="Cell B9", limit=32_767)


@pytest.mark.parametrize(
    ("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (499, "SF"), (16383, "XFD")]
)
def test_column_letters_round_trip(index: int, letters: str) -> None:
    assert (column_letters(index), column_index(letters)) == (letters, index)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("General", None),
        ("0.00", None),
        ("dd/mm/yyyy;@", "date"),
        ("[$-409]mmmm d, yyyy", "date"),
        ("h:mm AM/PM", "date"),
        ("[h]:mm:ss", "duration"),
        ('"Day" 0', None),
        ("#,##0\\ [$€-413]", None),
        ("[Red]#,##0;[Blue]-#,##0", None),
        ('#,##0.00\\ _M"H"_)', None),
        ("0*y", None),
    ],
)
def test_number_formats_that_hold_dates(code: str, kind: str | None) -> None:
    assert format_kind(code) == kind


@pytest.mark.parametrize(
    ("serial", "date1904", "expected"),
    [
        (45325.0, False, dt.date(2024, 2, 3)),
        (43907.0, True, dt.date(2024, 3, 18)),
        (1.0, False, dt.date(1900, 1, 1)),
        (61.0, False, dt.date(1900, 3, 1)),
        (45325.5, False, dt.datetime(2024, 2, 3, 12, 0)),
        (0.25, False, dt.time(6, 0)),
    ],
)
def test_excel_serials_in_both_date_systems(
    serial: float, date1904: bool, expected: object
) -> None:
    assert excel_date(serial, "date", date1904) == expected


def test_unique_names_number_repeats_and_name_empty_columns() -> None:
    names, renamed = unique_names(["Email", "email", "", "Email", "Column 3"])
    assert names == ["Email", "email (2)", "Column 3 (2)", "Email (3)", "Column 3"]
    assert [r.position for r in renamed] == [2, 3, 4]


def _records(*rows: str) -> list[Record]:
    return [Record(i, list(row.split(","))) for i, row in enumerate(rows, start=1)]


@pytest.mark.parametrize(
    ("rows", "header"),
    [
        (("Contacts export", "Date: 2024-01-05", "id,name,email", "1,Ann,a@b.c", "2,Bob,b@c.d"), 2),
        (("Report,,,,2024-01-05", "id,name,email,city,country", "1,Ann,a@b.c,Delft,NL"), 1),
        (("1,Ann,ann@example.com", "2,Bob,bob@example.com"), None),
        (("Ann,Jansen,Delft,ann@example.com", "Bob,Smit,Gouda,bob@example.com"), None),
        (("name,email", "Ann,ann@example.com"), 0),
    ],
)
def test_header_detection_skips_titles_and_sees_data(
    rows: tuple[str, ...], header: int | None
) -> None:
    assert find_header(_records(*rows)) == header


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ('a,b\n"x;y;z",1\n"p;q;r",2\n', ","),
        ("a;b;c\n1;2;3\n4;5;6\n7;8", ";"),  # last record may be cut off
        ("a\tb\n1\t2\n", "\t"),
    ],
)
def test_sniff_delimiter_respects_quotes_and_a_cut_off_end(sample: str, expected: str) -> None:
    assert sniff_delimiter(sample, complete=False) == expected


@pytest.mark.parametrize(
    ("sample", "codec"),
    [
        (b"\xef\xbb\xbfa,b\n", "utf-8-sig"),
        (b"\xff\xfe\x00\x00a\x00\x00\x00", "utf-32"),
        (b"\xff\xfea\x00,\x00b\x00", "utf-16"),
        ("a,b\nZoë,1\n".encode(), "utf-8"),
        ("a,b\nZoë,1\n".encode()[:-4], "utf-8"),  # ends inside a character: fine
        ("id,name\n1,Zażółć gęślą jaźń\n2,Łódź Świętochłowice\n".encode("cp1250"), "cp1250"),
        ("id,naam\n1,Müller € 5\n".encode("cp1252"), "cp1252"),
    ],
)
def test_detect_encoding(sample: bytes, codec: str) -> None:
    assert detect_encoding(sample, complete=False).codec == codec


def test_a_root_element_ends_the_prolog_check() -> None:
    check_prolog(b'<?xml version="1.0"?>\n<!-- c --><worksheet/>', complete=True)
    check_prolog("\ufeff<?xml version='1.0'?><a/>".encode("utf-16"), complete=True)
    with pytest.raises(FileRejected):
        check_prolog("<?xml version='1.0'?><!DOCTYPE a><a/>".encode("utf-16-le"), complete=True)
