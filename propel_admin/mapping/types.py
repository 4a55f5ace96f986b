"""The package's result types: a transform's failure, row errors, mapped rows, spec problems."""

from __future__ import annotations

from typing import Any, NamedTuple

from . import messages
from .fields import field_by_key

_SHOWN_VALUE_LENGTH = 60


class Invalid:
    """What a transform returns instead of a value: the reason, as a message constant."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"Invalid({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Invalid) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)


class FieldError(NamedTuple):
    """One problem on one row. `message` is a constant (the key errors are grouped by)."""

    field: str  # target field key, e.g. "email" or "parent.id"
    column: str | None  # the source header, None when no column is involved
    message: str
    value: str | None = None  # the offending input; always None for personal data (ssn)
    row: int | None = None  # for duplicates: the row (as the user sees it) this one repeats

    @property
    def text(self) -> str:
        """The sentence for one row: the message, then the offending value if any."""
        text = messages.DUPLICATE_OF_ROW.format(row=self.row) if self.row else self.message
        if self.value is None:
            return text
        shown = self.value
        if len(shown) > _SHOWN_VALUE_LENGTH:
            shown = shown[: _SHOWN_VALUE_LENGTH - 1] + "…"
        return f'{text} (got "{shown}")'


class MappedRow(NamedTuple):
    """The JSON object to send for one row (empty cells omitted) and the row's problems."""

    payload: dict[str, Any]
    errors: list[FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors


class SpecProblem(NamedTuple):
    """Something wrong with a mapping spec, naming the field and columns concerned."""

    message: str
    field: str | None = None
    columns: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        target = field_by_key(self.field) if self.field else None
        parts = [target.label if target else self.field] if self.field else []
        parts.extend(f'"{column}"' for column in self.columns)
        return f"{self.message} ({', '.join(parts)})" if parts else self.message


class MappingSpecError(ValueError):
    """A spec that cannot be compiled or loaded; `problems` says why."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        super().__init__("; ".join(problem.text for problem in problems))
        self.problems = problems
