"""Validation of `POST /contacts/bulk/id` bodies: whole-request 400s and per-item failures.

Whole-request messages follow the everit JSON-schema library's wording, which the
documented examples use (`#/contacts/0: extraneous key [company] is not permitted`);
the forms for wrong types and missing keys are an ASSUMPTION (reference §4).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from propel_admin.sandbox.errors import (
    INVALID_JSON,
    LOOKUP_KEY_NOT_FOUND,
    PAYLOAD_VALIDATION,
    SCHEMA_VALIDATION,
    SandboxError,
)

# The seed's Fields table plus `language` and `mobile` from its request schema; the
# schema's `company` is rejected as the documented 400 example shows (reference §2).
TEXT_FIELDS = frozenset(
    {
        "firstName",
        "middleName",
        "lastName",
        "abbreviation",
        "title",
        "dateOfBirth",
        "gender",
        "ssn",
        "phone",
        "email",
        "primaryLanguage",
        "sourceId",
        "source",
        "language",
        "mobile",
    }
)
ALLOWED_CONTACT_KEYS = frozenset({"id", "debtorId", "parent"} | TEXT_FIELDS)
PARENT_KEYS = frozenset({"id", "sourceId", "source"})
MAX_ID = 2**63 - 1  # Propeller ids are Java longs; also sqlite's integer range

MSG_INVALID_JSON = "Request body is not valid JSON"
MSG_EXTRANEOUS = "{path}: extraneous key [{key}] is not permitted"
MSG_REQUIRED = "{path}: required key [{key}] not found"
MSG_TYPE = "{path}: expected type: {expected}, found: {found}"
MSG_MINIMUM = "{path}: {value} is not greater or equal to 1"
MSG_MAXIMUM = "{path}: {value} is not less or equal to {limit}"
MSG_LOOKUP_MISSING = "#/contacts/{index}: lookup key [id] not found"
MSG_SOURCE_REQUIRED = "#/contacts/{index}: [source] is required when [sourceId] is provided"
MSG_TOO_MANY = "#/contacts: at most {limit} contacts are allowed per request, found {count}"

MSG_BAD_EMAIL = "Field [email] is not a valid email address"
MSG_BAD_DATE = "Field [dateOfBirth] is not a valid date (expected DD/MM/YYYY)"
MSG_BAD_GENDER = "Field [gender] must be one of [m, f, u]"
MSG_BAD_LANGUAGE = "Field [{field}] is not a valid ISO 639-1 language code"

GENDERS = frozenset({"m", "f", "u"})
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he
    hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko
    kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd
    ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se
    sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty
    ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
    """
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_DATE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")


def json_type(value: Any) -> str:
    """The Java class name everit reports for a JSON value (org.json's types)."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "BigDecimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    if isinstance(value, dict):
        return "JSONObject"
    return "Null"


def parse_body(raw: bytes) -> Any:
    """Decode the request body or raise 10005."""
    try:
        # NaN/Infinity are not JSON, whatever Python's parser allows.
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise SandboxError(INVALID_JSON, MSG_INVALID_JSON) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def validate_bulk(body: Any, *, max_bulk: int) -> list[dict[str, Any]]:
    """Return the contacts of a valid bulk body, or raise the whole-request 400."""
    errors = _envelope_errors(body)
    if errors:
        raise SandboxError(SCHEMA_VALIDATION, *errors)
    contacts: list[Any] = body["contacts"]
    if len(contacts) > max_bulk:
        message = MSG_TOO_MANY.format(limit=max_bulk, count=len(contacts))
        raise SandboxError(PAYLOAD_VALIDATION, message)
    for index, contact in enumerate(contacts):
        errors.extend(_contact_errors(f"#/contacts/{index}", contact))
    if errors:
        raise SandboxError(SCHEMA_VALIDATION, *errors)
    missing = [MSG_LOOKUP_MISSING.format(index=i) for i, c in enumerate(contacts) if "id" not in c]
    if missing:
        raise SandboxError(LOOKUP_KEY_NOT_FOUND, *missing)
    unsourced = [
        MSG_SOURCE_REQUIRED.format(index=i)
        for i, c in enumerate(contacts)
        if "sourceId" in c and "source" not in c
    ]
    if unsourced:
        raise SandboxError(PAYLOAD_VALIDATION, *unsourced)
    return contacts


def _envelope_errors(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return [MSG_TYPE.format(path="#", expected="JSONObject", found=json_type(body))]
    errors = [MSG_EXTRANEOUS.format(path="#", key=key) for key in body if key != "contacts"]
    if "contacts" not in body:
        errors.append(MSG_REQUIRED.format(path="#", key="contacts"))
    elif not isinstance(body["contacts"], list):
        found = json_type(body["contacts"])
        errors.append(MSG_TYPE.format(path="#/contacts", expected="JSONArray", found=found))
    return errors


def _contact_errors(path: str, contact: Any) -> list[str]:
    if not isinstance(contact, dict):
        return [MSG_TYPE.format(path=path, expected="JSONObject", found=json_type(contact))]
    errors: list[str] = []
    for key, value in contact.items():
        if key in TEXT_FIELDS:
            if not isinstance(value, str):
                found = json_type(value)
                errors.append(MSG_TYPE.format(path=f"{path}/{key}", expected="String", found=found))
        elif key == "id":
            errors.extend(_id_errors(f"{path}/id", value))
        elif key == "debtorId":
            errors.extend(_debtor_id_errors(f"{path}/debtorId", value))
        elif key == "parent":
            errors.extend(_parent_errors(f"{path}/parent", value))
        else:
            errors.append(MSG_EXTRANEOUS.format(path=path, key=key))
    return errors


def _debtor_id_errors(path: str, value: Any) -> list[str]:
    """The deprecated debtorId is a number in the schema, a string in GET: accept both."""
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return []
    # ASSUMPTION: everit would report an anyOf failure; this names both types instead.
    expected = "one of [Number, String]"
    return [MSG_TYPE.format(path=path, expected=expected, found=json_type(value))]


def _id_errors(path: str, value: Any) -> list[str]:
    """An id is a whole, positive JSON number (1.0 counts as whole)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [MSG_TYPE.format(path=path, expected="Number", found=json_type(value))]
    if isinstance(value, float) and not value.is_integer():
        return [MSG_TYPE.format(path=path, expected="Integer", found="BigDecimal")]
    if value < 1:
        return [MSG_MINIMUM.format(path=path, value=_number_text(value))]
    if value > MAX_ID:
        return [MSG_MAXIMUM.format(path=path, value=_number_text(value), limit=MAX_ID)]
    return []


def _parent_errors(path: str, parent: Any) -> list[str]:
    if not isinstance(parent, dict):
        return [MSG_TYPE.format(path=path, expected="JSONObject", found=json_type(parent))]
    errors = [MSG_EXTRANEOUS.format(path=path, key=k) for k in parent if k not in PARENT_KEYS]
    if "id" in parent:
        errors.extend(_id_errors(f"{path}/id", parent["id"]))
    for key in ("sourceId", "source"):
        if key in parent and not isinstance(parent[key], str):
            found = json_type(parent[key])
            errors.append(MSG_TYPE.format(path=f"{path}/{key}", expected="String", found=found))
    if "id" not in parent and "sourceId" not in parent:
        errors.append(MSG_REQUIRED.format(path=path, key="id"))
    elif "id" not in parent and "source" not in parent:
        errors.append(MSG_REQUIRED.format(path=path, key="source"))
    return errors


def _number_text(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def item_errors(contact: dict[str, Any]) -> list[str]:
    """Per-contact field problems, reported as failed items (values never echoed)."""
    errors: list[str] = []
    email = contact.get("email")
    if email is not None and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        errors.append(MSG_BAD_EMAIL)
    birth = contact.get("dateOfBirth")
    if birth is not None and parse_date(birth) is None:
        errors.append(MSG_BAD_DATE)
    gender = contact.get("gender")
    if gender is not None and gender.lower() not in GENDERS:
        errors.append(MSG_BAD_GENDER)
    for field in ("primaryLanguage", "language"):
        code = contact.get(field)
        if code is not None and code.lower() not in ISO_639_1:
            errors.append(MSG_BAD_LANGUAGE.format(field=field))
    return errors


def parse_date(text: str) -> dt.date | None:
    """A DD/MM/YYYY date that exists on the calendar, else None."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def whole(value: int | float) -> int:
    """A validated id as an int (1.0 -> 1)."""
    return int(value)
