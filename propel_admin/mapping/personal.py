"""Which columns hold personal data: mapped to a PII field, or named like one.

A column headed "BSN" holds social security numbers whether the operator maps it to `ssn`,
to another field or to nothing: what hides and encrypts values goes by both.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from .fields import TARGET_FIELDS, field_by_key
from .spec import MappingSpec, resolve_column
from .suggest import named_target

PII_FIELDS = frozenset(field.key for field in TARGET_FIELDS if field.pii)  # ssn, dateOfBirth


def pii_columns(
    spec: MappingSpec, headers: Sequence[str], *, fields: Collection[str] = PII_FIELDS
) -> dict[int, str]:
    """Index -> field of every column mapped to one of `fields` or named like one.

    The field is the one the column is mapped to when that is one of `fields`, else the
    one its header names ("BSN" ignored -> "ssn").
    """
    found: dict[int, str] = {}
    for index, header in enumerate(headers):
        named = named_target(header)
        if named is not None and named in fields:
            found[index] = named
    for rule in spec.mapped:
        target = rule.target
        if target is not None and target in fields:
            column = resolve_column(rule, headers)
            if column is not None:
                found[column] = target
    return found


def pii_payload_keys(spec: MappingSpec, headers: Sequence[str]) -> frozenset[str]:
    """The payload keys a PII column fills: `ssn`, `dateOfBirth`, and any field that an SSN
    or a date of birth column is mapped to instead (a "BSN" column sent as `title`)."""
    columns = pii_columns(spec, headers)
    keys = set(PII_FIELDS)
    for rule in spec.mapped:
        target = field_by_key(rule.target or "")
        if target is not None and resolve_column(rule, headers) in columns:
            keys.add(target.payload_key)
    return frozenset(keys)
