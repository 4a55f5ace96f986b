"""Messages shown to operators. Tests assert them through these constants.

Rejections (FileRejected) say what is wrong and what to do; warnings say what was done.
"""

from __future__ import annotations

from collections.abc import Sequence

from .limits import WARNING_LIST_ITEMS

# --- Rejections -----------------------------------------------------------------------
EMPTY_FILE = "The file is empty (0 bytes). Check that you chose the right file and upload it again."
NO_CONTENT = "The file holds no values: every row is blank. Check that you exported the right data."
EMPTY_WORKBOOK = (
    "Every sheet in this workbook is empty. Check that you saved the workbook with its data."
)
LEGACY_XLS = (
    "This is an old-style Excel file (.xls, Excel 97-2003), which cannot be read here. "
    "Open it in Excel and save it as an Excel Workbook (.xlsx) or as CSV, then upload that file."
)
ENCRYPTED = (
    "This workbook is password-protected, so it cannot be read. Open it in Excel, "
    "remove the password (File > Info > Protect Workbook > Encrypt with Password, "
    "then clear it), save it and upload it again."
)
CONTENT_MISMATCH = (
    "The file “{name}” is named like {expected} but contains {actual}. Check that you chose "
    "the right file; if you did, save it again as .xlsx or CSV and upload that."
)
UNSUPPORTED_TYPE = (
    "Files of type “{extension}” cannot be read. Upload a CSV file (.csv, .tsv, .txt) "
    "or an Excel workbook (.xlsx, .xlsm)."
)
XLSB = (
    "This is an Excel Binary Workbook (.xlsb), which cannot be read here. "
    "Open it in Excel and save it as an Excel Workbook (.xlsx) or as CSV."
)
ODS = (
    "This is an OpenDocument spreadsheet (.ods), which cannot be read here. "
    "Save it as an Excel Workbook (.xlsx) or as CSV."
)
NOT_A_WORKBOOK = (
    "This file is a ZIP archive but not an Excel workbook. Check that you chose the right file."
)
DAMAGED_WORKBOOK = (
    "The workbook is damaged or incomplete and cannot be read. "
    "Open it in Excel, save it again and upload the new file."
)
ZIP_BOMB = (
    "This workbook would expand to an unusually large size when opened, so it was not opened, "
    "for safety. If the file is genuine, save it as CSV and upload that instead."
)
XML_ENTITIES = (
    "This workbook contains XML declarations (DOCTYPE or ENTITY) that Excel never writes, "
    "so it was not opened, for safety. Open it in Excel, save it again and upload the new file."
)
NOT_TEXT = (
    "This file does not look like a text (CSV) file: it contains binary data. "
    "Check that you chose the right file, or export the data again as CSV."
)
TOO_MANY_ROWS = (
    "The file has more than {limit:,} data rows, which is the most that can be read. "
    "Split it into smaller files and upload them one by one."
)
TOO_MANY_COLUMNS = (
    "{where} has {count:,} columns; at most {limit:,} can be read. "
    "Remove the columns you do not need and upload the file again."
)
CELL_TOO_LONG = (
    "{where} holds a value longer than {limit:,} characters, Excel's limit for one cell. "
    'This often means a quote (") was opened and never closed. Fix the file and upload it again.'
)
UNKNOWN_ENCODING = (
    "“{encoding}” is not a known text encoding. Choose another one, "
    "for example UTF-8 or Windows-1252."
)
BAD_DELIMITER = "“{delimiter}” cannot be used as a separator. Choose one single character."
BAD_HEADER_ROW = "The header row must be a row number (1 or more), or 0 for “no header row”."
HEADER_ROW_NOT_FOUND = (
    "Row {row} is blank or beyond the end of the file, so it cannot be the header row. "
    "Choose another row."
)
SHEET_NOT_FOUND = "The workbook has no sheet named “{sheet}”. Choose one of: {names}."
BAD_OPTION = "The reading option “{name}” must be text."
BAD_FORMAT = "“{format}” is not a file format that can be read (use “csv” or “xlsx”)."

# What CONTENT_MISMATCH says a file is named like, or actually contains.
EXPECT_TEXT = "a CSV text file"
EXPECT_WORKBOOK = "an Excel workbook"
ACTUAL_ZIP = "a ZIP archive (an Excel workbook or another packed file)"
ACTUAL_OLE = "an old-format Office file (such as .xls or .doc)"
ACTUAL_TEXT = "plain text (like a CSV file)"
ACTUAL_UNKNOWN = "data that is not an Excel workbook"

# --- Warnings -------------------------------------------------------------------------
ENCODING_GUESSED = (
    "The file is not UTF-8; it was read as {label}. "
    "If accented letters look wrong, choose another encoding."
)
BAD_BYTES = (
    "Some characters were not valid {label} and were read as Windows-1252 "
    "(check accented letters): {count:,}."
)
NO_HEADER_ROW = (
    "The first row looks like data, not column names, so the columns are named "
    "Column 1 to Column {count}. If the file does have a header row, choose it."
)
RENAMED_HEADERS = "Some column names were changed so that each column has its own name: {changes}."
RENAMED_EMPTY = "column {position} had no name, now “{new}”"
RENAMED_DUPLICATE = "“{old}” (column {position}) is now “{new}”"
NO_DATA_ROWS = "The file has a header row but no data rows."
ROWS_ABOVE_HEADER = "Rows above the header row (a title or notes) were skipped: {rows}."
SHEET_CHOSEN = (
    "The workbook has {count} sheets; “{sheet}” was chosen because it holds the table. "
    "Choose another sheet if this is not the right one."
)
BLANK_ROWS = "Blank rows skipped: {count:,}."
SHORT_ROWS = "Rows with fewer cells than there are columns, padded with empty cells: {rows}."
LONG_ROWS = "Rows with values outside the table's columns (kept apart, not imported): {rows}."
EXCEL_ERRORS = "Cells holding an Excel error (such as #N/A), read as empty: {cells}."
LONG_NUMBERS = (
    "Cells holding numbers with more than 15 digits, which Excel cannot store exactly "
    "(the last digits may be wrong; store ids and phone numbers as text): {cells}."
)
NUL_BYTES = "Rows containing NUL (zero) bytes, which were removed; the file may be damaged: {rows}."


def list_items(items: Sequence[object], total: int) -> str:
    """`3, 4, 9` or `3, 4, 9 and 1,204 more`: a warning's list, cut to a readable length."""
    shown = [str(item) for item in items[:WARNING_LIST_ITEMS]]
    more = total - len(shown)
    text = ", ".join(shown)
    return f"{text} and {more:,} more" if more > 0 else text
