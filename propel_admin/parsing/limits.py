"""Limits and sample sizes used by the readers (all in one place so they can be tuned)."""

from __future__ import annotations

# What one file may hold: Excel's own limits, and a column count no contact list needs.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 500
MAX_CELL_CHARS = 32_767

# Sniffing works on the head of the file only.
HEAD_BYTES = 64 * 1024
HEADER_SCAN_ROWS = 20  # non-blank rows searched for the header row
WIDTH_SAMPLE_ROWS = 20  # rows after the header used to decide the table's width
DELIMITER_SAMPLE_RECORDS = 50
DEFAULT_PREVIEW_ROWS = 20

# Workbook safety, checked on the ZIP directory before anything is inflated.
MAX_ZIP_MEMBERS = 10_000
MAX_MEMBER_BYTES = 1024 * 1024 * 1024  # one inflated part
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024  # all inflated parts together
MAX_RATIO = 100  # inflated / compressed, for members above RATIO_MIN_BYTES
RATIO_MIN_BYTES = 10 * 1024 * 1024
XML_PROLOG_BYTES = 64 * 1024  # a DOCTYPE must come before the root element

# Warnings list this many row numbers or cells, then say how many more there were.
WARNING_LIST_ITEMS = 10
