"""Personal data columns: mapped to SSN or date of birth, or named like one whatever they feed."""

from __future__ import annotations

from propel_admin.mapping import (
    MappingSpec,
    compile_mapping,
    named_target,
    pii_columns,
    pii_payload_keys,
)
from propel_admin.mapping.spec import ColumnRule

HEADERS = ["Contact ID", "BSN", "Date of birth", "Notes", "Social security no", "E-mail"]


def _spec(*targets: str | None) -> MappingSpec:
    pairs = enumerate(zip(HEADERS, targets, strict=True))
    return MappingSpec(tuple(ColumnRule(i, header, target) for i, (header, target) in pairs))


def test_named_target_knows_exact_names_and_aliases_only() -> None:
    assert named_target("BSN") == "ssn"
    assert named_target("Burgerservicenummer") == "ssn"
    assert named_target("social_security_no") == "ssn"
    assert named_target("Social security number") == "ssn"  # the label
    assert named_target("DOB") == "dateOfBirth"
    assert named_target("Date of Birth") == "dateOfBirth"
    assert named_target("E-mail") == "email"
    assert named_target("Date of birthday") is None  # close is not named: no fuzzy guess
    assert named_target("Notes") is None
    assert named_target("") is None


def test_pii_columns_are_the_mapped_ones_and_the_named_ones_whatever_they_feed() -> None:
    ignored = _spec("id", None, None, "ssn", None, "email")  # "Notes" holds SSNs
    assert pii_columns(ignored, HEADERS) == {1: "ssn", 2: "dateOfBirth", 3: "ssn", 4: "ssn"}
    assert pii_columns(ignored, HEADERS, fields=("ssn",)) == {1: "ssn", 3: "ssn", 4: "ssn"}
    as_title = _spec("id", "title", "dateOfBirth", None, None, "email")
    assert pii_columns(as_title, HEADERS) == {1: "ssn", 2: "dateOfBirth", 4: "ssn"}
    assert pii_payload_keys(as_title, HEADERS) == {"ssn", "dateOfBirth", "title"}
    assert pii_columns(MappingSpec(), ["Contact ID", "Email"]) == {}


def test_a_column_named_like_an_ssn_never_shows_its_value_in_a_message() -> None:
    spec = _spec("id", "email", None, None, None, "parent.id")
    row = compile_mapping(spec, HEADERS).map(["7", "123-45-6789", "", "", "", "not-a-number"])
    errors = {error.column: error for error in row.errors}
    assert errors["BSN"].value is None  # sent as an e-mail address, still an SSN
    assert "123-45-6789" not in errors["BSN"].text
    assert errors["E-mail"].value == "not-a-number"  # other columns' values as before
