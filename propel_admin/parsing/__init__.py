"""File bytes -> rows: CSV and XLSX uploads, streamed, with no Django in sight.

Two calls::

    from propel_admin.parsing import FileRejected, ReadOptions, read_rows, sniff

    sniffed = sniff(path, original_name="contacts.csv")   # head of the file only
    sniffed.format        # "csv" | "xlsx" (decided by content, checked against the name)
    sniffed.encoding      # Python codec ("utf-8", "utf-16", "cp1252", ...); None for xlsx
    sniffed.delimiter     # "," ";" "\\t" "|"; None for xlsx
    sniffed.sheets        # [SheetInfo(name, hidden, looks_like_table)]; [] for csv
    sniffed.sheet         # the sheet read (first visible sheet holding a table)
    sniffed.header_row    # 1-based row as the user sees it; 0 = the file has no header
    sniffed.headers       # unique, non-empty column names
    sniffed.renamed_headers, sniffed.warnings, sniffed.preview (list[Row])
    sniffed.options       # ReadOptions reproducing these choices; .to_dict()/.from_dict()

    with read_rows(path, sniffed.options) as reader:      # streams the whole file
        for row in reader:
            row.number      # row (Excel) or line (text editor) where the row starts
            row.cells       # list[str | None], one per header
            row.extra       # values found outside the table's columns (reported)
            row.date_cells  # indexes of cells that were real dates in a workbook
        reader.count, reader.warnings   # complete once the loop has ended

Any choice can be overridden with ReadOptions(encoding=..., delimiter=..., sheet=...,
header_row=...). FileRejected(message, code) is raised for anything that cannot be read;
its message is written for the operator: what is wrong and what to do.

Cell text: CSV cells are the raw text ("" stays "", missing cells of a short row are
None). Workbook cells: empty -> None, dates "YYYY-MM-DD", datetimes "YYYY-MM-DD HH:MM:SS",
times "HH:MM:SS", booleans "TRUE"/"FALSE", whole numbers as digits ("12345"), other
numbers as repr ("1.27"), error values (#N/A) -> None with a warning naming the cell.

Warnings: sniff() adds how the file was understood (encoding guessed, sheet chosen, no
header row, renamed columns, title rows skipped) to what it met in the preview rows;
read_rows() repeats the table notes and reports ragged rows, blank rows, Excel errors,
15+ digit numbers, NUL bytes, and bytes the encoding could not decode (read as
Windows-1252 rather than failing half-way through a job). Lists name at most ten rows.

Readers: CSV through the csv module (RFC 4180, any line endings) on a decoded stream;
XLSX through python-calamine for full reads (about 10x openpyxl) and a streaming XML
reader for sniffing and previews (calamine loads a whole sheet before its first row).
Every workbook is checked before anything is inflated (zip bombs, XML entities).
"""

from __future__ import annotations

from .api import read_rows, sniff
from .reader import RowReader
from .types import (
    NO_HEADER,
    FileFormat,
    FileRejected,
    ReadOptions,
    RenamedHeader,
    Row,
    SheetInfo,
    Sniffed,
)

__all__ = [
    "NO_HEADER",
    "FileFormat",
    "FileRejected",
    "ReadOptions",
    "RenamedHeader",
    "Row",
    "RowReader",
    "SheetInfo",
    "Sniffed",
    "read_rows",
    "sniff",
]
