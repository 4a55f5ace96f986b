"""Test fixtures built in code: workbooks (openpyxl or hand-written XML), OLE2 headers."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def save(workbook: openpyxl.Workbook, path: Path) -> Path:
    workbook.save(path)
    return path


def sheet_xml(rows: Sequence[str], *, prolog: str = DECLARATION) -> str:
    """A worksheet part whose <sheetData> holds the given <row> elements."""
    return f'{prolog}<worksheet xmlns="{MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>'


def write_xlsx(
    path: Path,
    sheets: Mapping[str, str],
    *,
    shared_strings: Sequence[str] = (),
    styles: str | None = None,
    date1904: bool = False,
    hidden: Sequence[str] = (),
    replace: Mapping[str, str] | None = None,
) -> Path:
    """A minimal XLSX package written part by part (for what openpyxl cannot write).

    Shared strings are plain text, or raw `<si>...</si>` XML (rich text, phonetic runs).
    """
    states = {name: ' state="hidden"' if name in hidden else "" for name in sheets}
    sheet_entries = "".join(
        f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"{states[name]}/>'
        for i, name in enumerate(sheets, start=1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    n = len(sheets)
    rels += f'<Relationship Id="rId{n + 1}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    rels += f'<Relationship Id="rId{n + 2}" Type="{REL}/styles" Target="styles.xml"/>'
    strings = "".join(
        s if s.startswith("<si>") else f"<si><t>{escape(s)}</t></si>" for s in shared_strings
    )
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": f'{DECLARATION}<Relationships xmlns="{PACKAGE_REL}"><Relationship '
        f'Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'{DECLARATION}<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
        f'<workbookPr date1904="{int(date1904)}"/><sheets>{sheet_entries}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'{DECLARATION}<Relationships xmlns="{PACKAGE_REL}">'
        f"{rels}</Relationships>",
        "xl/sharedStrings.xml": f'{DECLARATION}<sst xmlns="{MAIN}">{strings}</sst>',
        "xl/styles.xml": styles or STYLES,
    }
    for i, xml in enumerate(sheets.values(), start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = xml
    parts.update(replace or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


CONTENT_TYPES = (
    f"{DECLARATION}"
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
)
# Style 0: general; 1: a built-in date (14); 2: a custom date format; 3: [h]:mm duration.
STYLES = (
    f'{DECLARATION}<styleSheet xmlns="{MAIN}"><numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="dd/mm/yyyy;@"/><numFmt numFmtId="165" '
    'formatCode="[h]:mm"/></numFmts><cellXfs count="4"><xf numFmtId="0"/>'
    '<xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/></cellXfs></styleSheet>'
)


def ole2_file(path: Path, stream_names: Sequence[str]) -> Path:
    """An OLE2 (compound file) header plus one directory sector naming the given streams."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HH", header, 0x1A, 0x3E, 3)  # minor, major version
    struct.pack_into("<HH", header, 0x1C, 0xFFFE, 9)  # byte order, sector shift (512)
    struct.pack_into("<i", header, 0x30, 0)  # first directory sector
    directory = bytearray(512)
    for index, name in enumerate(["Root Entry", *stream_names][:4]):
        encoded = (name + "\x00").encode("utf-16-le")
        directory[index * 128 : index * 128 + len(encoded)] = encoded
        struct.pack_into("<H", directory, index * 128 + 64, len(encoded))
    path.write_bytes(bytes(header) + bytes(directory) + b"\x00" * 1024)
    return path
