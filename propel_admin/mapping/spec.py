"""MappingSpec: which column feeds which field, with which transforms; serialisable.

A spec names each column by header and index, so a saved template still applies when a
later file has its columns in another order. `problems()` says what stops it compiling.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import messages
from .convert import converter_for
from .dates import DATE_FORMATS, detect_date_format
from .fields import Field, field_by_key, target_refused_reason
from .names import compact
from .transforms import trim
from .types import Invalid, MappingSpecError, SpecProblem

SPEC_VERSION = 1
_FLAGS = ("gender", "language", "phone")
_FLAG_TARGET = {"gender": "gender", "language": "primaryLanguage", "phone": "phone"}


@dataclass(frozen=True, slots=True)
class ColumnRule:
    """What to do with one source column; target None means "ignore the column"."""

    index: int  # 0-based position in the file's header
    header: str
    target: str | None = None
    trim: bool = True
    date_format: str | None = None  # a DATE_FORMATS name; None = DD/MM/YYYY or YYYY-MM-DD
    gender: bool = False  # translate words (Male, Vrouw, Herr) to m/f/u
    language: bool = False  # translate names and tags (Engels, en_US) to ISO 639-1
    phone: bool = False  # clean up punctuation, keep a leading +

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "header": self.header,
            "target": self.target,
            "trim": self.trim,
            "date_format": self.date_format,
            "gender": self.gender,
            "language": self.language,
            "phone": self.phone,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ColumnRule:
        if not isinstance(data, Mapping):
            raise _damaged()
        index, header, target = data.get("index"), data.get("header"), data.get("target")
        date_format = data.get("date_format")
        flags = {name: data.get(name, False) for name in ("trim", *_FLAGS)}
        if "trim" not in data:
            flags["trim"] = True
        if (
            not isinstance(index, int)
            or isinstance(index, bool)
            or index < 0
            or not isinstance(header, str)
            or not (target is None or isinstance(target, str))
            or not (date_format is None or isinstance(date_format, str))
            or not all(isinstance(value, bool) for value in flags.values())
        ):
            raise _damaged()
        return cls(index, header, target, date_format=date_format, **flags)


@dataclass(frozen=True, slots=True)
class MappingSpec:
    """Column rules plus constants: values for fields the file does not hold."""

    columns: tuple[ColumnRule, ...] = ()
    constants: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SPEC_VERSION,
            "columns": [rule.to_dict() for rule in self.columns],
            "constants": dict(self.constants),
        }

    @classmethod
    def from_dict(cls, data: Any) -> MappingSpec:
        """Rebuild a spec stored with to_dict(); MappingSpecError if it is damaged."""
        if not isinstance(data, Mapping) or data.get("version") != SPEC_VERSION:
            raise _damaged()
        columns, constants = data.get("columns", []), data.get("constants", {})
        if not isinstance(columns, list) or not isinstance(constants, Mapping):
            raise _damaged()
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in constants.items()):
            raise _damaged()
        return cls(tuple(ColumnRule.from_dict(item) for item in columns), dict(constants))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MappingSpec:
        try:
            data = json.loads(text)
        except ValueError:
            raise _damaged() from None
        return cls.from_dict(data)

    @property
    def mapped(self) -> tuple[ColumnRule, ...]:
        """The rules that feed a field (ignored columns left out)."""
        return tuple(rule for rule in self.columns if rule.target is not None)

    def problems(self, headers: Sequence[str] | None = None) -> list[SpecProblem]:
        """Everything that stops the spec compiling (against these headers, if given)."""
        found = [*_column_problems(self), *_constant_problems(self)]
        if headers is not None:
            for rule in self.columns:
                if rule.target is not None and resolve_column(rule, headers) is None:
                    found.append(SpecProblem(messages.SPEC_COLUMN_NOT_FOUND, None, (rule.header,)))
        return found

    def warnings(self) -> list[SpecProblem]:
        """Allowed, but every (or many a) row will fail: say so before the run."""
        targets = {rule.target for rule in self.mapped} | set(self.constants)
        found = []
        if "id" not in targets:
            found.append(SpecProblem(messages.SPEC_NO_ID, "id"))
        if "sourceId" in targets and "source" not in targets:
            found.append(SpecProblem(messages.SPEC_SOURCE_MISSING, "source"))
        return found


def _damaged() -> MappingSpecError:
    return MappingSpecError([SpecProblem(messages.SPEC_DAMAGED)])


def resolve_column(rule: ColumnRule, headers: Sequence[str]) -> int | None:
    """The rule's column in this file: same index and name, else the same name elsewhere."""
    if rule.index < len(headers) and headers[rule.index] == rule.header:
        return rule.index
    if rule.header in headers:
        return list(headers).index(rule.header)
    wanted = compact(rule.header)
    matches = [i for i, header in enumerate(headers) if compact(header) == wanted]
    return matches[0] if len(matches) == 1 else None


def _target_problem(target: str, columns: tuple[str, ...] = ()) -> SpecProblem | None:
    if field_by_key(target) is not None:
        return None
    if target_refused_reason(target) is not None:
        return SpecProblem(messages.SPEC_REFUSED_FIELD, target, columns)
    return SpecProblem(messages.SPEC_UNKNOWN_FIELD, target, columns)


def _column_problems(spec: MappingSpec) -> list[SpecProblem]:
    found: list[SpecProblem] = []
    by_target: dict[str, list[str]] = defaultdict(list)
    by_index: dict[int, list[str]] = defaultdict(list)
    for rule in spec.columns:
        by_index[rule.index].append(rule.header)
        if rule.target is None:
            continue
        by_target[rule.target].append(rule.header)
        problem = _target_problem(rule.target, (rule.header,))
        found.extend([problem] if problem else _transform_problems(rule))
    for headers in by_index.values():
        if len(headers) > 1:
            found.append(SpecProblem(messages.SPEC_COLUMN_TWICE, None, tuple(headers)))
    for target, headers in by_target.items():
        if len(headers) > 1:
            found.append(SpecProblem(messages.SPEC_TARGET_TWICE, target, tuple(headers)))
        if target in spec.constants:
            found.append(SpecProblem(messages.SPEC_CONSTANT_AND_COLUMN, target, tuple(headers)))
    return found


def _transform_problems(rule: ColumnRule) -> list[SpecProblem]:
    found = []
    columns = (rule.header,)
    if rule.date_format is not None:
        if rule.date_format not in DATE_FORMATS:
            found.append(SpecProblem(messages.SPEC_DATE_FORMAT_UNKNOWN, rule.target, columns))
        elif rule.target != "dateOfBirth":
            found.append(SpecProblem(messages.SPEC_TRANSFORM_MISMATCH, rule.target, columns))
    for flag in _FLAGS:
        if getattr(rule, flag) and rule.target != _FLAG_TARGET[flag]:
            found.append(SpecProblem(messages.SPEC_TRANSFORM_MISMATCH, rule.target, columns))
    return found


def _constant_problems(spec: MappingSpec) -> list[SpecProblem]:
    found: list[SpecProblem] = []
    for key, raw in spec.constants.items():
        problem = _target_problem(key)
        target = field_by_key(key)
        if problem is not None or target is None:
            found.append(problem or SpecProblem(messages.SPEC_UNKNOWN_FIELD, key))
        elif key == "id":
            found.append(SpecProblem(messages.SPEC_CONSTANT_NOT_ALLOWED, key))
        elif not trim(raw):
            found.append(SpecProblem(messages.SPEC_CONSTANT_EMPTY, key))
        else:
            converted = constant_value(target, raw)
            if isinstance(converted, Invalid):
                found.append(SpecProblem(converted.message, key))
    return found


def constant_value(target: Field, raw: str) -> object:
    """A constant as it is sent (translating words where the field allows), or Invalid."""
    convert = converter_for(target, gender=True, language=True, phone=True)
    return convert(trim(raw))


def default_rule(
    index: int, header: str, target: str | None, samples: Sequence[str | None] = ()
) -> ColumnRule:
    """The rule a suggestion starts with: the field's obvious transform switched on."""
    if target == "dateOfBirth":
        return ColumnRule(index, header, target, date_format=detect_date_format(samples).format)
    return ColumnRule(
        index,
        header,
        target,
        gender=target == "gender",
        language=target == "primaryLanguage",
        phone=target == "phone",
    )
