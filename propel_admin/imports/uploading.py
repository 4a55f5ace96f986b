"""Receiving an uploaded file: a size cap enforced while it streams in, and its sha256."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

TOO_LARGE = (
    "The file is larger than {limit}, the most that can be uploaded. "
    "Split it into smaller files, or save it as CSV, which is smaller than Excel."
)


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
