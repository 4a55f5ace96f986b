"""Suggestions: exact names, aliases in four languages, refusals, fuzzy matches, samples."""

from __future__ import annotations

import pytest

from propel_admin.mapping import messages
from propel_admin.mapping.suggest import (
    FUZZY_THRESHOLD,
    Suggestion,
    spec_from_suggestions,
    suggest_mapping,
)


def targets(suggestions: list[Suggestion]) -> dict[str, str | None]:
    return {s.header: s.target for s in suggestions}


def reasons(suggestions: list[Suggestion]) -> dict[str, str]:
    return {s.header: s.reason for s in suggestions}


def test_it_maps_an_english_crm_export() -> None:
    headers = ["Contact ID", "First Name", "Last Name", "Email", "Phone", "Date of Birth",
               "Gender", "Company ID", "Language", "Title", "Initials"]  # fmt: skip
    assert list(targets(suggest_mapping(headers)).values()) == [
        "id", "firstName", "lastName", "email", "phone", "dateOfBirth", "gender",
        "parent.id", "primaryLanguage", "title", "abbreviation",
    ]  # fmt: skip


def test_it_maps_a_dutch_export_and_refuses_what_cannot_be_sent() -> None:
    headers = ["Contactnummer", "Voornaam", "Tussenvoegsel", "Achternaam", "E-mailadres",
               "Telefoon", "Geboortedatum", "Geslacht", "Taal", "Bedrijfsnaam", "Mobiel",
               "Woonplaats", "BSN"]  # fmt: skip
    result = suggest_mapping(headers)
    assert targets(result) == {
        "Contactnummer": "id", "Voornaam": "firstName", "Tussenvoegsel": "middleName",
        "Achternaam": "lastName", "E-mailadres": "email", "Telefoon": "phone",
        "Geboortedatum": "dateOfBirth", "Geslacht": "gender", "Taal": "primaryLanguage",
        "Bedrijfsnaam": None, "Mobiel": None, "Woonplaats": None, "BSN": "ssn",
    }  # fmt: skip
    assert [s.header for s in result if s.reason == "refused"] == [
        "Bedrijfsnaam", "Mobiel", "Woonplaats",
    ]  # fmt: skip


def test_it_maps_a_german_export() -> None:
    headers = ["Kontaktnummer", "Vorname", "Nachname", "E-Mail-Adresse", "Telefonnummer",
               "Geburtsdatum", "Geschlecht", "Sprache", "Firma", "Handy", "Straße",
               "PLZ"]  # fmt: skip
    assert targets(suggest_mapping(headers)) == {
        "Kontaktnummer": "id", "Vorname": "firstName", "Nachname": "lastName",
        "E-Mail-Adresse": "email", "Telefonnummer": "phone", "Geburtsdatum": "dateOfBirth",
        "Geschlecht": "gender", "Sprache": "primaryLanguage", "Firma": None, "Handy": None,
        "Straße": None, "PLZ": None,
    }  # fmt: skip


def test_it_maps_a_french_export() -> None:
    headers = ["Prénom", "Nom", "Courriel", "Téléphone", "Date de naissance", "Sexe", "Langue"]
    assert list(targets(suggest_mapping(headers)).values()) == [
        "firstName", "lastName", "email", "phone", "dateOfBirth", "gender", "primaryLanguage",
    ]  # fmt: skip


def test_it_handles_a_messy_export() -> None:
    headers = ["Customer ID", "Given name", "Surname", "E-mail Address", "Company", "Mobile",
               "DOB", "Tel.", "Sex", "Notes", " ID "]  # fmt: skip
    result = suggest_mapping(headers)
    assert targets(result) == {
        "Customer ID": None, "Given name": "firstName", "Surname": "lastName",
        "E-mail Address": "email", "Company": None, "Mobile": None, "DOB": "dateOfBirth",
        "Tel.": "phone", "Sex": "gender", "Notes": None, " ID ": "id",
    }  # fmt: skip
    assert reasons(result) == {
        "Customer ID": "none", "Given name": "alias", "Surname": "alias",
        "E-mail Address": "alias", "Company": "refused", "Mobile": "refused", "DOB": "alias",
        "Tel.": "alias", "Sex": "alias", "Notes": "none", " ID ": "exact",
    }  # fmt: skip


def test_messages_say_why() -> None:
    by_header = {s.header: s for s in suggest_mapping(["Given name", "email", "Notes", "Fax"])}
    assert by_header["Given name"].message == 'Matched the alias "Given name"'
    assert by_header["email"].message == messages.SUGGEST_EXACT.format(label="Email")
    assert by_header["Notes"].message == messages.SUGGEST_NONE
    assert by_header["Fax"].message.startswith("Not accepted by this endpoint: ")


def test_customer_numbers_are_not_taken_for_contact_ids() -> None:
    (suggestion,) = suggest_mapping(["Customer number"])
    assert suggestion.target is None
    assert suggestion.message.startswith("Not matched on purpose: a customer number")


@pytest.mark.parametrize(
    ("header", "target"),
    [("Frist name", "firstName"), ("Emial adress", "email"), ("Lastname2", "lastName"),
     ("Telephon", "phone"), ("Geslact", "gender")],
)  # fmt: skip
def test_it_matches_misspelt_headers_fuzzily(header: str, target: str) -> None:
    (suggestion,) = suggest_mapping([header])
    assert (suggestion.target, suggestion.reason) == (target, "fuzzy")
    assert FUZZY_THRESHOLD <= suggestion.score < 1
    assert suggestion.message.startswith("Looks like ")
    assert suggestion.message.endswith(f"({round(suggestion.score * 100)}% similar)")


@pytest.mark.parametrize("header", ["Contakt ID", "Parnet ID", "Sourceid2", "Nickname", "X"])
def test_ids_and_unlike_headers_are_never_fuzzy_matched(header: str) -> None:
    (suggestion,) = suggest_mapping([header])
    assert suggestion.target is None


def test_a_fuzzy_refused_name_is_refused() -> None:
    (suggestion,) = suggest_mapping(["Stret"])
    assert suggestion.reason == "refused"


def test_sample_values_reveal_an_email_column() -> None:
    samples = [["ann@example.com", "bob@example.nl", ""]]
    (suggestion,) = suggest_mapping(["Contact"], samples)
    assert (suggestion.target, suggestion.reason) == ("email", "fuzzy")
    assert suggestion.message == messages.SUGGEST_SAMPLES.format(what="email addresses")


def test_sample_values_reveal_a_gender_column() -> None:
    (suggestion,) = suggest_mapping(["Aanhef"], {"Aanhef": ["Dhr.", "Mevr.", "Dhr.", None]})
    assert suggestion.target == "gender"


def test_too_few_or_mixed_samples_reveal_nothing() -> None:
    assert suggest_mapping(["Size"], [["M", "L", "XL"]])[0].target is None
    assert suggest_mapping(["Aanhef"], [["Dhr.", "Dhr."]])[0].target is None
    assert suggest_mapping(["Contact"], [["ann@example.com", "n/a", "x", "y"]])[0].target is None


def test_samples_never_override_an_alias() -> None:
    (suggestion,) = suggest_mapping(["Mail"], [["M", "F", "M", "F"]])
    assert (suggestion.target, suggestion.reason) == ("email", "alias")


def test_samples_break_a_tie_between_fuzzy_candidates() -> None:
    # "Genoren" is close to both "Geboren" (date of birth) and "Genre" (gender).
    (by_name,) = suggest_mapping(["Genoren"])
    (by_values,) = suggest_mapping(["Genoren"], [["M", "F", "M"]])
    assert (by_name.target, by_name.reason) == ("dateOfBirth", "fuzzy")
    assert (by_values.target, by_values.reason) == ("gender", "fuzzy")


def test_no_two_columns_get_the_same_target() -> None:
    result = suggest_mapping(["Email", "E-mail", "Mail 2", "Firstname", "Voornaam"])
    assert targets(result) == {
        "Email": "email", "E-mail": None, "Mail 2": None, "Firstname": "firstName",
        "Voornaam": None,
    }  # fmt: skip
    loser = result[1]
    assert loser.reason == "none"
    assert loser.message == messages.SUGGEST_TAKEN.format(label="Email", header="Email")


def test_an_exact_match_beats_an_alias_and_an_alias_beats_fuzzy() -> None:
    assert targets(suggest_mapping(["Surname", "lastName"]))["lastName"] == "lastName"
    assert targets(suggest_mapping(["Emial", "Mail"])) == {"Emial": None, "Mail": "email"}


def test_a_losing_language_column_is_refused() -> None:
    result = suggest_mapping(["primaryLanguage", "language"])
    assert targets(result) == {"primaryLanguage": "primaryLanguage", "language": None}
    assert result[1].reason == "refused"


def test_a_lone_language_column_maps_to_primary_language() -> None:
    assert suggest_mapping(["Language"])[0].target == "primaryLanguage"


def test_remembered_targets_win_and_are_marked_template() -> None:
    remembered = {"Mail": "email", "klant_e-mail": "email", "Old field": None}
    result = suggest_mapping(["Email", "Mail", "Old field"], remembered=remembered)
    assert targets(result) == {"Email": None, "Mail": "email", "Old field": None}
    assert [s.reason for s in result] == ["none", "template", "template"]
    assert result[1].message == messages.SUGGEST_TEMPLATE
    assert result[2].message == messages.SUGGEST_TEMPLATE_IGNORED


def test_remembered_headers_match_after_normalising() -> None:
    (suggestion,) = suggest_mapping(["Klant E-mail"], remembered={"klant_e-mail": "email"})
    assert (suggestion.target, suggestion.reason) == ("email", "template")


def test_stale_remembered_fields_are_ignored() -> None:
    (suggestion,) = suggest_mapping(["Email"], remembered={"Email": "shoeSize"})
    assert (suggestion.target, suggestion.reason) == ("email", "exact")


def test_a_first_spec_switches_on_the_obvious_transforms() -> None:
    headers = ["ID", "DOB", "Sex", "Taal", "Tel", "Notes"]
    samples = [["1"], ["28/08/1993", "01/02/1990"], ["M"], ["Engels"], ["+31 6"], ["x"]]
    spec = spec_from_suggestions(suggest_mapping(headers, samples), samples)
    rules = {rule.header: rule for rule in spec.columns}
    assert rules["DOB"].date_format == "DD/MM/YYYY"
    assert rules["Sex"].gender
    assert rules["Taal"].language
    assert rules["Tel"].phone
    assert rules["Notes"].target is None
    assert spec.problems(headers) == []
