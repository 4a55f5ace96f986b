"""Compile a MappingSpec once into a RowMapper; map and check rows fast.

A compiled mapper is a tuple of steps, one per mapped column, each holding the column's
index, the payload key and a converter closure: mapping a row is one loop over them, with
no lookups by name. Rows come from the reader as `list[str | None]`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import messages
from .convert import Converter, converter_for
from .fields import FIELD_KEYS, field_by_key
from .personal import pii_columns
from .spec import MappingSpec, constant_value, resolve_column
from .transforms import TRIM_CHARS
from .types import FieldError, Invalid, MappedRow, MappingSpecError, SpecProblem

# (index, payload key, converter, field key, header, keep untrimmed, hide value)
_Step = tuple[int, str, Converter, str, str, bool, bool]


class DuplicateTracker:
    """Remembers the first row of each contact id in a file: one dict entry per id."""

    __slots__ = ("_first_rows",)

    def __init__(self) -> None:
        self._first_rows: dict[int, int] = {}

    def first_row(self, contact_id: int, row_number: int) -> int | None:
        """The earlier row with this id, or None if this row is its first."""
        first = self._first_rows.setdefault(contact_id, row_number)
        return None if first == row_number else first

    def __len__(self) -> int:
        return len(self._first_rows)


class RowMapper:
    """Turns one row of cells into the JSON object for the API plus field errors."""

    __slots__ = ("_constants", "_duplicates", "_headers", "_parent", "_steps", "_width")

    def __init__(
        self,
        steps: Sequence[_Step],
        constants: dict[str, Any],
        *,
        duplicates: DuplicateTracker | None = None,
    ) -> None:
        self._steps = tuple(steps)
        self._parent = constants.pop("parent", None)  # a fresh dict per row, never shared
        self._constants = constants
        self._duplicates = duplicates
        self._width = max((step[0] + 1 for step in self._steps), default=0)
        self._headers = {step[3]: step[4] for step in self._steps}

    @property
    def columns(self) -> dict[str, str]:
        """Field key -> the header of the column that feeds it."""
        return dict(self._headers)

    def map(self, cells: Sequence[str | None], row_number: int | None = None) -> MappedRow:
        """Map one row; `row_number` (as the user sees it) enables duplicate-id checks."""
        if len(cells) < self._width:
            cells = [*cells, *([None] * (self._width - len(cells)))]
        payload: dict[str, Any] = {}
        errors: list[FieldError] = []
        for index, key, convert, field, header, raw, hidden in self._steps:
            cell = cells[index]
            if cell is None:
                continue
            text = cell.strip(TRIM_CHARS)
            if not text:
                continue
            value = convert(cell if raw else text)
            if value.__class__ is Invalid:
                shown = None if hidden else text
                errors.append(FieldError(field, header, value.message, shown))  # type: ignore[attr-defined]
            else:
                payload[key] = value
        if self._constants:
            payload.update(self._constants)
        if self._parent is not None:
            payload["parent"] = {"id": self._parent["id"]}
        if "id" not in payload:
            if not any(error.field == "id" for error in errors):
                errors.append(FieldError("id", self._headers.get("id"), messages.ID_MISSING))
        elif self._duplicates is not None and row_number is not None:
            first = self._duplicates.first_row(payload["id"], row_number)
            if first is not None:
                errors.append(
                    FieldError("id", self._headers["id"], messages.DUPLICATE_ID, row=first)
                )
        if "sourceId" in payload and "source" not in payload:
            errors.append(
                FieldError("source", self._headers.get("source"), messages.SOURCE_REQUIRED)
            )
        return MappedRow(payload, errors)


def compile_mapping(
    spec: MappingSpec,
    headers: Sequence[str],
    *,
    duplicates: DuplicateTracker | None = None,
    pivot: int | None = None,
) -> RowMapper:
    """A RowMapper for this spec and file header; MappingSpecError if the spec is wrong.

    `pivot` is the last two-digit year read as 20xx (default: this year).
    """
    problems = spec.problems(headers)
    if problems:
        raise MappingSpecError(problems)
    order = {key: position for position, key in enumerate(FIELD_KEYS)}
    steps: list[tuple[int, _Step]] = []
    personal = pii_columns(spec, headers)
    for rule in spec.mapped:
        target = field_by_key(rule.target or "")
        index = resolve_column(rule, headers)
        if target is None or index is None:  # ruled out by problems(); keeps mypy honest
            raise MappingSpecError([SpecProblem(messages.SPEC_UNKNOWN_FIELD, rule.target)])
        convert = converter_for(
            target,
            date_format=rule.date_format,
            gender=rule.gender,
            language=rule.language,
            phone=rule.phone,
            pivot=pivot,
        )
        raw = not rule.trim and target.kind == "text"
        hidden = target.pii or index in personal  # a "BSN" sent as another field: hidden too
        step = (index, target.payload_key, convert, target.key, headers[index], raw, hidden)
        steps.append((order[target.key], step))
    steps.sort(key=lambda item: item[0])  # payload keys in the catalogue's order, id first
    constants = {}
    for key, raw_value in spec.constants.items():
        target = field_by_key(key)
        if target is not None:
            constants[target.payload_key] = constant_value(target, raw_value)
    return RowMapper([step for _, step in steps], constants, duplicates=duplicates)
