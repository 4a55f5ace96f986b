"""Workbooks: package checks, the sheet list, head records and full reads with calamine.

calamine (Rust) reads about ten times faster than openpyxl but loads the whole sheet, so
it is used for the full read (the background job) only; sniffing and previews use the
streaming head reader. Before calamine sees the file every part is inflated once here,
bounded and CRC-checked, so a ZIP that lies about its sizes never reaches it.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, WorksheetNotFound

from . import messages
from .cells import column_index, convert_row
from .limits import MAX_COLUMNS
from .report import ReadReport
from .types import FileRejected, Record
from .workbook import SharedStrings, SheetPart, read_date_styles, read_parts
from .xlsx_head import SheetContext, head_records
from .zipsafe import check_prologs, damaged, member_chunks, open_archive

# A cell reference beyond column SF (MAX_COLUMNS = 500): calamine would allocate every
# row that wide, so such a sheet is refused before calamine opens it.
# Starts with the literal `r=` so the regex engine can scan fast; the byte before must be
# white space (checked in code: a leading \s made this scan 5x slower).
WIDE_REFERENCE = re.compile(rb'r=["\']((?:[A-Z]{3}|[T-Z][A-Z]|S[G-Z]))[0-9]')
ERROR_CELL = re.compile(rb"<(?:\w+:)?c\s[^>]*?\bt=[\"']e[\"'][^>]*(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
REFERENCE = re.compile(rb"\br=[\"']([A-Z]+[0-9]+)[\"']")
CACHED_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)<")


class Workbook:
    """An XLSX package whose directory and XML prologs have been checked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._strings: SharedStrings | None = None
        self.archive = open_archive(path)
        try:
            _check_package(self.archive)
            check_prologs(path, self.archive.infolist())
            with xml_errors():
                self.parts = read_parts(path, self.archive)
                self.date_styles = read_date_styles(path, self.archive, self.parts.styles)
        except BaseException:
            self.archive.close()
            raise

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def worksheets(self) -> list[SheetPart]:
        return [sheet for sheet in self.parts.sheets if sheet.part]

    def sheet(self, name: str) -> SheetPart:
        for sheet in self.worksheets:
            if sheet.name == name:
                return sheet
        names = ", ".join(f"“{s.name}”" for s in self.worksheets)
        raise FileRejected(
            messages.SHEET_NOT_FOUND.format(sheet=name, names=names), code="bad_option"
        )

    def head_records(self, sheet: SheetPart, report: ReadReport) -> Generator[Record]:
        """The sheet's rows from the top, parsing only as far as they are consumed."""
        assert sheet.part is not None
        if self._strings is None:  # shared by all sheets, parsed as far as needed
            self._strings = SharedStrings(self.path, self.archive, self.parts.shared_strings)
        context = SheetContext(self._strings, self.date_styles, self.parts.date1904)
        with xml_errors():
            yield from head_records(self.path, self.archive.getinfo(sheet.part), context, report)

    def full_records(self, sheet: SheetPart, report: ReadReport) -> Iterator[Record]:
        """Every row of the sheet through calamine, after verifying the whole package."""
        assert sheet.part is not None
        self._verify(sheet.part, report)
        return calamine_records(self.path, sheet.name, report)

    def _verify(self, sheet_part: str, report: ReadReport) -> None:
        """Inflate every part once (size and CRC checked); scan the sheet for error cells."""
        for info in self.archive.infolist():
            chunks = member_chunks(self.path, info)
            if info.filename == sheet_part:
                scan_sheet(chunks, report)
            else:
                for _ in chunks:
                    pass


def scan_sheet(chunks: Iterator[bytes], report: ReadReport) -> None:
    """Error cells (calamine reads them as empty) and references beyond MAX_COLUMNS."""
    pending = b""
    for chunk in chunks:
        data = pending + chunk
        cut = data.rfind(b"row>") + 4 if b"row>" in data else 0  # scan whole rows only
        _scan_segment(data[:cut], report)
        pending = data[cut:]
    _scan_segment(pending, report)


def _scan_segment(segment: bytes, report: ReadReport) -> None:
    wide = next(
        (
            m
            for m in WIDE_REFERENCE.finditer(segment)
            if m.start() and segment[m.start() - 1] in b" \t\r\n"
        ),
        None,
    )
    if wide:
        count = column_index(wide.group(1).decode()) + 1
        raise FileRejected(
            messages.TOO_MANY_COLUMNS.format(where="The sheet", count=count, limit=MAX_COLUMNS),
            code="too_many_columns",
        )
    if b't="e"' not in segment and b"t='e'" not in segment:
        return
    for match in ERROR_CELL.finditer(segment):
        reference = REFERENCE.search(match.group(0))
        value = CACHED_VALUE.search(match.group(1))
        name = reference.group(1).decode() if reference else "?"
        code = value.group(1).decode(errors="replace") if value else "#ERROR"
        report.excel_errors.add(f"{name} ({code})")


def calamine_records(path: Path, sheet_name: str, report: ReadReport) -> Iterator[Record]:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise FileRejected(messages.ENCRYPTED, code="encrypted") from None
    except CalamineError:
        raise damaged() from None
    with workbook:
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
        except WorksheetNotFound:
            raise FileRejected(
                messages.SHEET_NOT_FOUND.format(sheet=sheet_name, names=""), code="bad_option"
            ) from None
        except CalamineError:
            raise damaged() from None
        start = sheet.start
        if start is None:
            return
        offset = start[1]
        for number, values in enumerate(sheet.iter_rows(), start=1):
            cells, dates = convert_row(values, number, offset, report)
            yield Record(number, cells, dates)


def _check_package(archive: zipfile.ZipFile) -> None:
    names = archive.NameToInfo
    if "mimetype" in names and "content.xml" in names:
        raise FileRejected(messages.ODS, code="ods")
    if "xl/workbook.bin" in names:
        raise FileRejected(messages.XLSB, code="xlsb")
    if "[Content_Types].xml" not in names:
        raise FileRejected(messages.NOT_A_WORKBOOK, code="not_a_workbook")


@contextmanager
def xml_errors() -> Iterator[None]:
    """XML that cannot be parsed means a damaged workbook; a DTD means an unsafe one."""
    try:
        yield
    except ParseError:
        raise damaged() from None
    except DefusedXmlException:
        raise FileRejected(messages.XML_ENTITIES, code="xml_entities") from None
