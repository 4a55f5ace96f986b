"""The parts of an XLSX package: sheets, date system, date styles, shared strings.

Parsed with defusedxml (DTDs forbidden) from bounded streams, so reading the head of a
sheet never inflates more of the file than it needs.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from defusedxml.ElementTree import iterparse

from . import messages
from .types import FileRejected
from .zipsafe import damaged, member_chunks

BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47})
BUILTIN_DURATION_FORMATS = frozenset({46})
ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")  # OOXML's way to store control characters
DATE_LETTERS = frozenset("dmyhsDMYHS")
ELAPSED = re.compile(r"^\[(h+|m+|s+)\]$", re.I)


@dataclass(frozen=True, slots=True)
class SheetPart:
    name: str
    hidden: bool
    part: str | None  # the worksheet's ZIP member; None for chart or dialog sheets


@dataclass(frozen=True, slots=True)
class WorkbookParts:
    sheets: list[SheetPart]
    date1904: bool
    shared_strings: str | None
    styles: str | None


class _Stream:
    """A file-like view of a ZIP member's bounded chunks (what iterparse reads from)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = b""
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes from the current chunk (iterparse reads until b"")."""
        if self.offset >= len(self.buffer):
            self.buffer, self.offset = next(self.chunks, b""), 0
        end = len(self.buffer) if size < 0 else self.offset + size
        data = self.buffer[self.offset : end]
        self.offset += len(data)
        return data


def local(tag: str) -> str:
    """'{namespace}row' -> 'row' (transitional and strict OOXML use different namespaces)."""
    return tag.rpartition("}")[2]


def unescape(text: str) -> str:
    return ESCAPED_CHAR.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def iter_elements(path: Path, info: zipfile.ZipInfo, events: tuple[str, ...] = ("end",)) -> Any:
    """(event, element) pairs from one XML member, parsed without DTDs."""
    stream = _Stream(member_chunks(path, info))
    return iterparse(stream, events=events, forbid_dtd=True)


def _relationships(path: Path, archive: zipfile.ZipFile, name: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, member name) for the part `name` ('' = the package)."""
    folder, base = posixpath.split(name)
    rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
    found: dict[str, tuple[str, str]] = {}
    if rels_name not in archive.NameToInfo:
        return found
    for _, element in iter_elements(path, archive.getinfo(rels_name)):
        if local(element.tag) == "Relationship" and element.get("TargetMode") != "External":
            target = element.get("Target", "")
            member = (
                target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            )
            kind = element.get("Type", "").rpartition("/")[2]
            found[element.get("Id", "")] = (kind, posixpath.normpath(member))
    return found


def read_parts(path: Path, archive: zipfile.ZipFile) -> WorkbookParts:
    """Sheets in workbook order, with visibility, and the shared parts."""
    package = _relationships(path, archive, "")
    main = next((m for kind, m in package.values() if kind == "officeDocument"), "xl/workbook.xml")
    if main not in archive.NameToInfo:
        raise FileRejected(messages.NOT_A_WORKBOOK, code="not_a_workbook")
    rels = _relationships(path, archive, main)
    sheets: list[SheetPart] = []
    date1904 = False
    namespace: str | None = None  # extensions (x14:workbookPr...) reuse the main names
    for event, element in iter_elements(path, archive.getinfo(main), ("start", "end")):
        if namespace is None:
            if local(element.tag) != "workbook":
                raise FileRejected(messages.NOT_A_WORKBOOK, code="not_a_workbook")
            namespace = element.tag[: -len("workbook")]
        if event == "start" or not element.tag.startswith(namespace):
            continue
        tag = element.tag[len(namespace) :]
        if tag == "workbookPr":
            date1904 = element.get("date1904", "").lower() in ("1", "true")
        elif tag == "sheet":
            rel_id = next((v for k, v in element.attrib.items() if local(k) == "id"), "")
            kind, member = rels.get(rel_id, ("", ""))
            part = member if kind == "worksheet" and member in archive.NameToInfo else None
            hidden = element.get("state", "visible") != "visible"
            sheets.append(SheetPart(element.get("name", ""), hidden, part))
    by_kind = {kind: member for kind, member in rels.values()}
    strings, styles = by_kind.get("sharedStrings"), by_kind.get("styles")
    return WorkbookParts(
        sheets=sheets,
        date1904=date1904,
        shared_strings=strings if strings in archive.NameToInfo else None,
        styles=styles if styles in archive.NameToInfo else None,
    )


def format_kind(code: str) -> str | None:
    """'date', 'duration' or None for an Excel number format code (first section only)."""
    section = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code.split(";", 1)[0])
    for bracket in re.findall(r"\[[^\]]*\]", section):
        if ELAPSED.match(bracket):
            return "duration"
    section = re.sub(r"\[[^\]]*\]", "", section)
    return "date" if DATE_LETTERS.intersection(section) else None


def read_date_styles(path: Path, archive: zipfile.ZipFile, styles: str | None) -> dict[int, str]:
    """Cell style index -> 'date' or 'duration', for the styles that format dates."""
    if styles is None:
        return {}
    custom: dict[int, str | None] = {}
    kinds: dict[int, str] = {}
    inside, index = "", 0  # the list being read: numFmts or cellXfs (not dxfs, cellStyleXfs)
    for event, element in iter_elements(path, archive.getinfo(styles), ("start", "end")):
        tag = local(element.tag)
        if tag in ("numFmts", "cellXfs"):
            inside = tag if event == "start" else ""
        elif tag == "numFmt" and inside == "numFmts" and event == "end":
            custom[_int(element.get("numFmtId"))] = format_kind(element.get("formatCode", ""))
        elif tag == "xf" and inside == "cellXfs" and event == "start":
            kind = _format_id_kind(_int(element.get("numFmtId")), custom)
            if kind:
                kinds[index] = kind
            index += 1
    return kinds


def _format_id_kind(format_id: int, custom: dict[int, str | None]) -> str | None:
    if format_id in custom:
        return custom[format_id]
    if format_id in BUILTIN_DATE_FORMATS:
        return "date"
    return "duration" if format_id in BUILTIN_DURATION_FORMATS else None


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        raise damaged() from None


class SharedStrings:
    """The shared string table, parsed only as far as the cells read so far need."""

    def __init__(self, path: Path, archive: zipfile.ZipFile, part: str | None) -> None:
        self.strings: list[str] = []
        self.events = iter_elements(path, archive.getinfo(part)) if part else iter(())

    def get(self, index: int) -> str:
        while index >= len(self.strings):
            if not self._next():
                raise damaged()
        return self.strings[index]

    def _next(self) -> bool:
        for _, element in self.events:
            if local(element.tag) == "si":
                self.strings.append(unescape(string_item_text(element)))
                element.clear()
                return True
        return False


def string_item_text(si: Any) -> str:
    """Text of a string item: plain or rich-text runs, without phonetic guides (rPh)."""
    parts: list[str] = []
    for child in si:
        tag = local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if local(t.tag) == "t")
    return "".join(parts)
