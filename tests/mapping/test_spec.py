"""MappingSpec: round trips through dict and JSON, and says what is wrong with it."""

from __future__ import annotations

from typing import Any

import pytest

from propel_admin.mapping import messages
from propel_admin.mapping.spec import ColumnRule, MappingSpec, resolve_column
from propel_admin.mapping.types import MappingSpecError, SpecProblem
from propel_admin.mapping.validate import compile_mapping

HEADERS = ["ID", "Name", "Mail", "DOB", "Sex"]


def make_spec(*rules: ColumnRule, **constants: str) -> MappingSpec:
    return MappingSpec(rules, constants)


def full_spec() -> MappingSpec:
    return make_spec(
        ColumnRule(0, "ID", "id"),
        ColumnRule(1, "Name", "firstName", trim=False),
        ColumnRule(2, "Mail", "email"),
        ColumnRule(3, "DOB", "dateOfBirth", date_format="MM/DD/YYYY"),
        ColumnRule(4, "Sex", "gender", gender=True),
        ColumnRule(5, "Notes"),
        source="CRM",
        **{"parent.id": "9"},
    )


def test_it_round_trips_through_a_dict() -> None:
    spec = full_spec()
    data = spec.to_dict()
    assert data["version"] == 1
    assert data["columns"][1] == {
        "index": 1, "header": "Name", "target": "firstName", "trim": False,
        "date_format": None, "gender": False, "language": False, "phone": False,
    }  # fmt: skip
    assert data["constants"] == {"source": "CRM", "parent.id": "9"}
    assert MappingSpec.from_dict(data) == spec


def test_it_round_trips_through_json() -> None:
    spec = full_spec()
    assert MappingSpec.from_json(spec.to_json()) == spec


def test_missing_flags_take_their_defaults() -> None:
    spec = MappingSpec.from_dict(
        {"version": 1, "columns": [{"index": 0, "header": "ID", "target": "id"}]}
    )
    assert spec.columns == (ColumnRule(0, "ID", "id", trim=True),)
    assert spec.constants == {}


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"version": 2, "columns": []},
        {"version": 1, "columns": {}},
        {"version": 1, "columns": ["ID"]},
        {"version": 1, "columns": [{"index": 0}]},
        {"version": 1, "columns": [{"index": -1, "header": "ID"}]},
        {"version": 1, "columns": [{"index": True, "header": "ID"}]},
        {"version": 1, "columns": [{"index": 0, "header": "ID", "target": 5}]},
        {"version": 1, "columns": [{"index": 0, "header": "ID", "trim": "yes"}]},
        {"version": 1, "columns": [{"index": 0, "header": "ID", "date_format": 1}]},
        {"version": 1, "columns": [], "constants": {"source": 1}},
        {"version": 1, "columns": [], "constants": ["source"]},
    ],
)
def test_damaged_specs_are_refused(data: Any) -> None:
    with pytest.raises(MappingSpecError) as caught:
        MappingSpec.from_dict(data)
    assert caught.value.problems == [SpecProblem(messages.SPEC_DAMAGED)]


def test_damaged_json_is_refused() -> None:
    with pytest.raises(MappingSpecError):
        MappingSpec.from_json("{not json")


def test_a_good_spec_has_no_problems() -> None:
    assert full_spec().problems([*HEADERS, "Notes"]) == []


def messages_of(spec: MappingSpec, headers: list[str] | None = None) -> list[str]:
    return [problem.message for problem in spec.problems(headers)]


def test_unknown_and_refused_targets_are_problems() -> None:
    spec = make_spec(ColumnRule(0, "ID", "shoeSize"), ColumnRule(1, "Name", "company"))
    assert spec.problems() == [
        SpecProblem(messages.SPEC_UNKNOWN_FIELD, "shoeSize", ("ID",)),
        SpecProblem(messages.SPEC_REFUSED_FIELD, "company", ("Name",)),
    ]


def test_two_columns_onto_one_target_is_a_problem() -> None:
    spec = make_spec(ColumnRule(2, "Mail", "email"), ColumnRule(5, "E-mail", "email"))
    (problem,) = spec.problems()
    assert problem == SpecProblem(messages.SPEC_TARGET_TWICE, "email", ("Mail", "E-mail"))
    assert problem.text == 'Two columns are mapped to the same field (Email, "Mail", "E-mail")'


def test_one_column_listed_twice_is_a_problem() -> None:
    spec = make_spec(ColumnRule(0, "ID", "id"), ColumnRule(0, "ID", "debtorId"))
    assert messages_of(spec) == [messages.SPEC_COLUMN_TWICE]


def test_a_constant_and_a_column_onto_one_target_is_a_problem() -> None:
    spec = make_spec(ColumnRule(0, "ID", "id"), ColumnRule(1, "Name", "source"), source="CRM")
    assert messages_of(spec) == [messages.SPEC_CONSTANT_AND_COLUMN]


@pytest.mark.parametrize(
    ("constants", "expected"),
    [
        ({"id": "5"}, messages.SPEC_CONSTANT_NOT_ALLOWED),
        ({"source": "  "}, messages.SPEC_CONSTANT_EMPTY),
        ({"shoeSize": "42"}, messages.SPEC_UNKNOWN_FIELD),
        ({"mobile": "0612345678"}, messages.SPEC_REFUSED_FIELD),
        ({"parent.id": "abc"}, messages.PARENT_ID_NOT_WHOLE),
        ({"parent.id": "0"}, messages.PARENT_ID_NOT_POSITIVE),
        ({"gender": "Robot"}, messages.GENDER_UNKNOWN_WORD),
        ({"primaryLanguage": "Klingon"}, messages.LANGUAGE_UNKNOWN),
        ({"dateOfBirth": "31/02/1990"}, messages.DATE_NOT_REAL),
        ({"email": "nobody"}, messages.EMAIL_INVALID),
    ],
)
def test_bad_constants_are_problems(constants: dict[str, str], expected: str) -> None:
    spec = MappingSpec((ColumnRule(0, "Name", "firstName"),), constants)
    assert messages_of(spec) == [expected]


def test_transforms_must_fit_their_field() -> None:
    spec = make_spec(
        ColumnRule(1, "Name", "firstName", gender=True),
        ColumnRule(2, "Mail", "email", date_format="DD/MM/YYYY"),
        ColumnRule(3, "DOB", "dateOfBirth", date_format="YYYYMMDD"),
        ColumnRule(4, "Sex", "gender", gender=True, phone=True, language=True),
    )
    assert messages_of(spec) == [
        messages.SPEC_TRANSFORM_MISMATCH,
        messages.SPEC_TRANSFORM_MISMATCH,
        messages.SPEC_DATE_FORMAT_UNKNOWN,
        messages.SPEC_TRANSFORM_MISMATCH,
        messages.SPEC_TRANSFORM_MISMATCH,
    ]


def test_ignored_columns_may_carry_anything() -> None:
    assert make_spec(ColumnRule(0, "X", None, gender=True), ColumnRule(0, "X")).problems() == [
        SpecProblem(messages.SPEC_COLUMN_TWICE, None, ("X", "X"))
    ]


def test_columns_missing_from_the_file_are_problems() -> None:
    spec = make_spec(ColumnRule(0, "ID", "id"), ColumnRule(7, "Phone", "phone"))
    assert spec.problems(HEADERS) == [SpecProblem(messages.SPEC_COLUMN_NOT_FOUND, None, ("Phone",))]


def test_columns_are_found_by_name_when_the_file_is_reordered() -> None:
    assert resolve_column(ColumnRule(0, "Mail", "email"), HEADERS) == 2
    assert resolve_column(ColumnRule(2, "Mail", "email"), HEADERS) == 2
    assert resolve_column(ColumnRule(0, "e_mail", "email"), ["Id", "E-mail"]) == 1
    assert resolve_column(ColumnRule(0, "mail", "email"), ["Mail", "MAIL"]) is None


def test_warnings_say_when_rows_will_fail() -> None:
    spec = make_spec(ColumnRule(1, "Name", "sourceId"))
    assert [w.message for w in spec.warnings()] == [
        messages.SPEC_NO_ID,
        messages.SPEC_SOURCE_MISSING,
    ]
    assert make_spec(ColumnRule(0, "ID", "id"), sourceId="1", source="CRM").warnings() == []


def test_compiling_a_wrong_spec_raises_with_its_problems() -> None:
    spec = make_spec(ColumnRule(0, "ID", "id"), ColumnRule(9, "Gone", "email"))
    with pytest.raises(MappingSpecError) as caught:
        compile_mapping(spec, HEADERS)
    assert [p.message for p in caught.value.problems] == [messages.SPEC_COLUMN_NOT_FOUND]
    assert 'The file has no column with this name ("Gone")' in str(caught.value)
