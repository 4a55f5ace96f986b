"""sniff() and read_rows(): the package's two entry points."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from . import messages
from .detect import detect_format, extension
from .dialect import check_delimiter, sniff_delimiter
from .encoding import Encoding, detect_encoding, normalize_codec
from .limits import DEFAULT_PREVIEW_ROWS
from .reader import RowReader
from .report import ReadReport
from .text_source import csv_records, decode_head, read_head
from .types import FileFormat, FileRejected, ReadOptions, SheetInfo, Sniffed
from .xlsx import Workbook
from .xlsx_sheets import pick_sheet


def sniff(
    path: str | Path,
    original_name: str | None = None,
    options: ReadOptions | None = None,
    preview_rows: int = DEFAULT_PREVIEW_ROWS,
) -> Sniffed:
    """Decide how to read a file from its head only, and return its first rows."""
    fmt = detect_format(Path(path), original_name)
    options = options or ReadOptions()
    reader, sheets = _open(Path(path), options, fmt, extension(original_name), head=True)
    with reader:
        preview = list(islice(reader, preview_rows))
        reader.finished = preview_rows > 0 and not preview  # no row after the header
        warnings = reader.warnings
    return Sniffed(
        format=fmt,
        encoding=reader.options.encoding,
        delimiter=reader.options.delimiter,
        sheets=sheets,
        sheet=reader.options.sheet,
        header_row=reader.header_row,
        headers=reader.headers,
        renamed_headers=reader.renamed_headers,
        preview=preview,
        warnings=warnings,
        options=reader.options,
    )


def read_rows(
    path: str | Path, options: ReadOptions | None = None, *, original_name: str | None = None
) -> RowReader:
    """Every data row of a file, streamed (the background job's read).

    Pass the options sniff() returned, so the job reads the file as the preview showed it.
    """
    options = options or ReadOptions()
    fmt = options.format or detect_format(Path(path), original_name)
    reader, _ = _open(Path(path), options, fmt, extension(original_name), head=False)
    return reader


def _open(
    path: Path, options: ReadOptions, fmt: FileFormat, ext: str, *, head: bool
) -> tuple[RowReader, list[SheetInfo]]:
    if fmt == "csv":
        return _open_text(path, options, ext), []
    return _open_workbook(path, options, head=head)


def _open_text(path: Path, options: ReadOptions, ext: str) -> RowReader:
    head, complete = read_head(path)
    if not head:
        raise FileRejected(messages.EMPTY_FILE, code="empty")
    encoding = _encoding(head, options.encoding, complete=complete)
    if options.delimiter:
        delimiter = check_delimiter(options.delimiter)
    else:
        sample = decode_head(head, encoding.codec, complete=complete)
        prefer = "\t" if ext == ".tsv" else ","
        delimiter = sniff_delimiter(sample, complete=complete, prefer=prefer)
    chosen = ReadOptions("csv", encoding.codec, delimiter, None, options.header_row)
    notes = [messages.ENCODING_GUESSED.format(label=encoding.label)] if encoding.guessed else []
    report = ReadReport(encoding_label=encoding.label)
    records = csv_records(path, codec=encoding.codec, delimiter=delimiter, report=report)
    return RowReader(records, chosen, report=report, text=True, notes=notes, closers=[])


def _encoding(head: bytes, requested: str | None, *, complete: bool) -> Encoding:
    if not requested:
        return detect_encoding(head, complete=complete)
    codec = normalize_codec(requested)
    if codec == "utf-8" and head.startswith(b"\xef\xbb\xbf"):
        codec = "utf-8-sig"  # the BOM must not end up in the first column's name
    return Encoding(codec)


def _open_workbook(
    path: Path, options: ReadOptions, *, head: bool
) -> tuple[RowReader, list[SheetInfo]]:
    workbook = Workbook(path)
    try:
        sheet, sheets, notes = pick_sheet(workbook, options.sheet, survey=head)
        report = ReadReport()
        read = workbook.head_records if head else workbook.full_records
        records = read(sheet, report)
        chosen = ReadOptions("xlsx", None, None, sheet.name, options.header_row)
        reader = RowReader(
            records, chosen, report=report, text=False, notes=notes, closers=[workbook.close]
        )
    except BaseException:
        workbook.close()
        raise
    return reader, sheets
