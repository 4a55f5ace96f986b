"""Text encodings: detect one from the head of a file, and open the file with it.

Order: byte-order mark, then strict UTF-8, then UTF-16 without a BOM (NUL bytes at every
other position), then charset-normalizer on the sample, with Windows-1252 as the fallback.
"""

from __future__ import annotations

import codecs
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from charset_normalizer import from_bytes
from charset_normalizer.md import mess_ratio

from . import messages
from .types import FileRejected

FALLBACK_ERRORS = "propel-cp1252-fallback"
BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# charset-normalizer is trusted over Windows-1252 only for these, and only when the text
# reads clearly worse as Windows-1252 (short samples otherwise get answers such as cp1006).
TRUSTED_GUESSES = frozenset(
    {
        "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "iso8859-2", "iso8859-5",
        "iso8859-7", "iso8859-9", "iso8859-13", "iso8859-15", "koi8-r", "koi8-u",
        "mac-roman", "mac-cyrillic",
    }
)  # fmt: skip
LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with BOM)",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252 (Western European)",
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "iso8859-1": "ISO-8859-1 (Latin-1)",
    "iso8859-15": "ISO-8859-15 (Latin-9)",
}
CLEARLY_MESSIER = 0.1  # charset-normalizer's mess ratio, 0 (clean) to 1
# Control bytes text never holds (tab, line breaks, form feed and ESC aside): more than
# a few of them, and more than 1% of the sample, means binary data.
CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 27), *range(28, 32), 127])
BINARY_SHARE = 0.01
STRAY_CONTROLS = 8
UTF16_NUL_SHARE = 0.7  # of the odd (LE) or even (BE) positions


@dataclass(frozen=True, slots=True)
class Encoding:
    codec: str  # Python codec name
    guessed: bool = False  # True when chosen by statistics (the operator should check)

    @property
    def label(self) -> str:
        return encoding_label(self.codec)


def encoding_label(codec: str) -> str:
    return LABELS.get(codec, codec.upper())


def normalize_codec(name: str) -> str:
    """A codec name as Python spells it; FileRejected for unknown names."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise FileRejected(
            messages.UNKNOWN_ENCODING.format(encoding=name), code="bad_option"
        ) from None


def detect_encoding(sample: bytes, *, complete: bool) -> Encoding:
    """Choose the encoding of a text file from its first bytes (`complete`: whole file)."""
    for bom, codec in BOMS:
        if sample.startswith(bom):
            return Encoding(codec)
    if b"\x00" in sample:
        utf16 = _utf16_without_bom(sample)
        if utf16:
            return Encoding(utf16)
    controls = len(sample) - len(sample.translate(None, CONTROL_BYTES))
    if controls > STRAY_CONTROLS and controls > BINARY_SHARE * len(sample):
        raise FileRejected(messages.NOT_TEXT, code="not_text")
    if _is_utf8(sample, complete=complete):
        return Encoding("utf-8")
    return Encoding(_guess_single_byte(sample), guessed=True)


def _utf16_without_bom(sample: bytes) -> str | None:
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    odd_nuls = sample[1::2].count(0)  # ASCII text in UTF-16 LE: "a\0b\0"
    even_nuls = sample[0::2].count(0)
    if odd_nuls >= UTF16_NUL_SHARE * pairs and even_nuls < odd_nuls / 4:
        return "utf-16-le"
    if even_nuls >= UTF16_NUL_SHARE * pairs and odd_nuls < even_nuls / 4:
        return "utf-16-be"
    return None


def _is_utf8(sample: bytes, *, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(sample, final=complete)  # a character cut at the sample's end is fine
    except UnicodeDecodeError:
        return False
    return True


def _guess_single_byte(sample: bytes) -> str:
    """charset-normalizer's answer when Windows-1252 reads clearly worse, else Windows-1252."""
    best = from_bytes(sample).best()
    if best is None:
        return "cp1252"
    codec = normalize_codec(best.encoding)
    if codec not in TRUSTED_GUESSES:
        return "cp1252"
    as_1252 = sample.decode("cp1252", errors="replace")
    if mess_ratio(as_1252, 1.0) > mess_ratio(str(best), 1.0) + CLEARLY_MESSIER:
        return codec
    return "cp1252"


# --- Reading ----------------------------------------------------------------------------
_fallback_counts = threading.local()


def _fallback(error: UnicodeError) -> tuple[str, int]:
    """Bytes the chosen codec cannot decode are read as Windows-1252 (Latin-1 where undefined)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    _fallback_counts.value = bad_byte_count() + len(bad)
    return "".join(_cp1252_char(byte) for byte in bad), error.end


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def bad_byte_count() -> int:
    """Bytes this thread has decoded through the fallback so far (compare before/after)."""
    return int(getattr(_fallback_counts, "value", 0))


codecs.register_error(FALLBACK_ERRORS, _fallback)


def open_text(path: Path, codec: str) -> TextIO:
    """Open for csv: universal line splitting with line endings kept (newline="")."""
    return open(path, encoding=codec, errors=FALLBACK_ERRORS, newline="")
