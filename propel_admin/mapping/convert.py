"""One converter per mapped field: `trimmed text -> value to send | Invalid`, built once."""

from __future__ import annotations

from collections.abc import Callable

from . import messages
from .dates import make_date_parser
from .fields import Field
from .transforms import (
    clean_phone,
    email_address,
    gender_code,
    gender_from_text,
    language_code,
    language_from_text,
    text_value,
    whole_number,
)
from .types import Invalid

Converter = Callable[[str], object]  # returns the JSON value, or an Invalid

# The whole-number transform's generic outcomes, said in each id field's own words.
_WHOLE_MESSAGES: dict[str, dict[str, str]] = {
    "id": {
        messages.NOT_WHOLE: messages.ID_NOT_WHOLE,
        messages.NOT_POSITIVE: messages.ID_NOT_POSITIVE,
        messages.TOO_LARGE: messages.ID_TOO_LARGE,
    },
    "parent.id": {
        messages.NOT_WHOLE: messages.PARENT_ID_NOT_WHOLE,
        messages.NOT_POSITIVE: messages.PARENT_ID_NOT_POSITIVE,
        messages.TOO_LARGE: messages.PARENT_ID_TOO_LARGE,
    },
    "debtorId": {
        messages.NOT_WHOLE: messages.DEBTOR_ID_NOT_WHOLE,
        messages.NOT_POSITIVE: messages.DEBTOR_ID_NOT_POSITIVE,
        messages.TOO_LARGE: messages.DEBTOR_ID_TOO_LARGE,
    },
}


def converter_for(
    field: Field,
    *,
    date_format: str | None = None,
    gender: bool = False,
    language: bool = False,
    phone: bool = False,
    pivot: int | None = None,
) -> Converter:
    """The converter for a field with a column's transform options."""
    kind = field.kind
    if kind == "integer":
        return _whole_number_converter(field.key)
    if kind == "date":
        return make_date_parser(date_format, pivot=pivot)
    if kind == "gender":
        return gender_from_text if gender else gender_code
    if kind == "language":
        return language_from_text if language else language_code
    if kind == "phone":
        return clean_phone if phone else text_value
    if kind == "email":
        return email_address
    return text_value


def _whole_number_converter(key: str) -> Converter:
    errors = {generic: Invalid(own) for generic, own in _WHOLE_MESSAGES[key].items()}
    if key == "parent.id":

        def parent(text: str) -> object:
            value = whole_number(text)
            if value.__class__ is Invalid:
                return errors[value.message]  # type: ignore[union-attr]
            return {"id": value}

        return parent

    def number(text: str) -> object:
        value = whole_number(text)
        if value.__class__ is Invalid:
            return errors[value.message]  # type: ignore[union-attr]
        return value

    return number
