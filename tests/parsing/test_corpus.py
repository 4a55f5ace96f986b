"""Every file of the shared corpus is read correctly or rejected with a clear message."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from propel_admin.parsing import FileRejected, ReadOptions, SheetInfo, read_rows, sniff
from propel_admin.parsing import messages as m

from .conftest import read_file

SPECTRUM = [
    "comma_in_quotes",
    "empty",
    "empty_crlf",
    "escaped_quotes",
    "json",
    "newlines",
    "newlines_crlf",
    "quotes_and_newlines",
    "simple",
    "simple_crlf",
    "utf8",
]


@dataclass
class Case:
    """What reading one corpus text file must give."""

    headers: list[str]
    rows: list[list[str | None]]
    numbers: list[int] | None = None  # row numbers; default: 2, 3, ...
    encoding: str = "utf-8"
    delimiter: str = ","
    header_row: int = 1
    warnings: list[str] = field(default_factory=list)
    guessed: bool = False  # sniff() says the encoding was guessed (read_rows() need not)


WINDOWS_1252 = "Windows-1252 (Western European)"
ABC = ["a", "b", "c"]
BOOK = ["id", "name", "author_email"]
BAD = ["column_a", "column_b", "column_c"]
BAD_ROWS: list[list[str | None]] = [
    ["1", "27", ""],
    ["", "I'm too short!", None],
    ["0", "mixed types.... uh oh", "17"],
]
TYPED = ["text", "date", "integer", "boolean", "float", "datetime", "empty_column", "h"]
NO_DATA = m.NO_DATA_ROWS
CONVERTED = [
    ["Chicago Reader", "1971-01-01", "40", "True", "1", "1971-01-01T04:14:00", "", ""],
    [
        "Chicago Sun-Times",
        "1948-01-01",
        "63",
        "True",
        "1.27",
        "1948-01-01T14:57:13",
        "",
        "Extra data beyond headers will be trimmed",
    ],
    ["Chicago Tribune", "1920-01-01", "164", "False", "41800000.01", "1920-01-01T00:00:00", "", ""],
    ["This row has blanks", "", "", "", "", "", "", ""],
    ["Unicode! Σ", "", "", "", "", "", "", ""],
]
NOINFERENCE = [
    [*row[:5], row[5].replace("T", " ").replace(" 00:00:00", ""), *row[6:]] for row in CONVERTED
]

TEXT_CASES: dict[str, Case] = {
    "csvkit-examples/bad.csv": Case(
        BAD,
        BAD_ROWS,
        warnings=[m.SHORT_ROWS.format(rows="3"), m.LONG_ROWS.format(rows="2")],
    ),
    "csvkit-examples/bad_skip_lines.csv": Case(
        BAD,
        BAD_ROWS,
        numbers=[5, 6, 7],
        header_row=4,
        warnings=[m.SHORT_ROWS.format(rows="6"), m.LONG_ROWS.format(rows="5")],
    ),
    "csvkit-examples/blanks.csv": Case(list("abcdef"), [["", "NA", "N/A", "NONE", "NULL", "."]]),
    "csvkit-examples/blanks_converted.csv": Case(
        list("abcdef"), [], warnings=[m.BLANK_ROWS.format(count=1), NO_DATA]
    ),
    "csvkit-examples/date_like_number.csv": Case(["a"], [["4.5"]]),
    "csvkit-examples/dummy.csv": Case(ABC, [["1", "2", "3"]]),
    "csvkit-examples/dummy.tsv": Case(ABC, [["1", "2", "3"]], delimiter="\t"),
    "csvkit-examples/dummy_col_shuffled.csv": Case(["b", "c", "a"], [["2", "3", "1"]]),
    "csvkit-examples/dummy_col_shuffled_ragged.csv": Case(
        ["b", "c", "a", "d"], [["2", "3", "1", "4"]]
    ),
    "csvkit-examples/mac_newlines.csv": Case(
        ABC, [["1", "2", "3"], ["Once upon\ra time", "5", "6"]]
    ),
    "csvkit-examples/no_header_row.csv": Case(
        ["Column 1", "Column 2", "Column 3"],
        [["1", "2", "3"]],
        numbers=[1],
        header_row=0,
        warnings=[m.NO_HEADER_ROW.format(count=3)],
    ),
    "csvkit-examples/null_byte.csv": Case(
        ABC, [["", "2", "3"]], warnings=[m.NUL_BYTES.format(rows="2")]
    ),
    "csvkit-examples/optional_quote_characters.csv": Case(ABC, [["1", "2", "3"]]),
    "csvkit-examples/sniff_limit.csv": Case(ABC, [["1", "2", "3"]], delimiter=";"),
    "csvkit-examples/test_date_format.csv": Case(["a"], [["02/01/2014"], ["31/12/2012"]]),
    "csvkit-examples/test_date_format_converted.csv": Case(["a"], [["2014-01-02"], ["2012-12-31"]]),
    # Trailing unnamed columns that hold nothing are dropped; the all-empty row is blank.
    "csvkit-examples/test_empty_columns.csv": Case(
        ABC, [["a", "", ""], ["", "", "c"]], warnings=[m.BLANK_ROWS.format(count=1)]
    ),
    "csvkit-examples/test_empty_columns_long_row.csv": Case(
        ABC, [], warnings=[m.BLANK_ROWS.format(count=1), NO_DATA]
    ),
    "csvkit-examples/test_empty_columns_short_row.csv": Case(
        ABC, [], warnings=[m.BLANK_ROWS.format(count=1), NO_DATA]
    ),
    "csvkit-examples/test_extra_header.csv": Case(
        ["a", "b", "c", "d"], [["1", "2", "3", None]], warnings=[m.SHORT_ROWS.format(rows="2")]
    ),
    "csvkit-examples/test_header_newline.csv": Case(
        ["start end", "b", "c"], [["d", "e", "f"]], numbers=[8]
    ),
    "csvkit-examples/test_join_short_rows.csv": Case(
        ABC,
        [["1", "cat", None], ["dog", "c", None], ["3", "b", "c"]],
        warnings=[m.SHORT_ROWS.format(rows="2, 3")],
    ),
    "csvkit-examples/test_latin1.csv": Case(
        ABC,
        [["1", "2", "3"], ["4", "5", "©"]],
        encoding="cp1252",
        guessed=True,
    ),
    "csvkit-examples/test_locale.csv": Case(ABC, [["1,7", "200.000.000", ""]]),
    "csvkit-examples/test_locale_converted.csv": Case(ABC, [["1.7", "200000000", ""]]),
    "csvkit-examples/test_no_leading_zeroes.csv": Case(ABC, [["01", "00.11", "0.1"]]),
    "csvkit-examples/test_numeric_date_format.csv": Case(["a"], [["20140102"], ["20121231"]]),
    "csvkit-examples/test_skip_lines.csv": Case(ABC, [["1", "2", "3"]], numbers=[5], header_row=4),
    "csvkit-examples/test_utf16_big.csv": Case(
        ABC, [["1", "2", "3"], ["4", "5", "ʤ"]], encoding="utf-16"
    ),
    "csvkit-examples/test_utf16_little.csv": Case(
        ABC, [["1", "2", "3"], ["4", "5", "ʤ"]], encoding="utf-16"
    ),
    "csvkit-examples/test_utf8.csv": Case(
        ["foo", "bar", "baz"], [["1", "2", "3"], ["4", "5", "ʤ"]]
    ),
    "csvkit-examples/test_utf8_bom.csv": Case(
        ["foo", "bar", "baz"], [["1", "2", "3"], ["4", "5", "ʤ"]], encoding="utf-8-sig"
    ),
    "csvkit-examples/testxlsx_converted.csv": Case(TYPED, CONVERTED),
    "csvkit-examples/testxlsx_noinference_converted.csv": Case(TYPED, NOINFERENCE),
    "csvkit-examples/testxlsx_unicode_converted.csv": Case(ABC, [["1", "2", "3"]]),
    "django-import-export/authors.csv": Case(["id", "name"], [["1", "J. R. R. Tolkien"]]),
    "django-import-export/books-ISO-8859-1.csv": Case(
        BOOK,
        [["1", "Merci à toi", "test@example.com"]],
        encoding="cp1252",
        guessed=True,
    ),
    "django-import-export/books-dos.csv": Case(BOOK, [["1", "Some book", "test@example.com"]]),
    "django-import-export/books-for-delete.csv": Case(BOOK, [["1", "", "test@example.com"]]),
    "django-import-export/books-invalid-date.csv": Case(
        ["id", "name", "published"],
        [["1", "book", "1996-01-01"], ["2", "Some book", "1996x-01-01"]],
    ),
    "django-import-export/books-mac.csv": Case(BOOK, [["1", "Some book", "test@example.com"]]),
    "django-import-export/books-mac.tsv": Case(
        BOOK, [["1", "Some book", "test@example.com"]], delimiter="\t"
    ),
    # One text cell and nothing else: read as a header row without data (upstream rejects
    # it as "no valid data"); header_row=0 reads it as data, see test below.
    "django-import-export/books-no-headers.csv": Case(["abc"], [], warnings=[NO_DATA]),
    "django-import-export/books-sample.csv": Case(
        [
            "id",
            "name",
            "author",
            "author_email",
            "imported",
            "published",
            "published_time",
            "price",
            "added",
            "categories",
        ],
        [
            ["12", "Triangles", "5", "geo@met.ry", "", "2020-01-12", "", "12", "", "1"],
            ["13", "Rectangles", "5", "geo@met.ry", "", "2020-04-20", "", "20", "", "2"],
            ["3", "Rhombus", "5", "geo@met.ry", "", "2019-10-25", "", "5.5", "", "1"],
        ],
    ),
    "django-import-export/books-unicode.csv": Case(BOOK, [["1", "Some bookš", "test@example.com"]]),
    "django-import-export/books-unicode.tsv": Case(
        BOOK, [["1", "Some bookš", "test@example.com"]], delimiter="\t"
    ),
    "django-import-export/books.csv": Case(BOOK, [["1", "Some book", "test@example.com"]]),
    "django-import-export/child.csv": Case(["id", "parent", "name"], [["1", "1234", "Some"]]),
    "django-import-export/ebooks.csv": Case(
        ["id", "name", "Email of the author"], [["1", "Some book", "test@example.com"]]
    ),
}

REJECTED: dict[str, tuple[str, str]] = {
    "csvkit-examples/empty.csv": ("no_content", m.NO_CONTENT),
    "django-import-export/books.json": (
        "unsupported",
        m.UNSUPPORTED_TYPE.format(extension=".json"),
    ),
    "django-import-export/books.xls": ("legacy_xls", m.LEGACY_XLS),
}

WORKBOOKS = {  # tested one by one below
    "csvkit-examples/dummy.xlsx",
    "csvkit-examples/sheets.xlsx",
    "csvkit-examples/test.xlsx",
    "csvkit-examples/test_skip_lines.xlsx",
    "django-import-export/books-empty-author-email.xlsx",
    "django-import-export/books.xlsx",
}
NOT_INPUTS = {"README.md", ".gitattributes"}


def test_every_corpus_file_has_an_expectation(corpus: Path) -> None:
    """A file added to the corpus fails here until this module says what it must give."""
    spectrum = {f"csv-spectrum/csvs/{name}.csv" for name in [*SPECTRUM, "location_coordinates"]}
    expectations = {
        f"csv-spectrum/json/{name}.json" for name in [*SPECTRUM, "location_coordinates"]
    }
    covered = set(TEXT_CASES) | set(REJECTED) | WORKBOOKS | spectrum | expectations
    files = {
        path.relative_to(corpus).as_posix()
        for path in corpus.rglob("*")
        if path.is_file() and path.name not in NOT_INPUTS
    }
    assert files - covered == set()


@pytest.mark.parametrize("name", SPECTRUM)
def test_csv_spectrum_matches_its_expected_json(corpus: Path, name: str) -> None:
    path = corpus / "csv-spectrum" / "csvs" / f"{name}.csv"
    expected = json.loads((corpus / "csv-spectrum" / "json" / f"{name}.json").read_text())
    read = read_file(path)
    assert [dict(zip(read.sniffed.headers, row, strict=True)) for row in read.cells] == expected
    assert read.warnings == []


def test_csv_spectrum_stray_quote_and_replacement_characters_are_kept(corpus: Path) -> None:
    # Its JSON disagrees with its CSV (see the corpus README); this is what the CSV holds.
    read = read_file(corpus / "csv-spectrum" / "csvs" / "location_coordinates.csv")
    assert read.sniffed.headers == [
        "Contact Phone Number",
        "Location Coordinates",
        "Cities",
        "Counties",
    ]
    assert read.cells == [
        ["2095257564", "37\ufffd36'37.8\"N 121\ufffd2'17.9\"W", "Modesto", "Stanislaus"]
    ]


@pytest.mark.parametrize("relative", sorted(TEXT_CASES))
def test_corpus_text_file_reads_as_expected(corpus: Path, relative: str) -> None:
    case = TEXT_CASES[relative]
    read = read_file(corpus / relative)
    sniffed = read.sniffed
    assert (sniffed.format, sniffed.encoding, sniffed.delimiter) == (
        "csv",
        case.encoding,
        case.delimiter,
    )
    assert (sniffed.header_row, sniffed.headers) == (case.header_row, case.headers)
    assert read.cells == case.rows
    assert read.numbers == (case.numbers or list(range(2, len(case.rows) + 2)))
    assert read.warnings == case.warnings
    guessed = [m.ENCODING_GUESSED.format(label=WINDOWS_1252)] if case.guessed else []
    assert sniffed.warnings == guessed + case.warnings


@pytest.mark.parametrize("relative", sorted(REJECTED))
def test_corpus_file_is_rejected_with_a_clear_message(corpus: Path, relative: str) -> None:
    code, message = REJECTED[relative]
    with pytest.raises(FileRejected) as caught:
        sniff(corpus / relative, original_name=Path(relative).name)
    assert (caught.value.code, caught.value.message) == (code, message)


def test_one_cell_file_reads_as_data_when_told_it_has_no_header(corpus: Path) -> None:
    path = corpus / "django-import-export" / "books-no-headers.csv"
    read = read_file(path, options=ReadOptions(header_row=0))
    assert (read.sniffed.headers, read.cells, read.numbers) == (["Column 1"], [["abc"]], [1])


# --- Workbooks ---------------------------------------------------------------------------
TEST_XLSX_HEADERS = TYPED[:-1]  # the eighth column has no name and only one value
TEST_XLSX_ROWS = [
    ["Chicago Reader", "1971-01-01", "40", "TRUE", "1", "1971-01-01 04:14:00", None],
    ["Chicago Sun-Times", "1948-01-01", "63", "TRUE", "1.27", "1948-01-01 14:57:13", None],
    ["Chicago Tribune", "1920-01-01", "164", "FALSE", "41800000.01", "1920-01-01", None],
    ["This row has blanks", None, None, None, None, None, None],
    ["Unicode! Σ", None, None, None, None, None, None],
]


def test_test_xlsx_reads_1904_dates_and_typed_cells(corpus: Path) -> None:
    read = read_file(corpus / "csvkit-examples" / "test.xlsx")
    assert (read.sniffed.format, read.sniffed.sheet, read.sniffed.header_row) == (
        "xlsx",
        "Sheet1",
        1,
    )
    assert read.sniffed.headers == TEST_XLSX_HEADERS
    assert read.cells == TEST_XLSX_ROWS
    assert [row.date_cells for row in read.rows] == [(1, 5), (1, 5), (1, 5), (), ()]
    assert read.rows[1].extra == ["Extra data beyond headers will be trimmed"]
    assert read.warnings == [m.LONG_ROWS.format(rows="3")]


def test_test_xlsx_agrees_with_csvkits_own_conversion(corpus: Path) -> None:
    """Same values as csvkit's no-inference CSV, apart from TRUE/FALSE and empty cells."""
    with open(corpus / "csvkit-examples" / "testxlsx_noinference_converted.csv") as handle:
        expected = list(csv.reader(handle))[1:]
    read = read_file(corpus / "csvkit-examples" / "test.xlsx")
    ours = [
        [(c or "").replace("TRUE", "True").replace("FALSE", "False") for c in r] for r in read.cells
    ]
    assert ours == [row[:7] for row in expected]


def test_sheets_xlsx_picks_the_data_sheet_not_the_first(corpus: Path) -> None:
    read = read_file(corpus / "csvkit-examples" / "sheets.xlsx")
    assert read.sniffed.sheets == [
        SheetInfo("not this one", hidden=False, looks_like_table=False),
        SheetInfo("data", hidden=False, looks_like_table=True),
        SheetInfo("ʤ", hidden=False, looks_like_table=True),
    ]
    assert read.sniffed.sheet == "data"
    assert read.cells == TEST_XLSX_ROWS
    assert read.sniffed.warnings == [
        m.SHEET_CHOSEN.format(count=3, sheet="data"),
        m.LONG_ROWS.format(rows="3"),
    ]


def test_sheets_xlsx_reads_the_sheet_the_operator_chose(corpus: Path) -> None:
    read = read_file(corpus / "csvkit-examples" / "sheets.xlsx", options=ReadOptions(sheet="ʤ"))
    assert (read.sniffed.sheet, read.sniffed.headers, read.cells) == ("ʤ", ABC, [["1", "2", "3"]])


def test_test_skip_lines_xlsx_finds_the_header_below_blank_rows(corpus: Path) -> None:
    read = read_file(corpus / "csvkit-examples" / "test_skip_lines.xlsx")
    assert (read.sniffed.header_row, read.sniffed.headers) == (4, TEST_XLSX_HEADERS)
    assert read.cells == TEST_XLSX_ROWS
    assert read.numbers == [5, 6, 7, 8, 9]


def test_dummy_xlsx_numbers_read_as_whole_numbers(corpus: Path) -> None:
    read = read_file(corpus / "csvkit-examples" / "dummy.xlsx")
    assert (read.sniffed.headers, read.cells) == (ABC, [["1", "2", "3"]])


def test_books_xlsx_takes_the_cached_formula_value(corpus: Path) -> None:
    read = read_file(corpus / "django-import-export" / "books.xlsx")
    assert read.sniffed.headers == ["id", "name", "author_email", "price"]
    assert read.cells == [["1", "Some book", "test@example.com", "4"]]


def test_a_missing_workbook_cell_reads_as_empty(corpus: Path) -> None:
    read = read_file(corpus / "django-import-export" / "books-empty-author-email.xlsx")
    assert read.sniffed.headers == BOOK
    assert read.cells == [["1", "Some book", "author@example.com"], ["2", "book2", None]]


def test_read_rows_alone_reads_a_corpus_workbook_like_sniff_then_read(corpus: Path) -> None:
    with read_rows(corpus / "csvkit-examples" / "sheets.xlsx") as reader:
        assert [row.cells for row in reader] == TEST_XLSX_ROWS
