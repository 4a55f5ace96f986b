"""Per-cell transforms: pure `str -> value | Invalid` functions, cheap on clean input.

Each returns the value to send or an `Invalid` carrying a message constant. Dates and
languages live in their own modules and are re-exported here.
"""

from __future__ import annotations

import re

from . import messages
from .dates import DateFormatGuess, detect_date_format, make_date_parser, parse_date
from .fields import MAX_TEXT_LENGTH
from .languages import language_code, language_from_text
from .names import compact
from .types import Invalid

__all__ = [
    "MAX_ID",
    "TRIM_CHARS",
    "DateFormatGuess",
    "clean_phone",
    "detect_date_format",
    "email_address",
    "gender_code",
    "gender_from_text",
    "language_code",
    "language_from_text",
    "make_date_parser",
    "parse_date",
    "text_value",
    "trim",
    "whole_number",
]

MAX_ID = 2**63 - 1  # Propeller ids are Java longs (the sandbox enforces the same bound)

# Every Unicode space (non-breaking ones included) plus zero-width characters and BOMs.
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
TRIM_CHARS = _SPACES + "\u200b\u200c\u200d\u2060\ufeff"


def trim(text: str) -> str:
    """Strip surrounding spaces, non-breaking and zero-width ones included (never inside)."""
    return text.strip(TRIM_CHARS)


def text_value(text: str) -> str | Invalid:
    """Free text, within the length sanity limit."""
    return _TOO_LONG if len(text) > MAX_TEXT_LENGTH else text


# --- Whole numbers -------------------------------------------------------------------------
# "12345", "12345.0" (a spreadsheet float), "12 345" (grouped by spaces), "-5" (caught as
# not positive). "1,234" and "1.234" are refused: thousands separator or decimal point?
_WHOLE = re.compile(r"([+-]?)([0-9]{1,3}(?:[ \u00a0\u2009\u202f][0-9]{3})+|[0-9]+)(?:\.00?)?")
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u2009\u202f")
_NOT_WHOLE = Invalid(messages.NOT_WHOLE)
_NOT_POSITIVE = Invalid(messages.NOT_POSITIVE)
_TOO_LARGE_NUMBER = Invalid(messages.TOO_LARGE)
_TOO_LONG = Invalid(messages.TEXT_TOO_LONG)


def whole_number(text: str) -> int | Invalid:
    """A positive whole number (an id): 1 up to 2**63 - 1."""
    if text.isdigit() and text.isascii():
        value = int(text)
    else:
        match = _WHOLE.fullmatch(trim(text))
        if match is None:
            return _NOT_WHOLE
        value = int(match.group(2).translate(_GROUP_SPACES))
        if match.group(1) == "-":
            value = -value
    if value < 1:
        return _NOT_POSITIVE
    if value > MAX_ID:
        return _TOO_LARGE_NUMBER
    return value


# --- Gender --------------------------------------------------------------------------------
_GENDER_WORDS = {
    "m": "m male man mr mister sir heer dhr meneer mijnheer herr homme monsieur",
    "f": "female woman f v vrouw mevrouw mevr mw mrs ms miss madam frau femme madame mme mlle",
    "u": "unknown other x u onbekend anders divers d autre inconnu na neutral nonbinary",
}
GENDER_WORDS: dict[str, str] = {
    word: code for code, spoken in _GENDER_WORDS.items() for word in spoken.split()
}
_GENDERS = {"m": "m", "f": "f", "u": "u", "M": "m", "F": "f", "U": "u"}
_GENDER_INVALID = Invalid(messages.GENDER_INVALID)
_GENDER_UNKNOWN = Invalid(messages.GENDER_UNKNOWN_WORD)


def gender_code(text: str) -> str | Invalid:
    """Exactly m, f or u (either case), sent in lower case as the API documents."""
    return _GENDERS.get(text, _GENDER_INVALID)


def gender_from_text(text: str) -> str | Invalid:
    """Words for male, female or unknown in English, Dutch, German, French (Dhr. -> m)."""
    code = _GENDERS.get(text) or GENDER_WORDS.get(text.lower().rstrip("."))
    if code is not None:
        return code
    return GENDER_WORDS.get(compact(text), _GENDER_UNKNOWN)


# --- Phone ---------------------------------------------------------------------------------
_OTHER_SPACES = str.maketrans("", "", "\t\u00a0\u2009\u202f")
_PHONE_INVALID = Invalid(messages.PHONE_INVALID)


def clean_phone(text: str) -> str | Invalid:
    """Digits with an optional leading +: "+31 (0)20-123 45 67" -> "+31201234567"."""
    text = trim(text)
    plus = text.startswith("+")
    body = text[1:] if plus else text
    if (plus or body.startswith("00")) and "(0)" in body:
        body = body.replace("(0)", "", 1)  # the trunk zero after a country code
    # A chain of replace() is about twice as fast as translate() on short ASCII text.
    digits = (
        body.replace(" ", "").replace("-", "").replace(".", "").replace("(", "").replace(")", "")
    ).replace("/", "")
    if not (digits.isdigit() and digits.isascii()):
        digits = digits.translate(_OTHER_SPACES)
        if not (digits.isdigit() and digits.isascii()):
            return _PHONE_INVALID
    phone = "+" + digits if plus else digits
    return _TOO_LONG if len(phone) > MAX_TEXT_LENGTH else phone


# --- Email ---------------------------------------------------------------------------------
# The sandbox's rule (propel_admin/sandbox/validation.py), so nothing passes here that the
# API would refuse: ASCII local part, dotted domain, a letters-only top-level domain.
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
MAX_EMAIL_LENGTH = 254
_EMAIL_INVALID = Invalid(messages.EMAIL_INVALID)


def email_address(text: str) -> str | Invalid:
    """A syntactically valid address, unchanged."""
    if len(text) > MAX_EMAIL_LENGTH or _EMAIL.fullmatch(text) is None:
        return _EMAIL_INVALID
    return text
