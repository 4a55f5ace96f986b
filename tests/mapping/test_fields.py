"""The field catalogue: the seed's Fields table, aliases that never collide, refused names."""

from __future__ import annotations

import pytest

from propel_admin.mapping import REFUSED, TARGET_FIELDS, field_by_key, refused_reason
from propel_admin.mapping.fields import target_refused_reason
from propel_admin.mapping.names import compact, words
from propel_admin.sandbox.validation import ALLOWED_CONTACT_KEYS

SEED_TABLE = [
    "id", "debtorId", "firstName", "middleName", "lastName", "abbreviation", "title",
    "dateOfBirth", "gender", "ssn", "phone", "email", "parent.id", "primaryLanguage",
    "sourceId", "source",
]  # fmt: skip


def test_it_lists_the_seed_fields_table_in_order() -> None:
    assert [field.key for field in TARGET_FIELDS] == SEED_TABLE


def test_every_field_is_accepted_by_the_endpoint() -> None:
    assert {field.payload_key for field in TARGET_FIELDS} <= ALLOWED_CONTACT_KEYS


def test_only_id_is_required_and_ssn_is_personal_data() -> None:
    assert [field.key for field in TARGET_FIELDS if field.required] == ["id"]
    assert [field.key for field in TARGET_FIELDS if field.pii] == ["dateOfBirth", "ssn"]
    assert field_by_key("debtorId").deprecated  # type: ignore[union-attr]


def test_field_by_key_finds_fields_and_nests_parent() -> None:
    parent = field_by_key("parent.id")
    assert parent is not None
    assert parent.payload_key == "parent"
    assert parent.kind == "integer"
    assert field_by_key("company") is None


def test_every_field_has_a_label_and_help() -> None:
    for field in TARGET_FIELDS:
        assert field.label, field.key
        assert field.help, field.key


def test_no_name_points_at_two_fields() -> None:
    owners: dict[str, str] = {}
    for field in TARGET_FIELDS:
        for name in (field.key, field.label, *field.aliases):
            key = compact(name)
            assert owners.setdefault(key, field.key) == field.key, name


def test_only_language_is_both_an_alias_and_refused() -> None:
    names = {compact(n) for f in TARGET_FIELDS for n in (f.key, f.label, *f.aliases)}
    assert names & set(REFUSED) == {"language"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("E-mail Address", "emailaddress"),
        ("email_address", "emailaddress"),
        ("emailAddress", "emailaddress"),
        ("  Prénom ", "prenom"),
        ("Straße", "strasse"),
        ("Contact #", "contactnumber"),
    ],
)
def test_compact_ignores_case_accents_and_separators(header: str, expected: str) -> None:
    assert compact(header) == expected


def test_words_split_camel_case() -> None:
    assert words("companyName (2)") == ["company", "name", "2"]


@pytest.mark.parametrize(
    "header",
    ["company", "Company Name", "companyName", "Mobile", "mobile phone (work)", "GSM",
     "fullName", "Name", "login", "Password", "Address", "Street 1", "City", "ZIP",
     "Country", "Website", "Fax", "VAT number", "BTW-nummer", "Job title", "Bedrijfsnaam"],
)  # fmt: skip
def test_it_refuses_columns_the_endpoint_does_not_accept(header: str) -> None:
    assert refused_reason(header) is not None


@pytest.mark.parametrize("header", ["First name", "Email", "Notes", "Contact", "Company ID"])
def test_it_does_not_refuse_ordinary_columns(header: str) -> None:
    assert refused_reason(header) is None


def test_refused_targets_are_the_schema_extras() -> None:
    for key in ("company", "mobile", "language", "fullName", "login"):
        assert target_refused_reason(key) is not None
    assert target_refused_reason("email") is None
    assert target_refused_reason("shoeSize") is None
