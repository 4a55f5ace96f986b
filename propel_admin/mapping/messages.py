"""Texts shown to operators. Tests assert them through these constants.

Row errors are constant sentences (they are grouped and counted); the offending value
travels separately in `FieldError.value` and is never part of the constant.
"""

from __future__ import annotations

# --- Row errors: required fields and whole numbers -------------------------------------
ID_MISSING = "Contact id is missing"
ID_NOT_WHOLE = "Contact id must be a whole number"
ID_NOT_POSITIVE = "Contact id must be 1 or more"
ID_TOO_LARGE = "Contact id is too large"
PARENT_ID_NOT_WHOLE = "Parent company id must be a whole number"
PARENT_ID_NOT_POSITIVE = "Parent company id must be 1 or more"
PARENT_ID_TOO_LARGE = "Parent company id is too large"
DEBTOR_ID_NOT_WHOLE = "Debtor id must be a whole number"
DEBTOR_ID_NOT_POSITIVE = "Debtor id must be 1 or more"
DEBTOR_ID_TOO_LARGE = "Debtor id is too large"
SOURCE_REQUIRED = "Source is required when Source id is given"

# Generic whole-number outcomes, translated into the field's own sentence above.
NOT_WHOLE = "Must be a whole number"
NOT_POSITIVE = "Must be 1 or more"
TOO_LARGE = "Number is too large"

# --- Row errors: formats ----------------------------------------------------------------
EMAIL_INVALID = "Email is not a valid email address"
DATE_NO_MATCH = "Date of birth does not match the column's date format"
DATE_NOT_REAL = "Date of birth is not a real date"
GENDER_INVALID = "Gender must be m, f or u"
GENDER_UNKNOWN_WORD = "Gender is not a recognised word for male, female or unknown"
LANGUAGE_INVALID = "Primary language must be a two-letter ISO 639-1 code"
LANGUAGE_UNKNOWN = "Primary language is not a recognised language"
PHONE_INVALID = "Phone may only contain digits, spaces and + ( ) - . /"
TEXT_TOO_LONG = "Text is longer than 255 characters"

# --- Duplicates -------------------------------------------------------------------------
DUPLICATE_ID = "Duplicate contact id"  # the grouping key
DUPLICATE_OF_ROW = "Duplicate of row {row}"  # the sentence shown on the row

# --- Mapping spec problems --------------------------------------------------------------
SPEC_UNKNOWN_FIELD = "Not a Propeller contact field"
SPEC_REFUSED_FIELD = "Not accepted by this endpoint"
SPEC_TARGET_TWICE = "Two columns are mapped to the same field"
SPEC_CONSTANT_AND_COLUMN = "A field has both a column and a constant"
SPEC_CONSTANT_NOT_ALLOWED = "Contact id cannot be a constant: every row would be the same contact"
SPEC_CONSTANT_EMPTY = "A constant needs a value"
SPEC_COLUMN_NOT_FOUND = "The file has no column with this name"
SPEC_COLUMN_TWICE = "The same column appears twice in the mapping"
SPEC_DATE_FORMAT_UNKNOWN = "Unknown date format"
SPEC_TRANSFORM_MISMATCH = "This transform does not apply to the chosen field"
SPEC_DAMAGED = "The saved mapping is damaged or from another version"
SPEC_NO_ID = "No column is mapped to Contact id: every row will fail"
SPEC_SOURCE_MISSING = "Source id is mapped but Source is not: rows with a Source id will fail"

# --- Suggestions ------------------------------------------------------------------------
SUGGEST_EXACT = "Same name as the field {label}"
SUGGEST_ALIAS = 'Matched the alias "{alias}"'
SUGGEST_FUZZY = "Looks like {label} ({percent}% similar)"
SUGGEST_SAMPLES = "The values look like {what}"
SUGGEST_TEMPLATE = "Remembered from the template"
SUGGEST_TEMPLATE_IGNORED = "Ignored, as remembered from the template"
SUGGEST_REFUSED = "Not accepted by this endpoint: {why}"
SUGGEST_NONE = "No matching field; the column is ignored"
SUGGEST_TAKEN = '{label} is already mapped from column "{header}"; this column is ignored'
SUGGEST_CAUTION = "Not matched on purpose: {why}"

# --- Date format detection --------------------------------------------------------------
DATE_GUESS_NO_SAMPLES = "No sample values to detect the date format from"
DATE_GUESS_NONE = "No known date format fits the sample values"
DATE_GUESS_OK = "Every sample value reads as {format}"
DATE_GUESS_PARTIAL = "{bad} of {total} sample values do not read as {format}"
DATE_GUESS_AMBIGUOUS = (
    "Every sample has a day of 12 or less, so day and month cannot be told apart. "
    "Read as {format} (day first); check a few rows, or choose {other}."
)
