"""Workbook safety: ZIP directory checks before inflating, and bounded inflation.

A workbook is a ZIP of XML parts. Before any part is inflated the directory is checked
(member count, declared sizes, compression ratio, encryption); parts are then inflated
here, never past their declared size, with the CRC checked when read to the end; and every
XML part must reach its root element without a DOCTYPE (so no entity can be declared).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from . import messages
from .limits import (
    MAX_MEMBER_BYTES,
    MAX_RATIO,
    MAX_TOTAL_BYTES,
    MAX_ZIP_MEMBERS,
    RATIO_MIN_BYTES,
    XML_PROLOG_BYTES,
)
from .types import FileRejected

CHUNK = 256 * 1024
LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name length, extra length
LOCAL_SIGNATURE = b"PK\x03\x04"


def damaged() -> FileRejected:
    return FileRejected(messages.DAMAGED_WORKBOOK, code="damaged")


def bomb() -> FileRejected:
    return FileRejected(messages.ZIP_BOMB, code="zip_bomb")


def open_archive(path: Path) -> zipfile.ZipFile:
    """The ZIP directory, checked; nothing is inflated yet."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise damaged() from None
    try:
        check_directory(archive.infolist())
    except FileRejected:
        archive.close()
        raise
    return archive


def check_directory(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise bomb()
    if len({info.filename for info in members}) != len(members):
        raise damaged()  # two parts with one name: readers could disagree on which counts
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise FileRejected(messages.ENCRYPTED, code="encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise damaged()
        size = info.file_size
        total += size
        if size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
            raise bomb()
        if size > RATIO_MIN_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
            raise bomb()


def member_chunks(
    path: Path, info: zipfile.ZipInfo, *, limit: int | None = None
) -> Iterator[bytes]:
    """Inflate one member in chunks; stop after `limit` bytes, else verify size and CRC."""
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(LOCAL_HEADER.size)
        if len(header) != LOCAL_HEADER.size:
            raise damaged()
        signature, name_length, extra_length = LOCAL_HEADER.unpack(header)
        if signature != LOCAL_SIGNATURE:
            raise damaged()
        handle.seek(info.header_offset + LOCAL_HEADER.size + name_length + extra_length)
        produced, crc = 0, 0
        for chunk in _inflate(handle, info):
            produced += len(chunk)
            if produced > info.file_size:  # the directory lies: stop inflating, refuse
                raise damaged()
            crc = zlib.crc32(chunk, crc)
            yield chunk
            if limit is not None and produced >= limit:
                return
        if produced != info.file_size or crc != info.CRC:
            raise damaged()


def _inflate(handle: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Raw member data, inflated CHUNK bytes at a time (never one huge buffer)."""
    read = handle.read
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left > 0:
            data = read(min(CHUNK, left))
            if not data:
                raise damaged()
            left -= len(data)
            yield data
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data:
                if left <= 0:
                    raise damaged()  # the deflate stream ended early
                data = read(min(CHUNK, left))
                if not data:
                    raise damaged()
                left -= len(data)
            chunk = inflater.decompress(data, CHUNK)
            if chunk:
                yield chunk
    except zlib.error:
        raise damaged() from None


def read_member(path: Path, info: zipfile.ZipInfo) -> bytes:
    return b"".join(member_chunks(path, info))


def is_xml_part(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


def check_prologs(path: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse any XML part with a DOCTYPE (where entities would be declared)."""
    for info in members:
        if is_xml_part(info.filename) and info.file_size:
            head = b"".join(member_chunks(path, info, limit=XML_PROLOG_BYTES))
            check_prolog(head[:XML_PROLOG_BYTES], complete=len(head) >= info.file_size)


def check_prolog(head: bytes, *, complete: bool) -> None:
    """Walk the XML declaration, comments and processing instructions up to the root."""
    text = _prolog_text(head)
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n\ufeff":
            position += 1
        if text.startswith("<?", position) or text.startswith("<!--", position):
            closing = "?>" if text[position + 1] == "?" else "-->"
            end = text.find(closing, position)
            if end < 0:
                break
            position = end + len(closing)
        elif text.startswith("<!", position):
            raise FileRejected(messages.XML_ENTITIES, code="xml_entities")
        elif position < len(text) or complete:
            return  # the root element (or not XML at all, which the reader will refuse)
        else:
            break
    raise FileRejected(messages.XML_ENTITIES, code="xml_entities")  # prolog too long


def _prolog_text(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[1:2] == b"\x00" or head[:1] == b"\x00":
        codec = "utf-16-be" if head.startswith(b"\xfe\xff") or head[:1] == b"\x00" else "utf-16-le"
        return head.decode(codec, errors="ignore")
    return head.decode("latin-1")
