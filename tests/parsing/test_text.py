"""CSV and other text files: encodings, delimiters, header rows, ragged rows, limits."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest

from propel_admin.parsing import FileRejected, ReadOptions, RenamedHeader, read_rows, sniff, table
from propel_admin.parsing import messages as m
from propel_admin.parsing.limits import HEAD_BYTES, MAX_CELL_CHARS, MAX_COLUMNS

from .conftest import FILES, read_file

WINDOWS_1252 = "Windows-1252 (Western European)"


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def rejection(path: Path, name: str | None = None, **options: object) -> tuple[str, str]:
    with pytest.raises(FileRejected) as caught:
        sniff(path, original_name=name or path.name, options=ReadOptions(**options))  # type: ignore[arg-type]
    return caught.value.code, caught.value.message


def test_semicolon_latin1_export_with_a_title_block() -> None:
    read = read_file(FILES / "semicolon_latin1_title.csv")
    sniffed = read.sniffed
    assert (sniffed.encoding, sniffed.delimiter, sniffed.header_row) == ("cp1252", ";", 4)
    assert sniffed.headers == ["Klantnummer", "Naam", "E-mail", "Plaats"]
    assert read.cells == [
        ["00123", "Müller, Jörg", "jorg@example.de", "Köln"],
        ["00124", "Françoise Dupré", "f.dupre@example.fr", "Besançon"],
        ["00125", "Ærø Ågård", "aero@example.dk", "Århus"],
    ]
    assert read.numbers == [5, 6, 7]
    assert sniffed.warnings == [
        m.ENCODING_GUESSED.format(label=WINDOWS_1252),
        m.ROWS_ABOVE_HEADER.format(rows="1, 2"),
    ]
    assert sniffed.options == ReadOptions("csv", "cp1252", ";", None, 4)


def test_utf16_tab_separated_text_from_excel() -> None:
    read = read_file(FILES / "utf16le_tabs.txt")
    assert (read.sniffed.encoding, read.sniffed.delimiter) == ("utf-16", "\t")
    assert read.sniffed.headers == ["Name", "Email", "City"]
    assert read.cells == [
        ["Zoë Ñandú", "zoe@example.com", "Zürich"],
        ["Łukasz", "l@example.pl", "Łódź"],
    ]


@pytest.mark.parametrize(
    ("codec", "expected"), [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be")]
)
def test_utf16_without_a_bom_is_recognised_by_its_nul_bytes(
    tmp_path: Path, codec: str, expected: str
) -> None:
    path = write(tmp_path, "u.csv", "id,name\n1,Zoë\n2,Ann\n".encode(codec))
    read = read_file(path)
    assert read.sniffed.encoding == expected
    assert read.cells == [["1", "Zoë"], ["2", "Ann"]]


def test_cr_only_line_endings_and_row_numbers_count_embedded_line_breaks() -> None:
    read = read_file(FILES / "cr_only.csv")
    assert read.sniffed.headers == ["id", "name", "note"]
    assert read.cells == [["1", "Ann", "two\rlines"], ["2", "Bob", "plain"]]
    assert read.numbers == [2, 4]


def test_ragged_rows_are_kept_and_reported_with_their_line_numbers() -> None:
    read = read_file(FILES / "ragged.csv")
    assert read.cells == [
        ["1", "Ann", "ann@example.com"],
        ["2", "Bob", None],
        ["3", "Cy", "cy@example.com"],
        ["4", "Di", "di@example.com"],
    ]
    assert [row.extra for row in read.rows] == [[], [], ["extra", "more"], []]
    assert read.numbers == [2, 3, 4, 6]
    assert read.warnings == [
        m.SHORT_ROWS.format(rows="3"),
        m.LONG_ROWS.format(rows="4"),
        m.BLANK_ROWS.format(count=1),
    ]


def test_many_ragged_rows_are_listed_briefly(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "a,b,c\n" + "1,2\n" * 25)
    with read_rows(path) as reader:
        list(reader)
    assert reader.warnings == [
        m.SHORT_ROWS.format(rows="2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 15 more")
    ]


def test_a_file_with_many_nul_bytes_is_not_text(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", b"id,name\n" + b"\x00\x01\x02\x00" * 100)
    assert rejection(path) == ("not_text", m.NOT_TEXT)


def test_random_binary_data_is_not_text(tmp_path: Path) -> None:
    path = write(tmp_path, "noise.csv", random.Random(7).randbytes(20_000))
    assert rejection(path) == ("not_text", m.NOT_TEXT)


def test_bytes_that_are_not_utf8_beyond_the_sample_are_read_as_windows_1252(
    tmp_path: Path,
) -> None:
    ascii_rows = "".join(f"{i},Name {i}\n" for i in range(HEAD_BYTES // 8))
    path = write(tmp_path, "late.csv", b"id,name\n" + ascii_rows.encode() + b"9,Caf\xe9\n")
    read = read_file(path)
    assert read.sniffed.encoding == "utf-8"
    assert read.rows[-1].cells == ["9", "Café"]
    assert read.warnings == [m.BAD_BYTES.format(label="UTF-8", count=1)]


def test_the_encoding_can_be_chosen_by_the_operator() -> None:
    path = FILES / "semicolon_latin1_title.csv"
    read = read_file(path, options=ReadOptions(encoding="latin-1"))
    assert read.sniffed.encoding == "iso8859-1"
    assert read.cells[2][1] == "Ærø Ågård"
    assert read.sniffed.warnings == [m.ROWS_ABOVE_HEADER.format(rows="1, 2")]


def test_bytes_the_chosen_encoding_cannot_read_are_counted_in_the_preview() -> None:
    path = FILES / "semicolon_latin1_title.csv"
    sniffed = sniff(path, path.name, ReadOptions(encoding="utf-8"))
    assert sniffed.preview[2].cells[1] == "Ærø Ågård"  # read as Windows-1252 after all
    assert sniffed.warnings[-1] == m.BAD_BYTES.format(label="UTF-8", count=11)


def test_an_unknown_encoding_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "a,b\n1,2\n")
    expected = m.UNKNOWN_ENCODING.format(encoding="klingon")
    assert rejection(path, encoding="klingon") == ("bad_option", expected)


def test_utf8_chosen_by_the_operator_still_drops_the_bom(corpus: Path) -> None:
    path = corpus / "csvkit-examples" / "test_utf8_bom.csv"
    read = read_file(path, options=ReadOptions(encoding="UTF-8"))
    assert read.sniffed.headers == ["foo", "bar", "baz"]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a|b|c\n1|2|3\n", "|"),
        ("name;city\nJan, Piet;Delft\nAnn;Gouda, Zuid\n", ";"),
        ('name,note\n"Jan; Piet","a;b"\nAnn,"c;d"\n', ","),
        ("Contacts export\n\nid\tname\tcity\n1\tAnn\tDelft\n2\tBob\tGouda\n", "\t"),
        ("just one column\nvalue\n", ","),
    ],
)
def test_the_delimiter_is_the_one_most_rows_agree_on(
    tmp_path: Path, text: str, delimiter: str
) -> None:
    assert sniff(write(tmp_path, "d.csv", text), "d.csv").delimiter == delimiter


def test_the_delimiter_can_be_chosen_by_the_operator(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a;b,c\n1;2,3\n")
    read = read_file(path, options=ReadOptions(delimiter=";"))
    assert (read.sniffed.headers, read.cells) == (["a", "b,c"], [["1", "2,3"]])
    assert rejection(path, delimiter="ab") == ("bad_option", m.BAD_DELIMITER.format(delimiter="ab"))


def test_a_tsv_name_prefers_tabs_when_nothing_else_decides(tmp_path: Path) -> None:
    assert (
        sniff(write(tmp_path, "one.tsv", "email\nann@example.com\n"), "one.tsv").delimiter == "\t"
    )


def test_rows_of_data_without_a_header_get_column_names(tmp_path: Path) -> None:
    path = write(tmp_path, "n.csv", "1001,Ann,ann@example.com\n1002,Bob,bob@example.com\n")
    read = read_file(path)
    assert read.sniffed.headers == ["Column 1", "Column 2", "Column 3"]
    assert (read.sniffed.header_row, read.numbers) == (0, [1, 2])
    assert read.sniffed.warnings == [m.NO_HEADER_ROW.format(count=3)]


def test_empty_and_repeated_column_names_are_made_unique(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "Email,,Name,email,Column 2\nx@y.z,1,Ann,a@b.c,2\n")
    sniffed = read_file(path).sniffed
    assert sniffed.headers == ["Email", "Column 2 (2)", "Name", "email (2)", "Column 2"]
    assert sniffed.renamed_headers == [
        RenamedHeader(2, "", "Column 2 (2)"),
        RenamedHeader(4, "email", "email (2)"),
    ]
    changes = "; ".join(
        [
            m.RENAMED_EMPTY.format(position=2, new="Column 2 (2)"),
            m.RENAMED_DUPLICATE.format(old="email", position=4, new="email (2)"),
        ]
    )
    assert sniffed.warnings == [m.RENAMED_HEADERS.format(changes=changes)]


def test_data_wider_than_its_header_gets_a_named_column(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "Name,Email\nAnn,a@b.c,note 1\nBob,b@c.d,note 2\n")
    read = read_file(path)
    assert read.sniffed.headers == ["Name", "Email", "Column 3"]
    assert read.cells == [["Ann", "a@b.c", "note 1"], ["Bob", "b@c.d", "note 2"]]


def test_the_header_row_can_be_chosen_by_the_operator(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "Report\nid,name\n1,Ann\n")
    read = read_file(path, options=ReadOptions(header_row=1))
    assert (read.sniffed.headers, read.cells) == (
        ["Report", "Column 2"],
        [["id", "name"], ["1", "Ann"]],
    )
    none = read_file(path, options=ReadOptions(header_row=0))
    assert none.sniffed.headers == ["Column 1", "Column 2"]
    assert none.numbers == [1, 2, 3]


def test_a_header_row_beyond_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "id,name\n1,Ann\n\n")
    expected = m.HEADER_ROW_NOT_FOUND.format(row=3)
    assert rejection(path, header_row=3) == ("bad_option", expected)


def test_a_header_without_data_rows_is_read_and_said(tmp_path: Path) -> None:
    read = read_file(write(tmp_path, "h.csv", "id,name,email\n"))
    assert (read.sniffed.headers, read.rows) == (["id", "name", "email"], [])
    assert read.sniffed.warnings == read.warnings == [m.NO_DATA_ROWS]


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b"", "empty", m.EMPTY_FILE),
        (b"\r\n\r\n  \n,,\n", "no_content", m.NO_CONTENT),
    ],
)
def test_empty_files_are_refused(tmp_path: Path, data: bytes, code: str, message: str) -> None:
    assert rejection(write(tmp_path, "e.csv", data)) == (code, message)


def test_too_many_columns_are_refused(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1))
    path = write(tmp_path, "wide.csv", header + "\n")
    expected = m.TOO_MANY_COLUMNS.format(where="Row 1", count=MAX_COLUMNS + 1, limit=MAX_COLUMNS)
    assert rejection(path) == ("too_many_columns", expected)


def test_a_cell_longer_than_excel_allows_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "long.csv", "id,note\n1,ok\n2," + "x" * (MAX_CELL_CHARS + 1) + "\n")
    expected = m.CELL_TOO_LONG.format(where="Row 3", limit=MAX_CELL_CHARS)
    with pytest.raises(FileRejected) as caught, read_rows(path) as reader:
        list(reader)
    assert caught.value.message == expected


def test_an_unclosed_quote_is_refused_once_it_swallows_too_much(tmp_path: Path) -> None:
    rows = "".join(f"{i},Name {i}\n" for i in range(5000))
    path = write(tmp_path, "q.csv", 'id,name\n1,"Ann\n' + rows)
    expected = m.CELL_TOO_LONG.format(where="Row 2", limit=MAX_CELL_CHARS)
    with pytest.raises(FileRejected) as caught, read_rows(path) as reader:
        list(reader)
    assert caught.value.message == expected


def test_more_rows_than_the_limit_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(table, "MAX_ROWS", 3)
    path = write(tmp_path, "many.csv", "id\n1\n2\n3\n4\n")
    with pytest.raises(FileRejected) as caught, read_rows(path) as reader:
        list(reader)
    assert caught.value.message == m.TOO_MANY_ROWS.format(limit=3)


def test_sniff_reads_only_the_head_of_a_large_file(tmp_path: Path) -> None:
    rows = "".join(f"{i},name {i}\n" for i in range(10_000))  # more than the 64 KiB head
    path = write(tmp_path, "big.csv", "id,name\n" + rows)
    with open(path, "r+b") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB of NUL bytes after the rows
    sniffed = sniff(path, "big.csv")
    assert len(sniffed.preview) == 20
    assert sniffed.warnings == []  # the NUL bytes were never read


def _peak_while_reading(path: Path) -> int:
    with read_rows(path, ReadOptions("csv", "utf-8", ",", None, 1)) as reader:
        rows = iter(reader)
        next(rows)
        tracemalloc.start()
        try:
            for _ in rows:
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_reading_streams_in_constant_memory(tmp_path: Path) -> None:
    line = "{0},First{0},Last{0},user{0}@example.com,+31 6 {0:08d},Street {0},Delft\n"
    sizes = {}
    for count in (5_000, 20_000):
        path = write(
            tmp_path,
            f"{count}.csv",
            "a,b,c,d,e,f,g\n" + "".join(line.format(i) for i in range(count)),
        )
        sizes[count] = _peak_while_reading(path)
    assert sizes[20_000] < 256 * 1024
    assert sizes[20_000] < sizes[5_000] * 1.5 + 32 * 1024


def test_options_survive_a_round_trip_through_a_dict() -> None:
    options = ReadOptions("csv", "cp1252", ";", None, 4)
    assert ReadOptions.from_dict(options.to_dict()) == options
    with pytest.raises(FileRejected) as caught:
        ReadOptions.from_dict({"header_row": True})
    assert caught.value.message == m.BAD_HEADER_ROW
    with pytest.raises(FileRejected) as caught:
        ReadOptions.from_dict({"format": "pdf"})
    assert caught.value.message == m.BAD_FORMAT.format(format="pdf")
