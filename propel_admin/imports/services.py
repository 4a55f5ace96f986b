"""Write actions on uploads (services). Reads live in selectors.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from propel_admin.audit.actions import UPLOAD_CREATE, UPLOAD_REREAD
from propel_admin.audit.services import audit_record
from propel_admin.imports.mapping_edit import upload_mapping_suggest
from propel_admin.imports.models import Upload
from propel_admin.imports.uploading import display_name, human_size
from propel_admin.parsing import FileRejected, ReadOptions, Sniffed, sniff

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 20
FILE_PURGED = (
    "The file was deleted on {date} by the retention policy: upload it again to check its rows."
)


class UploadPurged(ValueError):
    """The stored file is gone (retention policy); the message says so and what to do."""


def upload_file_purged(upload: Upload) -> str:
    """The sentence to show for an upload whose file was purged, or "" when it is still kept."""
    if upload.purged_at is None:
        return ""
    return FILE_PURGED.format(date=upload.purged_at.strftime("%d %b %Y"))


@dataclass(frozen=True)
class UploadOutcome:
    upload: Upload
    duplicate_of: Upload | None  # an earlier upload of the very same bytes


def _detection_fields(found: Sniffed) -> dict[str, object]:
    return {
        "file_format": found.format,
        "read_options": found.options.to_dict(),
        "headers": list(found.headers),
        "sheets": [
            {"name": s.name, "hidden": s.hidden, "looks_like_table": s.looks_like_table}
            for s in found.sheets
        ],
        "warnings": list(found.warnings),
        "preview": [{"number": row.number, "cells": list(row.cells)} for row in found.preview],
    }


def upload_create(*, uploaded_file: UploadedFile, sha256: str, user: User) -> UploadOutcome:
    """Store the file under a generated name and read its head; FileRejected if unreadable.

    A rejected file is removed again: nothing is kept of a file that cannot be read.
    """
    original_name = display_name(uploaded_file.name or "")
    upload = Upload(
        original_name=original_name,
        size=uploaded_file.size or 0,
        sha256=sha256,
        uploaded_by=user,
    )
    upload.file.save(original_name, uploaded_file, save=False)
    try:
        found = sniff(upload.file.path, original_name, None, PREVIEW_ROWS)
    except FileRejected:
        upload.file.delete(save=False)
        raise
    except Exception:
        upload.file.delete(save=False)
        logger.exception("reading the head of upload %s failed unexpectedly", sha256[:12])
        raise
    for name, value in _detection_fields(found).items():
        setattr(upload, name, value)
    duplicate_of = Upload.objects.filter(sha256=sha256).order_by("created_at").first()
    with transaction.atomic():
        upload.save()
        upload_mapping_suggest(upload=upload)
        detail = f"{original_name} ({human_size(upload.size)}, {found.format})"
        audit_record(user=user, action=UPLOAD_CREATE, obj=upload, detail=detail)
    logger.info("upload %s stored (%s, %d bytes)", upload.pk, found.format, upload.size)
    return UploadOutcome(upload, duplicate_of)


def upload_reread(*, upload: Upload, options: ReadOptions, user: User | None = None) -> Upload:
    """Read the head again with the operator's choices (encoding, delimiter, sheet, header row).

    UploadPurged when the retention policy deleted the file.
    """
    if upload.purged_at is not None:
        raise UploadPurged(upload_file_purged(upload))
    found = sniff(upload.file.path, upload.original_name, options, PREVIEW_ROWS)
    headers_changed = list(found.headers) != list(upload.headers)
    for name, value in _detection_fields(found).items():
        setattr(upload, name, value)
    with transaction.atomic():
        upload.save()
        if headers_changed:
            upload_mapping_suggest(upload=upload)
        audit_record(user=user, action=UPLOAD_REREAD, obj=upload, detail=_options_text(found))
    return upload


def _options_text(found: Sniffed) -> str:
    """The reading options in words (column names and options only, never cell values)."""
    options = found.options
    parts = [f"format {found.format}"]
    if options.encoding:
        parts.append(f"encoding {options.encoding}")
    if options.delimiter:
        parts.append(f"separator {options.delimiter!r}")
    if options.sheet:
        parts.append(f"sheet {options.sheet!r}")
    if options.header_row:
        parts.append(f"header row {options.header_row}")
    parts.append(f"{len(found.headers)} columns")
    return ", ".join(parts)
