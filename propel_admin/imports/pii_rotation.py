"""Re-encrypting stored social security numbers with the newest key (manage.py rotate_pii_key).

Rows are read by id (keyset), CHUNK at a time, and each chunk is written in its own
transaction: a rotation that stops half-way is finished by the next one, which skips the
values already sealed with the newest key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection, transaction

from propel_admin.imports import pii
from propel_admin.imports.models import ContactRow, Upload

logger = logging.getLogger(__name__)

CHUNK = 1000
_MARK = f"%{pii.PREFIX}%"


@dataclass
class RotationTotals:
    rows: int = 0  # rows holding at least one sealed value with an older key
    values: int = 0  # sealed values re-encrypted (or that would be, in a dry run)
    uploads: int = 0  # upload previews re-encrypted


def _rotate_cells(cells: list[Any] | None) -> tuple[list[Any] | None, int]:
    if not cells:
        return cells, 0
    changed = 0
    out = []
    for cell in cells:
        value, moved = pii.rotate_value(cell)
        out.append(value)
        changed += moved
    return out, changed


def _rotate_payload(payload: dict[str, Any] | None) -> tuple[dict[str, Any] | None, int]:
    if not payload or pii.SSN not in payload:
        return payload, 0
    value, moved = pii.rotate_value(payload[pii.SSN])
    return ({**payload, pii.SSN: value}, 1) if moved else (payload, 0)


def _json(value: Any) -> Any:
    """A JSON column as read by a raw cursor: text on SQLite (and Django's psycopg)."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def rows_rotate(
    *, dry_run: bool = False, chunk: int = CHUNK, progress: Callable[[int], None] | None = None
) -> RotationTotals:
    """Re-seal every staged row's sealed cells, corrected cells and payload SSN."""
    totals = RotationTotals()
    table = ContactRow._meta.db_table
    sql = (
        f"SELECT id, cells, fixed_cells, payload FROM {table} WHERE id > %s AND ("  # noqa: S608
        "CAST(cells AS TEXT) LIKE %s OR CAST(fixed_cells AS TEXT) LIKE %s "
        "OR CAST(payload AS TEXT) LIKE %s) ORDER BY id LIMIT %s"
    )
    after = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [after, _MARK, _MARK, _MARK, chunk])
            found = cursor.fetchall()
        if not found:
            break
        with transaction.atomic():
            for row_id, cells, fixed, payload in found:
                new_cells, a = _rotate_cells(_json(cells))
                new_fixed, b = _rotate_cells(_json(fixed))
                new_payload, c = _rotate_payload(_json(payload))
                if a + b + c == 0:
                    continue
                totals.rows += 1
                totals.values += a + b + c
                if not dry_run:
                    ContactRow.objects.filter(pk=row_id).update(
                        cells=new_cells, fixed_cells=new_fixed, payload=new_payload
                    )
        after = found[-1][0]
        if progress is not None:
            progress(after)
    return totals


def uploads_rotate(*, dry_run: bool = False) -> int:
    """Re-seal the upload previews sealed with an older key; how many."""
    table = Upload._meta.db_table
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, preview FROM {table} ORDER BY id")  # noqa: S608
        stored = cursor.fetchall()
    for upload_id, preview in stored:
        _, moved = pii.rotate_value(_json(preview))
        if not moved:
            continue
        count += 1
        if not dry_run:
            upload = Upload.objects.only("pk", "preview").get(pk=upload_id)
            upload.save(update_fields=["preview"])  # SealedJSONField seals with the newest key
    return count


def pii_rotate(*, dry_run: bool = False) -> RotationTotals:
    totals = rows_rotate(dry_run=dry_run)
    totals.uploads = uploads_rotate(dry_run=dry_run)
    logger.info(
        "pii key rotation%s: %s rows, %s values, %s uploads",
        " (dry run)" if dry_run else "",
        totals.rows,
        totals.values,
        totals.uploads,
    )
    return totals
