"""The CSV delimiter, chosen by how consistently each candidate splits the first records.

csv.Sniffer guesses from character frequencies and is easily fooled (a title line, commas in
names); here each candidate is parsed with the csv module itself (so quotes are respected)
and the one on which most records agree on a field count of 2 or more wins.
"""

from __future__ import annotations

import csv
import io
from collections import Counter

from . import messages
from .limits import DELIMITER_SAMPLE_RECORDS
from .types import FileRejected

CANDIDATES = (",", ";", "\t", "|")
QUOTE = '"'


def check_delimiter(delimiter: str) -> str:
    if len(delimiter) != 1 or delimiter in (QUOTE, "\r", "\n"):
        raise FileRejected(messages.BAD_DELIMITER.format(delimiter=delimiter), code="bad_option")
    return delimiter


def sniff_delimiter(sample: str, *, complete: bool, prefer: str = ",") -> str:
    """The best candidate for `sample` (the head of the file; `complete` if the whole file)."""
    order = (prefer, *(c for c in CANDIDATES if c != prefer))
    best, best_score = prefer, (0, 0)
    for delimiter in order:  # on a tie the earlier (preferred) candidate stays
        score = _score(sample, delimiter, complete=complete)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _score(sample: str, delimiter: str, *, complete: bool) -> tuple[int, int]:
    """(records agreeing on the most common field count >= 2, that count)."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=QUOTE)
    counts: list[int] = []
    try:
        for fields in reader:
            if any(field.strip() for field in fields):
                counts.append(len(fields))
            if len(counts) > DELIMITER_SAMPLE_RECORDS:
                break
    except csv.Error:  # e.g. an unclosed quote running past the field size limit
        pass
    if not complete and len(counts) > 1:
        counts.pop()  # the last record may be cut off by the end of the sample
    wide = Counter(count for count in counts if count >= 2)
    if not wide:
        return (0, 0)
    count, support = max(wide.items(), key=lambda item: (item[1], item[0]))
    return (support, count)
