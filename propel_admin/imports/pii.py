"""Social security numbers at rest: sealed with Fernet, opened only where they are needed.

A sealed value is a marked string, "enc:v1:<Fernet token>", stored where the plain value
would be: in a staged row's cells (columns mapped to `ssn` or named like an SSN, an
ignored "BSN" too), its corrected cells and its payload's "ssn". The mark makes opening
independent of the mapping: whatever looks sealed is opened, the rest is left alone.
Values are sealed with the first of PII_ENCRYPTION_KEYS and opened with any of them
(MultiFernet), so a key can be rotated (`manage.py rotate_pii_key`).

Opened only: just before sending (batch_sending), when a re-run or a fix maps the cells
again (reruns), when a re-uploaded export's hidden cells are restored (roundtrip), for
an export asked for with the personal data and for the row page's "Show" (pii_views),
both audited. Pages and logs never see the opened value otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

from propel_admin.mapping import MappingSpec, pii_columns

PREFIX = "enc:v1:"
SSN = "ssn"
UNREADABLE = (
    "A stored social security number cannot be decrypted with PII_ENCRYPTION_KEYS "
    "(was the key it was sealed with removed from the list?)"
)


class PiiUnreadable(RuntimeError):
    """A sealed value that none of the configured keys opens."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _keys() -> MultiFernet:
    """Read per call (settings may change in tests); building the ciphers is cached."""
    return _fernet(tuple(settings.PII_ENCRYPTION_KEYS))


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(value: str) -> str:
    """The value encrypted with the first key, as a marked string."""
    return PREFIX + _keys().encrypt(value.encode()).decode("ascii")


def open_value(value: Any) -> Any:
    """A sealed value decrypted; anything else as it is."""
    if not is_sealed(value):
        return value
    try:
        return _keys().decrypt(value[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken:
        raise PiiUnreadable(UNREADABLE) from None


def open_cells(cells: Sequence[Any] | None) -> list[Any] | None:
    """Cells with every sealed one opened (a copy; the same list when none is sealed)."""
    if cells is None:
        return None
    if not any(is_sealed(cell) for cell in cells):
        return cells if isinstance(cells, list) else list(cells)
    return [open_value(cell) for cell in cells]


def open_payload(payload: dict[str, Any] | None) -> dict[str, Any]:
    """The payload to send: its sealed social security number opened (a copy)."""
    payload = payload or {}
    if not is_sealed(payload.get(SSN)):
        return payload
    return {**payload, SSN: open_value(payload[SSN])}


def sealed_as_before(before: Sequence[Any], cells: list[Any]) -> list[Any]:
    """`cells` with every cell that was sealed in `before` sealed again (a new mapping may
    no longer call that column `ssn`: what was stored encrypted stays encrypted)."""
    for index, value in enumerate(before):
        if index < len(cells) and is_sealed(value):
            cell = cells[index]
            if isinstance(cell, str) and cell and not is_sealed(cell):
                cells[index] = seal(cell)
    return cells


def rotate_value(value: Any) -> tuple[Any, bool]:
    """(value sealed with the first key, whether it changed); plain values stay as they are."""
    if not is_sealed(value):
        return value, False
    token = value[len(PREFIX) :].encode("ascii")
    keys = settings.PII_ENCRYPTION_KEYS
    try:
        Fernet(keys[0]).decrypt(token)
        return value, False  # sealed with the newest key already: resumable
    except InvalidToken:
        pass
    try:
        return PREFIX + _keys().rotate(token).decode("ascii"), True
    except InvalidToken:
        raise PiiUnreadable(UNREADABLE) from None


class Sealer:
    """Seals the cells of the SSN columns (sealer_for) and the payload's "ssn" of each row.

    Built once per run; `for_columns` gives None when there is no SSN column, so a file
    without one pays nothing on the staging hot path.
    """

    __slots__ = ("_indexes", "_multi")

    def __init__(self, indexes: Sequence[int]) -> None:
        self._indexes = tuple(indexes)
        self._multi = _keys()

    @classmethod
    def for_columns(cls, indexes: Sequence[int]) -> Sealer | None:
        return cls(indexes) if indexes else None

    def _seal(self, value: str) -> str:
        return PREFIX + self._multi.encrypt(value.encode()).decode("ascii")

    def row(self, cells: Sequence[Any], payload: dict[str, Any]) -> list[Any]:
        """The row's cells sealed (a copy) and its payload's "ssn" sealed in place.

        A payload SSN equal to its cell gets the cell's token: one encryption per row, the
        cost that matters on the staging hot path.
        """
        sealed = list(cells)
        made: dict[str, str] = {}
        for index in self._indexes:
            if index < len(sealed):
                value = sealed[index]
                if value and value.__class__ is str and not value.startswith(PREFIX):
                    token = made.get(value) or self._seal(value)
                    made[value] = sealed[index] = token
        value = payload.get(SSN)
        if value and value.__class__ is str and not value.startswith(PREFIX):
            payload[SSN] = made.get(value) or self._seal(value)
        return sealed

    def cells(self, cells: Sequence[Any]) -> list[Any]:
        """A copy of the cells with the SSN columns sealed (empty and sealed cells kept)."""
        sealed = list(cells)
        for index in self._indexes:
            if index < len(sealed):
                value = sealed[index]
                if value and value.__class__ is str and not value.startswith(PREFIX):
                    sealed[index] = self._seal(value)
        return sealed

    def payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload with its "ssn" sealed (in place: the mapper makes one per row)."""
        value = payload.get(SSN)
        if value and value.__class__ is str and not value.startswith(PREFIX):
            payload[SSN] = self._seal(value)
        return payload


def sealer_for(spec: MappingSpec, headers: Sequence[str]) -> Sealer | None:
    """The sealer of the columns this mapping sends as `ssn` or whose header names an SSN
    (an ignored "BSN" column too), or None when there are none."""
    return Sealer.for_columns(sorted(pii_columns(spec, headers, fields=(SSN,))))


class SealedJSONField(models.JSONField):
    """A JSONField stored as one sealed string: for data whose columns are not known yet.

    The upload's first rows are read before anyone says which column is a social security
    number, so the whole preview is sealed. Values written before (plain JSON) still load.
    """

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return super().get_prep_value(value)
        return super().get_prep_value(seal(json.dumps(value, ensure_ascii=False)))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        data = super().from_db_value(value, expression, connection)
        return json.loads(open_value(data)) if is_sealed(data) else data
