"""Files that must be refused before anything risky happens, each with a clear message."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from propel_admin.parsing import FileRejected, read_rows, sniff, zipsafe
from propel_admin.parsing import messages as m
from propel_admin.parsing.limits import RATIO_MIN_BYTES, XML_PROLOG_BYTES

from .builders import DECLARATION, ole2_file, save, sheet_xml, write_xlsx

ROWS = [
    '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>',
    '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>Ann</t></is></c></row>',
]


def rejected(path: Path, name: str | None = None) -> tuple[str, str]:
    with pytest.raises(FileRejected) as caught:
        sniff(path, original_name=name or path.name)
    return caught.value.code, caught.value.message


def small_workbook(tmp_path: Path, name: str = "ok.xlsx") -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "name"])
    workbook.active.append([1, "Ann"])
    return save(workbook, tmp_path / name)


def test_a_member_with_an_extreme_compression_ratio_is_refused_unopened(tmp_path: Path) -> None:
    padding = " " * (RATIO_MIN_BYTES + 1024)  # deflates about 1000:1
    bomb = sheet_xml(ROWS).replace("<sheetData>", f"<sheetData>{padding}")
    path = write_xlsx(tmp_path / "bomb.xlsx", {"S": bomb})
    assert rejected(path) == ("zip_bomb", m.ZIP_BOMB)


def _lie_about_size(path: Path, member: str, size: int) -> None:
    """Rewrite the declared uncompressed size of `member` in both ZIP headers."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, info.header_offset + 22, size)
    name = member.encode()
    central = data.find(b"PK\x01\x02", 0)
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, size)
    path.write_bytes(bytes(data))


def test_a_member_that_inflates_past_its_declared_size_is_stopped(tmp_path: Path) -> None:
    """The ZIP directory lies (a bomb's trick): inflation stops at the declared size."""
    rows = [*ROWS, *(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(3, 5000))]
    path = write_xlsx(tmp_path / "liar.xlsx", {"S": sheet_xml(rows)})
    _lie_about_size(path, "xl/worksheets/sheet1.xml", 2000)
    with pytest.raises(FileRejected) as caught:
        sniff(path, "liar.xlsx")
    assert (caught.value.code, caught.value.message) == ("damaged", m.DAMAGED_WORKBOOK)


@pytest.mark.parametrize(
    ("limit", "value"),
    [("MAX_TOTAL_BYTES", 1000), ("MAX_MEMBER_BYTES", 1000), ("MAX_ZIP_MEMBERS", 3)],
)
def test_declared_sizes_and_member_counts_are_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str, value: int
) -> None:
    monkeypatch.setattr(zipsafe, limit, value)
    assert rejected(small_workbook(tmp_path)) == ("zip_bomb", m.ZIP_BOMB)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
)


@pytest.mark.parametrize(
    "part",
    ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "[Content_Types].xml", "xl/styles.xml"],
)
def test_an_xml_part_declaring_entities_is_refused(tmp_path: Path, part: str) -> None:
    path = write_xlsx(tmp_path / "e.xlsx", {"S": sheet_xml(ROWS)})
    with zipfile.ZipFile(path) as archive:
        original = archive.read(part).decode()
    parts = {part: original.replace(DECLARATION, BILLION_LAUGHS)}
    path = write_xlsx(tmp_path / "e.xlsx", {"S": sheet_xml(ROWS)}, replace=parts)
    assert rejected(path) == ("xml_entities", m.XML_ENTITIES)


def test_a_doctype_hidden_behind_a_long_comment_is_refused(tmp_path: Path) -> None:
    prolog = DECLARATION + "<!--" + "x" * XML_PROLOG_BYTES + "-->" + BILLION_LAUGHS[21:]
    path = write_xlsx(tmp_path / "c.xlsx", {"S": sheet_xml(ROWS, prolog=prolog)})
    assert rejected(path) == ("xml_entities", m.XML_ENTITIES)


def test_comments_and_declarations_before_the_root_are_fine(tmp_path: Path) -> None:
    prolog = DECLARATION + "<!-- made by hand --><?pi data?>\n"
    path = write_xlsx(tmp_path / "ok.xlsx", {"S": sheet_xml(ROWS, prolog=prolog)})
    assert sniff(path, "ok.xlsx").headers == ["id", "name"]


@pytest.mark.parametrize("name", ["books.xls", "books.xlsx", "books"])
def test_a_legacy_xls_workbook_is_refused(tmp_path: Path, name: str) -> None:
    path = ole2_file(tmp_path / name, ["Workbook", "\x05SummaryInformation"])
    assert rejected(path) == ("legacy_xls", m.LEGACY_XLS)


@pytest.mark.parametrize("streams", [["EncryptionInfo", "EncryptedPackage"], ["\x06DataSpaces"]])
def test_a_password_protected_workbook_is_refused(tmp_path: Path, streams: list[str]) -> None:
    path = ole2_file(tmp_path / "secret.xlsx", streams)
    if "EncryptedPackage" not in streams:  # names in a later directory sector
        path.write_bytes(path.read_bytes() + "EncryptedPackage".encode("utf-16-le"))
    assert rejected(path) == ("encrypted", m.ENCRYPTED)


def test_a_zip_level_encrypted_member_is_refused(tmp_path: Path) -> None:
    path = small_workbook(tmp_path)
    data = bytearray(path.read_bytes())
    position = data.find(b"PK\x01\x02")
    data[position + 8] |= 0x1  # "encrypted" flag in the first central directory entry
    path.write_bytes(bytes(data))
    assert rejected(path) == ("encrypted", m.ENCRYPTED)


def mismatch(name: str, expected: str, actual: str) -> tuple[str, str]:
    message = m.CONTENT_MISMATCH.format(name=name, expected=expected, actual=actual)
    return ("content_mismatch", message)


def test_a_workbook_named_csv_is_refused(tmp_path: Path) -> None:
    path = small_workbook(tmp_path, "contacts.csv")
    assert rejected(path) == mismatch("contacts.csv", m.EXPECT_TEXT, m.ACTUAL_ZIP)


@pytest.mark.parametrize(
    ("data", "actual"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "an image (PNG)"),
        (b"id,name\n1,Ann\n", m.ACTUAL_TEXT),
    ],
)
def test_other_content_named_xlsx_is_refused(tmp_path: Path, data: bytes, actual: str) -> None:
    path = tmp_path / "contacts.xlsx"
    path.write_bytes(data)
    assert rejected(path) == mismatch("contacts.xlsx", m.EXPECT_WORKBOOK, actual)


def test_an_old_office_file_named_csv_is_refused(tmp_path: Path) -> None:
    path = ole2_file(tmp_path / "contacts.csv", ["Workbook"])
    assert rejected(path) == mismatch("contacts.csv", m.EXPECT_TEXT, m.ACTUAL_OLE)


def test_empty_and_unsupported_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.touch()
    assert rejected(empty) == ("empty", m.EMPTY_FILE)
    assert rejected(small_workbook(tmp_path), "book.xlsb") == ("xlsb", m.XLSB)
    assert rejected(small_workbook(tmp_path), "book.numbers") == (
        "unsupported",
        m.UNSUPPORTED_TYPE.format(extension=".numbers"),
    )


def test_other_zip_packages_named_xlsx_are_refused(tmp_path: Path) -> None:
    ods = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert rejected(ods) == ("ods", m.ODS)
    plain = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert rejected(plain) == ("not_a_workbook", m.NOT_A_WORKBOOK)
    document = write_xlsx(
        tmp_path / "doc.xlsx",
        {"S": sheet_xml(ROWS)},
        replace={"xl/workbook.xml": '<document xmlns="urn:x"><body/></document>'},
    )
    assert rejected(document) == ("not_a_workbook", m.NOT_A_WORKBOOK)


def test_a_truncated_workbook_is_refused(tmp_path: Path) -> None:
    path = small_workbook(tmp_path)
    path.write_bytes(path.read_bytes()[:-200])
    assert rejected(path) == ("damaged", m.DAMAGED_WORKBOOK)


def test_a_corrupted_part_is_found_before_calamine_reads_it(tmp_path: Path) -> None:
    rows = [*ROWS, *(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(3, 3000))]
    path = write_xlsx(tmp_path / "bad.xlsx", {"S": sheet_xml(rows)})
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(path.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + info.compress_size - 40] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(FileRejected) as caught:
        list(read_rows(path))
    assert (caught.value.code, caught.value.message) == ("damaged", m.DAMAGED_WORKBOOK)
