"""Transforms: pure `str -> value | Invalid` functions, with their edge cases."""

from __future__ import annotations

import pytest

from propel_admin.mapping import messages
from propel_admin.mapping.languages import ISO_639_1
from propel_admin.mapping.transforms import (
    MAX_ID,
    Invalid,
    clean_phone,
    email_address,
    gender_code,
    gender_from_text,
    language_code,
    language_from_text,
    text_value,
    trim,
    whole_number,
)
from propel_admin.sandbox import validation as sandbox


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" Ann ", "Ann"), ("\u00a0Ann\u00a0", "Ann"), ("\ufeff\u200bAnn\t\n", "Ann"),
     ("Ann  van  Dijk", "Ann  van  Dijk"), ("\u3000", "")],
)  # fmt: skip
def test_trim_strips_all_surrounding_spaces_but_never_inner_ones(raw: str, expected: str) -> None:
    assert trim(raw) == expected


def test_text_value_enforces_the_length_limit() -> None:
    assert text_value("a" * 255) == "a" * 255
    assert text_value("a" * 256) == Invalid(messages.TEXT_TOO_LONG)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12345", 12345), ("12345.0", 12345), ("12345.00", 12345), (" 12 345 ", 12345),
     ("1\u00a0234\u00a0567", 1234567), ("007", 7), ("+5", 5), (str(MAX_ID), MAX_ID)],
)  # fmt: skip
def test_whole_number_accepts_spreadsheet_forms(raw: str, expected: int) -> None:
    assert whole_number(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["12a", "1,234", "1.234", "1.000", "1.5", "1.2e4", "12 34", "1 2 3", "", "½", "١٢", "0x1F"],
)
def test_whole_number_refuses_ambiguous_or_wrong_forms(raw: str) -> None:
    assert whole_number(raw) == Invalid(messages.NOT_WHOLE)


@pytest.mark.parametrize("raw", ["0", "-5", "-0", "0.0"])
def test_whole_number_refuses_zero_and_negatives(raw: str) -> None:
    assert whole_number(raw) == Invalid(messages.NOT_POSITIVE)


def test_whole_number_refuses_what_does_not_fit_a_long() -> None:
    assert whole_number(str(MAX_ID + 1)) == Invalid(messages.TOO_LARGE)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("male", "m"), ("Man", "m"), ("M", "m"), ("Mr.", "m"), ("heer", "m"), ("Dhr.", "m"),
     ("meneer", "m"), ("Herr", "m"), ("homme", "m"), ("Female", "f"), ("woman", "f"),
     ("F", "f"), ("V", "f"), ("vrouw", "f"), ("Mevrouw", "f"), ("Mevr.", "f"), ("Mrs", "f"),
     ("Ms.", "f"), ("Frau", "f"), ("Femme", "f"), ("unknown", "u"), ("Other", "u"),
     ("X", "u"), ("u", "u"), ("Onbekend", "u"), ("divers", "u"), ("n/a", "u")],
)  # fmt: skip
def test_gender_words_become_codes(raw: str, expected: str) -> None:
    assert gender_from_text(raw) == expected


def test_unknown_gender_words_are_invalid() -> None:
    assert gender_from_text("Robot") == Invalid(messages.GENDER_UNKNOWN_WORD)


def test_without_the_transform_only_gender_codes_pass() -> None:
    assert [gender_code(v) for v in ("m", "F", "U")] == ["m", "f", "u"]
    assert gender_code("Male") == Invalid(messages.GENDER_INVALID)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("English", "EN"), ("Engels", "EN"), ("Englisch", "EN"), ("anglais", "EN"), ("en", "EN"),
     ("EN", "EN"), ("eng", "EN"), ("en-GB", "EN"), ("en_US", "EN"), ("English (UK)", "EN"),
     ("Dutch", "NL"), ("Nederlands", "NL"), ("Niederländisch", "NL"), ("nl-BE", "NL"),
     ("Vlaams", "NL"), ("German", "DE"), ("Deutsch", "DE"), ("Duits", "DE"), ("ger", "DE"),
     ("French", "FR"), ("Français", "FR"), ("Frans", "FR"), ("fr_CA", "FR"),
     ("Spanish", "ES"), ("Español", "ES"), ("Italian", "IT"), ("Polski", "PL"),
     ("Chinese", "ZH"), ("zh-Hant-TW", "ZH"), ("Fries", "FY"), ("yo", "YO")],
)  # fmt: skip
def test_language_names_and_tags_become_iso_codes(raw: str, expected: str) -> None:
    assert language_from_text(raw) == expected


@pytest.mark.parametrize("raw", ["Klingon", "xx", "e", "No preference", "12"])
def test_unknown_languages_are_invalid(raw: str) -> None:
    assert language_from_text(raw) == Invalid(messages.LANGUAGE_UNKNOWN)


def test_without_the_transform_only_two_letter_codes_pass() -> None:
    assert language_code("nl") == "NL"
    assert language_code("Dutch") == Invalid(messages.LANGUAGE_INVALID)
    assert language_code("en-GB") == Invalid(messages.LANGUAGE_INVALID)


def test_our_language_codes_are_the_apis() -> None:
    assert ISO_639_1 == sandbox.ISO_639_1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("+31 (0)20 123 4567", "+31201234567"), ("0031 (0)20-123.45.67", "0031201234567"),
     ("020 - 123 45 67", "0201234567"), ("(020) 1234567", "0201234567"),
     ("0032445888", "0032445888"), ("+32\u00a0445\u00a0888", "+32445888"),
     ("06/12345678", "0612345678"), (" +1 (555) 010-9999 ", "+15550109999")],
)  # fmt: skip
def test_phone_clean_up(raw: str, expected: str) -> None:
    assert clean_phone(raw) == expected


@pytest.mark.parametrize("raw", ["020 123 ext 4", "call me", "+31 +6", "12+34", "()", "#123"])
def test_phones_with_letters_or_stray_signs_are_invalid(raw: str) -> None:
    assert clean_phone(raw) == Invalid(messages.PHONE_INVALID)


@pytest.mark.parametrize(
    "raw",
    ["ann@example.com", "ann.van.dijk+news@sub.example.co.uk", "o'brien@example.ie",
     "a_b-c@example-shop.nl", "X@Y.ORG"],
)  # fmt: skip
def test_ordinary_email_addresses_pass_unchanged(raw: str) -> None:
    assert email_address(raw) == raw


@pytest.mark.parametrize(
    "raw",
    ["ann", "ann@", "@example.com", "ann@example", "ann@@example.com", "ann @example.com",
     "ann@exa mple.com", "ann@example.c", "ann@-example.com", "ann..b@example.com",
     "josé@example.com", "ann@example.com.", "a" * 250 + "@example.com"],
)  # fmt: skip
def test_bad_email_addresses_are_invalid(raw: str) -> None:
    assert email_address(raw) == Invalid(messages.EMAIL_INVALID)


@pytest.mark.parametrize(
    "raw",
    ["ann@example.com", "ann", "a@b.c", "a@b.co", "ann@example.com.", "x@1.23", "ann@ex_ample.com",
     "ann.@example.com", "ann@example..com", "a" * 250 + "@example.com", "ann@xn--bcher-kva.ch"],
)  # fmt: skip
def test_email_rule_agrees_with_the_api(raw: str) -> None:
    contact = {"id": 1, "email": raw}
    api_accepts = sandbox.MSG_BAD_EMAIL not in sandbox.item_errors(contact)
    assert (not isinstance(email_address(raw), Invalid)) == api_accepts
