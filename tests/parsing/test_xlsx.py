"""Workbooks: sheet choice, title blocks, dates, numbers, errors, formulas, consistency."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from propel_admin.parsing import FileRejected, ReadOptions, SheetInfo, read_rows, sniff, xlsx
from propel_admin.parsing import messages as m
from propel_admin.parsing.cells import column_index
from propel_admin.parsing.limits import MAX_COLUMNS
from propel_admin.parsing.report import ReadReport
from propel_admin.parsing.table import is_blank

from .builders import save, sheet_xml, write_xlsx
from .conftest import read_file

HEADER = ["Id", "Name", "Email", "Joined", "Status", "Postal code", "Active"]


def contacts_workbook(path: Path, *, epoch: dt.datetime | None = None) -> Path:
    """A "Read me" sheet, then contacts below a title block, with the usual oddities."""
    workbook = openpyxl.Workbook()
    if epoch is not None:
        workbook.epoch = epoch
    notes = workbook.active
    notes.title = "Read me"
    notes.append(["This export holds our contacts."])
    notes.append(["Do not change the column order."])
    sheet = workbook.create_sheet("Contacts")
    sheet.append(["Contacts export"])
    sheet.append(["Exported on 2024-05-01"])
    sheet.append([])
    sheet.append(HEADER)
    sheet.append([12345.0, "Ann", "ann@example.com", dt.date(2020, 1, 2), "#N/A", "00123", True])
    sheet.append(
        [12346.0, "Bob", "bob@example.com", dt.datetime(2021, 3, 4, 5, 6, 7), "ok", "01234", False]
    )
    sheet.append([])
    sheet.append([12345678901234567.0, "Cy", "cy@example.com", None, 1.5, "0042", None])
    return save(workbook, path)


EXPECTED_ROWS = [
    ["12345", "Ann", "ann@example.com", "2020-01-02", None, "00123", "TRUE"],
    ["12346", "Bob", "bob@example.com", "2021-03-04 05:06:07", "ok", "01234", "FALSE"],
    # openpyxl stores 15-16 significant digits: the file itself holds ...4570.
    ["12345678901234570", "Cy", "cy@example.com", None, "1.5", "0042", None],
]


@pytest.mark.parametrize("epoch", [None, CALENDAR_MAC_1904], ids=["1900", "1904"])
def test_contacts_below_a_title_block_after_a_notes_sheet(
    tmp_path: Path, epoch: dt.datetime | None
) -> None:
    read = read_file(contacts_workbook(tmp_path / "c.xlsx", epoch=epoch))
    sniffed = read.sniffed
    assert sniffed.sheets == [
        SheetInfo("Read me", hidden=False, looks_like_table=False),
        SheetInfo("Contacts", hidden=False, looks_like_table=True),
    ]
    assert (sniffed.sheet, sniffed.header_row, sniffed.headers) == ("Contacts", 4, HEADER)
    assert read.cells == EXPECTED_ROWS
    assert read.numbers == [5, 6, 8]
    assert [row.date_cells for row in read.rows] == [(3,), (3,), ()]
    errors = m.EXCEL_ERRORS.format(cells="E5 (#N/A)")
    long_numbers = m.LONG_NUMBERS.format(cells="A8")
    title = m.ROWS_ABOVE_HEADER.format(rows="1, 2")
    assert read.warnings == [title, errors, long_numbers, m.BLANK_ROWS.format(count=1)]
    chosen = m.SHEET_CHOSEN.format(count=2, sheet="Contacts")
    assert sniffed.warnings == [chosen, *read.warnings]


def test_a_hidden_sheet_is_listed_but_not_chosen(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    hidden = workbook.active
    hidden.title = "Lookup"
    hidden.sheet_state = "hidden"
    for row in (["Code", "Label"], ["NL", "Netherlands"], ["BE", "Belgium"]):
        hidden.append(row)
    visible = workbook.create_sheet("People")
    for row in (["Name", "Email"], ["Ann", "ann@example.com"], ["Bob", "bob@example.com"]):
        visible.append(row)
    read = read_file(save(workbook, tmp_path / "h.xlsx"))
    assert read.sniffed.sheets == [
        SheetInfo("Lookup", hidden=True, looks_like_table=True),
        SheetInfo("People", hidden=False, looks_like_table=True),
    ]
    assert (read.sniffed.sheet, read.cells[0]) == ("People", ["Ann", "ann@example.com"])
    hidden_read = read_file(tmp_path / "h.xlsx", options=ReadOptions(sheet="Lookup"))
    assert hidden_read.cells == [["NL", "Netherlands"], ["BE", "Belgium"]]


def test_a_macro_enabled_workbook_reads_like_any_other(tmp_path: Path) -> None:
    path = contacts_workbook(tmp_path / "c.xlsx").rename(tmp_path / "contacts.xlsm")
    read = read_file(path)
    assert (read.sniffed.format, read.sniffed.headers, read.cells) == (
        "xlsx",
        HEADER,
        EXPECTED_ROWS,
    )


def test_an_unknown_sheet_is_refused(tmp_path: Path) -> None:
    path = contacts_workbook(tmp_path / "c.xlsx")
    with pytest.raises(FileRejected) as caught:
        sniff(path, "c.xlsx", ReadOptions(sheet="Nope"))
    names = "“Read me”, “Contacts”"
    assert caught.value.message == m.SHEET_NOT_FOUND.format(sheet="Nope", names=names)


def test_a_workbook_with_only_empty_sheets_is_refused(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.create_sheet("Other")
    with pytest.raises(FileRejected) as caught:
        sniff(save(workbook, tmp_path / "e.xlsx"), "e.xlsx")
    assert (caught.value.code, caught.value.message) == ("no_content", m.EMPTY_WORKBOOK)


def handmade(tmp_path: Path) -> Path:
    """Formulas with cached values, shared and rich strings, custom date and duration formats."""
    rows = [
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="inlineStr"><is><t>Total</t></is></c><c r="D1" t="s"><v>2</v></c>'
        '<c r="E1" t="s"><v>3</v></c><c r="F1" t="s"><v>4</v></c></row>',
        '<row r="2"><c r="A2"><v>12</v></c><c r="B2" t="s"><v>5</v></c>'
        '<c r="C2"><f>A2*2</f><v>24</v></c><c r="D2" s="2"><v>45325</v></c>'
        '<c r="E2" s="3"><v>1.25</v></c><c r="F2" t="str"><f>B2&amp;"!"</f><v>Ann!</v></c></row>',
        '<row r="3"><c r="A3"><v>0.1</v></c><c r="B3" t="inlineStr"><is><r><t>Bo</t></r>'
        '<r><rPr><b/></rPr><t>b_x000D_</t></r></is></c><c r="C3" t="e"><f>1/0</f>'
        '<v>#DIV/0!</v></c><c r="D3" s="1"><v>0.5</v></c><c r="E3"><f>E2*2</f></c>'
        '<c r="F3" t="b"><v>1</v></c></row>',
        '<row r="4"><c r="A4" t="d"><v>2024-01-02T10:11:12</v></c><c r="B4" t="inlineStr"><is>'
        '<t>Kei</t><rPh sb="0" eb="1"><t>KE</t></rPh></is></c><c r="C4" t="s"><v>6</v></c>'
        '<c r="D4" t="d"><v>2024-01-02</v></c></row>',
    ]
    phonetic = '<si><t>Yu</t><rPh sb="0" eb="1"><t>YU</t></rPh></si>'
    strings = ["Amount", "Name", "Signed", "Duration", "Note", "Ann", phonetic]
    return write_xlsx(tmp_path / "hand.xlsx", {"Data": sheet_xml(rows)}, shared_strings=strings)


def test_cached_formula_values_and_cell_types_from_handwritten_xml(tmp_path: Path) -> None:
    read = read_file(handmade(tmp_path))
    assert read.sniffed.headers == ["Amount", "Name", "Total", "Signed", "Duration", "Note"]
    assert read.cells == [
        ["12", "Ann", "24", "2024-02-03", "30:00:00", "Ann!"],
        ["0.1", "Bob\r", None, "12:00:00", None, "TRUE"],
        ["2024-01-02 10:11:12", "Kei", "Yu", "2024-01-02", None, None],
    ]
    assert [row.date_cells for row in read.rows] == [(3,), (), (0, 3)]
    assert read.warnings == [m.EXCEL_ERRORS.format(cells="C3 (#DIV/0!)")]


def test_a_sheet_wider_than_the_limit_is_refused_before_calamine_loads_it(tmp_path: Path) -> None:
    rows = [
        f'<row r="{i}"><c r="A{i}"><v>{i}</v></c><c r="B{i}"><v>{i}</v></c></row>'
        for i in range(2, 60)
    ]
    header = (
        '<c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="inlineStr"><is><t>b</t></is></c>'
    )
    rows.insert(0, f'<row r="1">{header}</row>')
    rows.append('<row r="60"><c r="SG60"><v>1</v></c></row>')
    path = write_xlsx(tmp_path / "wide.xlsx", {"S": sheet_xml(rows)})
    sniffed = sniff(path, "wide.xlsx")  # the far cell is beyond the head
    assert column_index("SG") + 1 == MAX_COLUMNS + 1
    with pytest.raises(FileRejected) as caught:
        read_rows(path, sniffed.options)
    expected = m.TOO_MANY_COLUMNS.format(
        where="The sheet", count=MAX_COLUMNS + 1, limit=MAX_COLUMNS
    )
    assert caught.value.message == expected


def test_sniffing_never_loads_a_whole_sheet_with_calamine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("calamine loads whole sheets; sniff must stream the head")

    monkeypatch.setattr(xlsx.CalamineWorkbook, "from_path", refuse)
    sniffed = sniff(contacts_workbook(tmp_path / "c.xlsx"), "c.xlsx")
    assert sniffed.headers == HEADER


def _records(
    path: Path, sheet_name: str, *, head: bool
) -> list[tuple[int, list[str | None], tuple[int, ...]]]:
    with xlsx.Workbook(path) as workbook:
        sheet = workbook.sheet(sheet_name)
        read = workbook.head_records if head else workbook.full_records
        records = read(sheet, ReadReport())
        return [tuple(r) for r in records if not is_blank(r.cells)]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("build", "sheet"),
    [
        (lambda tmp: contacts_workbook(tmp / "c.xlsx"), "Contacts"),
        (lambda tmp: contacts_workbook(tmp / "c.xlsx", epoch=CALENDAR_MAC_1904), "Contacts"),
        (handmade, "Data"),
    ],
    ids=["contacts-1900", "contacts-1904", "handmade"],
)
def test_the_head_reader_gives_what_calamine_gives(tmp_path: Path, build, sheet: str) -> None:  # type: ignore[no-untyped-def]
    path = build(tmp_path)
    assert _records(path, sheet, head=True) == _records(path, sheet, head=False)


@pytest.mark.parametrize(
    ("name", "sheet"),
    [
        ("csvkit-examples/test.xlsx", "Sheet1"),
        ("csvkit-examples/sheets.xlsx", "data"),
        ("csvkit-examples/test_skip_lines.xlsx", "Sheet1"),
        ("django-import-export/books.xlsx", "books"),
        ("django-import-export/books-empty-author-email.xlsx", "books"),
    ],
)
def test_the_head_reader_agrees_with_calamine_on_the_corpus(
    corpus: Path, name: str, sheet: str
) -> None:
    path = corpus / name
    assert _records(path, sheet, head=True) == _records(path, sheet, head=False)
