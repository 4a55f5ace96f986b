"""Receiving an uploaded file: a size cap while it streams in, its sha256, a rate limit.

The name a browser sends is only ever shown (cleaned by `display_name`), never a path:
files are stored under generated names (models.upload_path).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.utils import timezone

TOO_LARGE = (
    "The file is larger than {limit}, the most that can be uploaded. "
    "Split it into smaller files, or save it as CSV, which is smaller than Excel."
)


RATE_LIMITED = (
    "You have uploaded {limit} files in the last hour, the most allowed. "
    "Try again at {time} (in {wait}); nothing of this file was kept."
)
NAME_MAX = 255


def display_name(name: str) -> str:
    """The uploaded file's name as shown: its last path part, no control or format characters.

    Long names keep their extension (format detection looks at it) and are cut in the middle.
    """
    base = re.split(r"[/\\]", name)[-1]
    # Cc control characters (NUL, ESC, ...), Cf format characters (right-to-left override),
    # surrogates, private use and unassigned: none belong in a file name shown to people.
    spaced = "".join(" " if ch.isspace() else ch for ch in base)
    kept = "".join(ch for ch in spaced if not unicodedata.category(ch).startswith("C"))
    kept = " ".join(kept.split())
    if kept in ("", ".", ".."):
        return "upload"
    if len(kept) <= NAME_MAX:
        return kept
    stem, dot, suffix = kept.rpartition(".")
    if not dot or len(suffix) > 10:
        return kept[: NAME_MAX - 1] + "…"
    return stem[: NAME_MAX - len(suffix) - 2] + "…." + suffix


def rate_limited_text(*, limit: int, retry_at: datetime, now: datetime) -> str:
    minutes = max(1, math.ceil((retry_at - now).total_seconds() / 60))
    wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    time = timezone.localtime(retry_at).strftime("%H:%M")
    return RATE_LIMITED.format(limit=limit, time=time, wait=wait)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            shown = f"{value:.0f}" if unit == "bytes" or value == int(value) else f"{value:.1f}"
            return f"{shown} {unit}"
        value /= 1000
    return f"{size} bytes"  # pragma: no cover


class CappedHashingUploadHandler(FileUploadHandler):
    """Refuses a file once it passes UPLOAD_MAX_BYTES and hashes what it lets through.

    It runs before Django's handlers, so a refused file is never written to disk. The
    rest of the body is still read (and dropped) so that the form's other fields,
    the CSRF token among them, arrive and the page can explain the refusal.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = int(settings.UPLOAD_MAX_BYTES)
        self.digest = hashlib.sha256()
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.digest = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
            raise SkipFile()
        self.digest.update(raw_data)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        assert self.request is not None
        self.request.upload_sha256 = self.digest.hexdigest()  # type: ignore[attr-defined]
        return None

    def _refuse(self) -> None:
        assert self.request is not None
        message = TOO_LARGE.format(limit=human_size(self.limit))
        self.request.upload_refused = message  # type: ignore[attr-defined]


class RefusingUploadHandler(FileUploadHandler):
    """Drops every file (the uploader is over the rate limit); the other fields still arrive."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        raise SkipFile()

    def file_complete(self, file_size: int) -> None:
        return None
