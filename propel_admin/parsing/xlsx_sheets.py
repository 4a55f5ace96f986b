"""Which worksheet to read: the first visible one that holds a table.

A "Notes" or "Read me" sheet in front of the data is common, so each sheet's head is
planned as a table and the first visible sheet with a header followed by rows that fill
two or more of its columns wins; failing that, the first visible sheet with any values.
"""

from __future__ import annotations

from . import messages
from .report import ReadReport
from .table import buffer_head, looks_like_table, plan_layout
from .types import FileRejected, SheetInfo
from .workbook import SheetPart
from .xlsx import Workbook


def survey_sheets(workbook: Workbook) -> list[tuple[SheetPart, SheetInfo, bool]]:
    """Each worksheet with its picker entry and whether it holds any value."""
    found: list[tuple[SheetPart, SheetInfo, bool]] = []
    for sheet in workbook.worksheets:
        records = workbook.head_records(sheet, ReadReport())
        try:
            head = buffer_head(records, None)
        finally:
            records.close()
        layout = plan_layout(head, None)
        table = layout is not None and looks_like_table(head, layout)
        found.append((sheet, SheetInfo(sheet.name, sheet.hidden, table), layout is not None))
    return found


def pick_sheet(
    workbook: Workbook, requested: str | None, *, survey: bool
) -> tuple[SheetPart, list[SheetInfo], list[str]]:
    """The sheet to read, the picker's list (when surveyed) and a note on the choice."""
    if requested is not None and not survey:
        return workbook.sheet(requested), [], []
    surveyed = survey_sheets(workbook)
    infos = [info for _, info, _ in surveyed]
    if requested is not None:
        return workbook.sheet(requested), infos, []
    candidates = (
        [s for s, info, _ in surveyed if info.looks_like_table and not info.hidden],
        [s for s, info, filled in surveyed if filled and not info.hidden],
        [s for s, _, filled in surveyed if filled],
    )
    chosen = next((group[0] for group in candidates if group), None)
    if chosen is None:
        raise FileRejected(messages.EMPTY_WORKBOOK, code="no_content")
    notes = []
    if chosen is not surveyed[0][0]:
        notes.append(messages.SHEET_CHOSEN.format(count=len(surveyed), sheet=chosen.name))
    return chosen, infos, notes
