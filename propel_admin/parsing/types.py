"""The package's public types: options, results, rows, and the one exception."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal, NamedTuple, cast

from . import messages

FileFormat = Literal["csv", "xlsx"]
FORMATS: tuple[FileFormat, ...] = ("csv", "xlsx")
NO_HEADER = 0  # ReadOptions.header_row value meaning "the file has no header row"


class FileRejected(Exception):
    """The file cannot be read; `message` tells the operator why and what to do."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # stable machine-readable reason, e.g. "legacy_xls"


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read a file. None means "detect"; sniff() returns them all filled in."""

    format: FileFormat | None = None
    encoding: str | None = None  # text files: a Python codec name
    delimiter: str | None = None  # text files: one character
    sheet: str | None = None  # workbooks: sheet name
    header_row: int | None = None  # 1-based row number as the user sees it; 0 = no header

    def to_dict(self) -> dict[str, str | int | None]:
        """A JSON-friendly dict, for storing the choices next to the upload."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ReadOptions:
        """Rebuild options stored with to_dict(), checking every value."""
        fmt = data.get("format")
        if fmt is not None and fmt not in FORMATS:
            raise FileRejected(messages.BAD_FORMAT.format(format=fmt), code="bad_option")
        header_row = data.get("header_row")
        if header_row is not None and (
            type(header_row) is not int or header_row < 0  # bool is not a row number
        ):
            raise FileRejected(messages.BAD_HEADER_ROW, code="bad_option")
        return cls(
            format=cast("FileFormat | None", fmt),
            encoding=_text(data, "encoding"),
            delimiter=_text(data, "delimiter"),
            sheet=_text(data, "sheet"),
            header_row=header_row,
        )


def _text(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise FileRejected(messages.BAD_OPTION.format(name=key), code="bad_option")
    return value


@dataclass(frozen=True, slots=True)
class SheetInfo:
    """One worksheet of a workbook, as offered in the sheet picker."""

    name: str
    hidden: bool
    looks_like_table: bool


@dataclass(frozen=True, slots=True)
class RenamedHeader:
    """A column whose name was made non-empty or unique."""

    position: int  # 1-based column within the table
    original: str
    name: str


@dataclass(slots=True)
class Row:
    """One data row. `cells` has one value per header; CSV cells are the raw text."""

    number: int  # row (Excel) or line (text editor) where the row starts
    cells: list[str | None]
    extra: list[str | None] = field(default_factory=list)  # values outside the columns
    date_cells: tuple[int, ...] = ()  # indexes of cells that were real dates in a workbook


class Record(NamedTuple):
    """A raw row from a reader, before the table's columns are known."""

    number: int
    cells: list[str | None]
    date_cells: tuple[int, ...] = ()


@dataclass(slots=True)
class Sniffed:
    """What sniff() found out about a file, and the first rows."""

    format: FileFormat
    encoding: str | None
    delimiter: str | None
    sheets: list[SheetInfo]
    sheet: str | None
    header_row: int  # 0 when the file has no header row
    headers: list[str]
    renamed_headers: list[RenamedHeader]
    preview: list[Row]
    warnings: list[str]
    options: ReadOptions
