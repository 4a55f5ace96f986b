"""RowMapper: the exact JSON the API expects, every row error, duplicates, and the API's rules."""

from __future__ import annotations

import pytest

from propel_admin.mapping import messages
from propel_admin.mapping.spec import ColumnRule, MappingSpec
from propel_admin.mapping.types import FieldError
from propel_admin.mapping.validate import DuplicateTracker, RowMapper, compile_mapping
from propel_admin.sandbox import validation as sandbox

HEADERS = [
    "Contact ID", "Debtor", "First name", "Middle", "Last name", "Initials", "Title", "DOB",
    "Sex", "BSN", "Phone", "E-mail", "Company ID", "Language", "Ext ID", "Source",
]  # fmt: skip
TARGETS = [
    "id", "debtorId", "firstName", "middleName", "lastName", "abbreviation", "title",
    "dateOfBirth", "gender", "ssn", "phone", "email", "parent.id", "primaryLanguage",
    "sourceId", "source",
]  # fmt: skip
ROW = [
    "25492", "12345.0", " Ann ", "van der", "Berg", "A.", "Dr.", "1993-08-28", "Vrouw",
    "123456782", "+31 (0)20 123 4567", "ann@example.com", "9482", "Engels", "00123", "CRM",
]  # fmt: skip


def full_mapper(duplicates: DuplicateTracker | None = None) -> RowMapper:
    rules = []
    for index, (header, target) in enumerate(zip(HEADERS, TARGETS, strict=True)):
        rules.append(
            ColumnRule(
                index,
                header,
                target,
                date_format="YYYY-MM-DD" if target == "dateOfBirth" else None,
                gender=target == "gender",
                language=target == "primaryLanguage",
                phone=target == "phone",
            )
        )
    return compile_mapping(MappingSpec(tuple(rules)), HEADERS, duplicates=duplicates)


def mapper_for(*targets: str, **constants: str) -> RowMapper:
    """One column per target, headed by the target key."""
    rules = tuple(ColumnRule(i, key, key) for i, key in enumerate(targets))
    return compile_mapping(MappingSpec(rules, constants), list(targets))


def test_it_builds_the_exact_payload_the_api_expects() -> None:
    row = full_mapper().map(ROW)
    assert row.errors == []
    assert row.ok
    assert row.payload == {
        "id": 25492,
        "debtorId": 12345,
        "firstName": "Ann",
        "middleName": "van der",
        "lastName": "Berg",
        "abbreviation": "A.",
        "title": "Dr.",
        "dateOfBirth": "28/08/1993",
        "gender": "f",
        "ssn": "123456782",
        "phone": "+31201234567",
        "email": "ann@example.com",
        "parent": {"id": 9482},
        "primaryLanguage": "EN",
        "sourceId": "00123",
        "source": "CRM",
    }
    assert next(iter(row.payload)) == "id"
    assert type(row.payload["id"]) is int
    assert type(row.payload["debtorId"]) is int
    assert type(row.payload["parent"]["id"]) is int


def test_the_payload_passes_the_apis_validation() -> None:
    payload = full_mapper().map(ROW).payload
    assert sandbox.validate_bulk({"contacts": [payload]}, max_bulk=100) == [payload]
    assert sandbox.item_errors(payload) == []


@pytest.mark.parametrize("empty", [None, "", "   ", "\u00a0", "\ufeff"])
def test_empty_cells_are_omitted_not_sent_as_null(empty: str | None) -> None:
    cells = [empty] * len(HEADERS)
    cells[0] = "7"
    assert full_mapper().map(cells).payload == {"id": 7}


def test_short_rows_count_as_empty_cells() -> None:
    row = full_mapper().map(["7", None, "Ann"])
    assert (row.payload, row.errors) == ({"id": 7, "firstName": "Ann"}, [])


def test_constants_are_added_to_every_row() -> None:
    mapper = mapper_for("id", gender="Male", primaryLanguage="Dutch", source="REST-API",
                        **{"parent.id": "9482"})  # fmt: skip
    first, second = mapper.map(["1"]), mapper.map(["2"])
    assert first.payload == {
        "id": 1, "gender": "m", "primaryLanguage": "NL", "source": "REST-API",
        "parent": {"id": 9482},
    }  # fmt: skip
    first.payload["parent"]["id"] = 0  # a caller editing one row's payload
    assert second.payload["parent"] == {"id": 9482}


def test_trim_can_be_switched_off_for_text() -> None:
    spec = MappingSpec((ColumnRule(0, "id", "id"), ColumnRule(1, "n", "firstName", trim=False)))
    row = compile_mapping(spec, ["id", "n"]).map([" 7 ", " Ann "])
    assert row.payload == {"id": 7, "firstName": " Ann "}


def test_columns_are_found_by_header_in_a_reordered_file() -> None:
    spec = MappingSpec((ColumnRule(0, "ID", "id"), ColumnRule(1, "Mail", "email")))
    mapper = compile_mapping(spec, ["Mail", "Notes", "ID"])
    assert mapper.map(["a@example.com", "x", "3"]).payload == {"id": 3, "email": "a@example.com"}
    assert mapper.columns == {"id": "ID", "email": "Mail"}


def errors_for(target: str, value: str) -> list[FieldError]:
    mapper = mapper_for("id", target, source="CRM") if target != "source" else mapper_for("id")
    return mapper.map(["1", value]).errors


@pytest.mark.parametrize(
    ("target", "value", "message"),
    [
        ("debtorId", "12a", messages.DEBTOR_ID_NOT_WHOLE),
        ("debtorId", "-1", messages.DEBTOR_ID_NOT_POSITIVE),
        ("debtorId", "9" * 20, messages.DEBTOR_ID_TOO_LARGE),
        ("parent.id", "1,234", messages.PARENT_ID_NOT_WHOLE),
        ("parent.id", "0", messages.PARENT_ID_NOT_POSITIVE),
        ("parent.id", "9" * 20, messages.PARENT_ID_TOO_LARGE),
        ("email", "ann@example", messages.EMAIL_INVALID),
        ("dateOfBirth", "28-08-1993", messages.DATE_NO_MATCH),
        ("dateOfBirth", "31/02/1993", messages.DATE_NOT_REAL),
        ("gender", "Male", messages.GENDER_INVALID),
        ("primaryLanguage", "English", messages.LANGUAGE_INVALID),
        ("phone", "x" * 256, messages.TEXT_TOO_LONG),
        ("lastName", "x" * 256, messages.TEXT_TOO_LONG),
        ("sourceId", "x" * 256, messages.TEXT_TOO_LONG),
    ],
)
def test_each_field_rule_has_its_message(target: str, value: str, message: str) -> None:
    shown = None if target == "dateOfBirth" else value  # personal data: never in a message
    assert errors_for(target, value) == [FieldError(target, target, message, shown)]


def test_transform_messages() -> None:
    headers = ["id", "sex", "lang", "tel"]
    spec = MappingSpec((
        ColumnRule(0, "id", "id"),
        ColumnRule(1, "sex", "gender", gender=True),
        ColumnRule(2, "lang", "primaryLanguage", language=True),
        ColumnRule(3, "tel", "phone", phone=True),
    ))  # fmt: skip
    row = compile_mapping(spec, headers).map(["1", "Robot", "Klingon", "020 ext 5"])
    assert [e.message for e in row.errors] == [
        messages.GENDER_UNKNOWN_WORD,
        messages.PHONE_INVALID,
        messages.LANGUAGE_UNKNOWN,
    ]  # fmt: skip  (in the catalogue's order)


@pytest.mark.parametrize(
    ("value", "message"),
    [("12a", messages.ID_NOT_WHOLE), ("0", messages.ID_NOT_POSITIVE),
     ("-3", messages.ID_NOT_POSITIVE), ("1.2e4", messages.ID_NOT_WHOLE),
     (str(2**63), messages.ID_TOO_LARGE)],
)  # fmt: skip
def test_a_bad_id_is_reported_once_and_not_as_missing(value: str, message: str) -> None:
    row = mapper_for("id").map([value])
    assert row.errors == [FieldError("id", "id", message, value)]
    assert row.payload == {}


def test_error_text_shows_the_value_apart_from_the_message() -> None:
    (error,) = mapper_for("id").map(["12a"]).errors
    assert error.message == "Contact id must be a whole number"
    assert error.text == 'Contact id must be a whole number (got "12a")'
    long = FieldError("email", "Mail", messages.EMAIL_INVALID, "x" * 100)
    assert long.text == f'{messages.EMAIL_INVALID} (got "{"x" * 59}…")'


def test_a_missing_id_is_reported() -> None:
    assert mapper_for("id", "firstName").map(["", "Ann"]).errors == [
        FieldError("id", "id", messages.ID_MISSING)
    ]
    assert mapper_for("firstName").map(["Ann"]).errors == [
        FieldError("id", None, messages.ID_MISSING)
    ]


def test_source_is_required_with_a_source_id() -> None:
    mapper = mapper_for("id", "sourceId", "source")
    assert mapper.map(["1", "S-1", "CRM"]).ok
    assert mapper.map(["1", "", "CRM"]).ok
    assert mapper.map(["1", "S-1", ""]).errors == [
        FieldError("source", "source", messages.SOURCE_REQUIRED)
    ]
    assert mapper_for("id", "sourceId").map(["1", "S-1"]).errors == [
        FieldError("source", None, messages.SOURCE_REQUIRED)
    ]


def test_ssn_values_never_appear_in_errors() -> None:
    secret = "123456782" * 30
    (error,) = mapper_for("id", "ssn").map(["1", secret]).errors
    assert error == FieldError("ssn", "ssn", messages.TEXT_TOO_LONG, None)
    assert "123456782" not in error.text
    assert "123456782" not in repr(error)


def test_duplicate_ids_name_the_first_row() -> None:
    tracker = DuplicateTracker()
    mapper = compile_mapping(MappingSpec((ColumnRule(0, "ID", "id"),)), ["ID"], duplicates=tracker)
    rows = [mapper.map([cell], row_number) for row_number, cell in enumerate(
        ["5", "6", "005", "6", "x", "5"], start=2
    )]  # fmt: skip
    assert [row.ok for row in rows] == [True, True, False, False, False, False]
    assert rows[2].errors == [FieldError("id", "ID", messages.DUPLICATE_ID, row=2)]
    assert rows[2].errors[0].text == "Duplicate of row 2"
    assert rows[3].errors[0].text == "Duplicate of row 3"
    assert rows[5].errors[0].row == 2
    assert len(tracker) == 2


def test_duplicates_are_checked_only_with_a_row_number() -> None:
    mapper = compile_mapping(
        MappingSpec((ColumnRule(0, "ID", "id"),)), ["ID"], duplicates=DuplicateTracker()
    )
    assert mapper.map(["5"]).ok
    assert mapper.map(["5"]).ok
    assert mapper.map(["5"], 7).ok
    assert mapper.map(["5"], 7).ok  # the same row again is not its own duplicate


NASTY_CELLS = [
    "", " ", "0", "-1", "1.5", "1e3", "٣", "12a", "9" * 30, "ann@example", "a@b.c",
    "ann@example.com", "28/08/1993", "31/02/1993", "1993-08-28", "29/02/1900", "M", "male",
    "x", "EN", "en", "English", "zz", "+31 (0)6 1234", "abc", "\u00a0", "null", "x" * 300,
]  # fmt: skip


@pytest.mark.parametrize("cell", NASTY_CELLS)
def test_rows_that_pass_here_pass_the_api(cell: str) -> None:
    mapper = full_mapper()
    for column in range(len(HEADERS)):
        cells = list(ROW)
        cells[column] = cell
        row = mapper.map(cells)
        if row.ok:
            contacts = sandbox.validate_bulk({"contacts": [row.payload]}, max_bulk=1)
            assert sandbox.item_errors(contacts[0]) == [], (HEADERS[column], cell)
