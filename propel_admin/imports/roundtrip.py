"""Exports that come back: reference columns, hidden personal data restored, the run's mapping.

A results or failures export carries the original columns, the outcome columns and two
reference columns ("Propel run", "Propel row"). When such a file is uploaded again, the
added columns are never sent, the mapping of the referenced run is applied, and a cell of
a social security number or date of birth (a column mapped or named so) that still holds
the mask is filled in again from the referenced original row (same header) while the rows
are checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from propel_admin.imports import pii
from propel_admin.imports.models import ContactRow, ImportRun
from propel_admin.imports.selectors import MASKED
from propel_admin.mapping import (
    FieldError,
    MappingSpec,
    Suggestion,
    field_by_key,
    normalise_header,
    pii_columns,
)
from propel_admin.mapping.spec import ColumnRule, resolve_column

RUN_COLUMN = "Propel run"
ROW_COLUMN = "Propel row"
OUTCOME_COLUMNS = ("Status", "Action", "Propeller ID", "Message")
REFERENCE_COLUMNS = (RUN_COLUMN, ROW_COLUMN)
EXPORT_COLUMNS = (*OUTCOME_COLUMNS, *REFERENCE_COLUMNS)
SUGGEST_EXPORT_COLUMN = "Added by a Propel Admin export: never sent"
SUGGEST_FROM_RUN = "As in run #{run}, which this file was exported from"
HIDDEN_NOT_FOUND = (
    "{label} was hidden in the export and its original row could not be found; "
    "type the value or remove the column"
)
_EXPORT_KEYS = frozenset(normalise_header(name) for name in EXPORT_COLUMNS)


def export_columns(headers: Sequence[str]) -> frozenset[int]:
    """Indexes of the columns an export added (outcome and reference), never data to send.

    Only in a file that has both reference columns: a customer's own "Status" column is data.
    """
    keys = [normalise_header(h) for h in headers]
    if not all(normalise_header(name) in keys for name in REFERENCE_COLUMNS):
        return frozenset()
    return frozenset(i for i, key in enumerate(keys) if key in _EXPORT_KEYS)


def data_columns(headers: Sequence[str]) -> list[int]:
    """Indexes of the columns that hold contact data (an earlier export's columns left out)."""
    added = export_columns(headers)
    return [index for index in range(len(headers)) if index not in added]


def _reference_indexes(headers: Sequence[str]) -> tuple[int, int] | None:
    keys = [normalise_header(h) for h in headers]
    try:
        return keys.index(normalise_header(RUN_COLUMN)), keys.index(normalise_header(ROW_COLUMN))
    except ValueError:
        return None


def _whole_number(value: Any) -> int | None:
    text = str(value).strip() if value is not None else ""
    if text.endswith(".0"):  # a spreadsheet that turned the number into a float
        text = text[:-2]
    return int(text) if text.isdigit() else None


def source_run(headers: Sequence[str], preview: Sequence[dict[str, Any]]) -> ImportRun | None:
    """The run an uploaded export came from: the first run named in its first rows."""
    indexes = _reference_indexes(headers)
    if indexes is None:
        return None
    for row in preview:
        cells = row.get("cells", [])
        run_id = _whole_number(cells[indexes[0]]) if indexes[0] < len(cells) else None
        if run_id is not None:
            return ImportRun.objects.select_related("upload").filter(pk=run_id).first()
    return None


def spec_from_run(run: ImportRun, headers: Sequence[str]) -> MappingSpec:
    """The run's mapping (transforms and constants too) laid over this file's columns."""
    spec = MappingSpec.from_dict(run.mapping)
    by_header = {normalise_header(rule.header): rule for rule in spec.columns}
    added = export_columns(headers)
    rules = []
    for index, header in enumerate(headers):
        saved = by_header.get(normalise_header(header))
        if saved is None or index in added:
            rules.append(ColumnRule(index, header, None))
        else:
            rule = {**saved.to_dict(), "index": index, "header": header}
            rules.append(ColumnRule.from_dict(rule))
    return MappingSpec(tuple(rules), dict(spec.constants))


def suggestions_from_spec(
    spec: MappingSpec, headers: Sequence[str], *, run: ImportRun
) -> list[Suggestion]:
    """Why each column got its target when the mapping came from the exported run."""
    added = export_columns(headers)
    message = SUGGEST_FROM_RUN.format(run=run.pk)
    return [
        Suggestion(rule.index, rule.header, None, "none", SUGGEST_EXPORT_COLUMN)
        if rule.index in added
        else Suggestion(rule.index, rule.header, rule.target, "template", message, 1.0)
        for rule in spec.columns
    ]


def export_columns_ignored(
    suggestions: list[Suggestion], headers: Sequence[str]
) -> list[Suggestion]:
    """Suggestions with the columns an export added set to "ignore", saying why."""
    added = export_columns(headers)
    return [
        replace(s, target=None, reason="none", message=SUGGEST_EXPORT_COLUMN, score=0.0)
        if s.index in added
        else s
        for s in suggestions
    ]


def without_export_columns(spec: MappingSpec, headers: Sequence[str]) -> MappingSpec:
    """The spec with every column an export added ignored, whatever was chosen for it."""
    added = export_columns(headers)
    if not any(rule.target and rule.index in added for rule in spec.columns):
        return spec
    rules = tuple(
        ColumnRule(rule.index, rule.header, None) if rule.index in added else rule
        for rule in spec.columns
    )
    return MappingSpec(rules, spec.constants)


@dataclass
class HiddenValues:
    """Fills in masked PII cells of a re-uploaded export from the rows they came from."""

    headers: Sequence[str]
    spec: MappingSpec
    # index, header, field, whether the column is sent (an ignored "BSN" is restored too)
    _pii: list[tuple[int, str, str, bool]] = field(default_factory=list)
    _refs: tuple[int, int] | None = None
    _runs: dict[int, list[str] | None] = field(default_factory=dict)  # run id -> headers

    def __post_init__(self) -> None:
        self._refs = _reference_indexes(self.headers)
        sent = {resolve_column(rule, self.headers) for rule in self.spec.mapped}
        for index, target in sorted(pii_columns(self.spec, self.headers).items()):
            self._pii.append((index, self.headers[index], target, index in sent))

    @property
    def active(self) -> bool:
        return bool(self._pii)

    def restore(self, cells: list[Any]) -> tuple[list[Any], list[FieldError]]:
        """The row's cells with masks replaced by the original values, and what could not be."""
        masked = [p for p in self._pii if p[0] < len(cells) and _is_mask(cells[p[0]])]
        if not masked:
            return cells, []
        original = self._original(cells)
        cells = list(cells)
        errors = []
        for index, header, target, is_sent in masked:
            value = original.get(normalise_header(header)) if original is not None else None
            if value in (None, ""):
                cells[index] = None  # never send (or keep) the mask itself
                if not is_sent:
                    continue
                known = field_by_key(target)
                label = known.label if known is not None else target
                errors.append(FieldError(target, header, HIDDEN_NOT_FOUND.format(label=label)))
            else:
                cells[index] = value
        return cells, errors

    def _original(self, cells: Sequence[Any]) -> dict[str, Any] | None:
        """The referenced original row's cells by normalised header, or None."""
        if self._refs is None or max(self._refs) >= len(cells):
            return None
        run_id, row_number = (_whole_number(cells[i]) for i in self._refs)
        if run_id is None or row_number is None:
            return None
        if run_id not in self._runs:
            run = ImportRun.objects.select_related("upload").filter(pk=run_id).first()
            self._runs[run_id] = list(run.upload.headers) if run is not None else None
        headers = self._runs[run_id]
        row = ContactRow.objects.filter(run_id=run_id, row_number=row_number).only("cells").first()
        if headers is None or row is None:
            return None
        cells = pii.open_cells(row.cells) or []  # sealed again by staging (pii.py)
        return {normalise_header(h): v for h, v in zip(headers, cells, strict=False)}


def _is_mask(value: Any) -> bool:
    return isinstance(value, str) and value.strip() == MASKED
