"""What a file is, decided by its content (magic bytes) and checked against its name."""

from __future__ import annotations

import struct
from pathlib import Path, PurePath

from . import messages
from .types import FileFormat, FileRejected

TEXT_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
WORKBOOK_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a ZIP with members, an empty ZIP
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BINARY_MAGIC = (  # what operators upload by mistake, named so the message can say so
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "an image (PNG)"),
    (b"\xff\xd8\xff", "an image (JPEG)"),
    (b"GIF8", "an image (GIF)"),
    (b"\x1f\x8b", "a compressed archive (gzip)"),
    (b"Rar!", "a compressed archive (RAR)"),
    (b"7z\xbc\xaf", "a compressed archive (7-Zip)"),
    (b"{\\rtf", "a Word/RTF document"),
)
ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
WORKBOOK_STREAMS = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))
MAGIC_BYTES = 8
SCAN_CHUNK = 1024 * 1024


def extension(original_name: str | None) -> str:
    return PurePath(original_name or "").suffix.lower()


def detect_format(path: Path, original_name: str | None) -> FileFormat:
    """'csv' or 'xlsx'; FileRejected with the reason for anything else."""
    with open(path, "rb") as handle:
        magic = handle.read(MAGIC_BYTES)
    if not magic:
        raise FileRejected(messages.EMPTY_FILE, code="empty")
    name = PurePath(original_name or path.name).name
    ext = extension(original_name)
    if ext and ext not in TEXT_EXTENSIONS | WORKBOOK_EXTENSIONS | {".xls", ".xlsb"}:
        raise FileRejected(messages.UNSUPPORTED_TYPE.format(extension=ext), code="unsupported")
    expected = messages.EXPECT_TEXT if ext in TEXT_EXTENSIONS else messages.EXPECT_WORKBOOK
    if magic.startswith(OLE2_MAGIC):
        if ext in TEXT_EXTENSIONS:
            raise _mismatch(name, expected, messages.ACTUAL_OLE)
        if _is_encrypted_package(path):
            raise FileRejected(messages.ENCRYPTED, code="encrypted")
        raise FileRejected(messages.LEGACY_XLS, code="legacy_xls")
    for prefix, actual in BINARY_MAGIC:
        if magic.startswith(prefix):
            raise _mismatch(name, expected, actual)
    if magic.startswith(ZIP_MAGIC):
        if ext in TEXT_EXTENSIONS:
            raise _mismatch(name, expected, messages.ACTUAL_ZIP)
        if ext == ".xlsb":
            raise FileRejected(messages.XLSB, code="xlsb")
        return "xlsx"
    if ext and ext not in TEXT_EXTENSIONS:
        raise _mismatch(name, expected, messages.ACTUAL_TEXT)
    return "csv"


def _mismatch(name: str, expected: str, actual: str) -> FileRejected:
    return FileRejected(
        messages.CONTENT_MISMATCH.format(name=name, expected=expected, actual=actual),
        code="content_mismatch",
    )


def _is_encrypted_package(path: Path) -> bool:
    """An OLE2 file holding an encrypted OOXML package rather than a BIFF (.xls) workbook.

    The first directory sector names the top streams; when it is not conclusive the whole
    file is scanned for the stream names (directory sectors can sit anywhere).
    """
    with open(path, "rb") as handle:
        header = handle.read(512)
        if len(header) < 512:
            return False
        sector_size = 1 << struct.unpack_from("<H", header, 0x1E)[0]
        first_directory = struct.unpack_from("<i", header, 0x30)[0]
        if first_directory >= 0 and sector_size in (512, 4096):
            handle.seek((first_directory + 1) * sector_size)
            directory = handle.read(sector_size)
            if any(name in directory for name in ENCRYPTED_STREAMS):
                return True
            if any(name in directory for name in WORKBOOK_STREAMS):
                return False
        handle.seek(0)
        tail = b""
        while chunk := handle.read(SCAN_CHUNK):
            window = tail + chunk
            if any(name in window for name in ENCRYPTED_STREAMS):
                return True
            tail = window[-64:]
    return False
