"""Error groups: Propeller's messages with the parts that differ per contact folded away.

"Parent resource [Company] with id [12] not found" and the same text with [13] are one
problem for the person reading the run page, so they share one key.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[^\s@\[\]\"'<>(),;]+@[^\s@\[\]\"'<>(),;]+")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)*")
_QUOTED = re.compile(r"(['\"])(?:(?!\1).){1,80}\1")
_SPACES = re.compile(r"\s+")
KEY_LENGTH = 255


def failure_key(message: str) -> str:
    """The message's group: e-mails, UUIDs, numbers and quoted values replaced by markers."""
    text = _EMAIL.sub("<email>", message)
    text = _UUID.sub("<id>", text)
    text = _QUOTED.sub(r"\1…\1", text)
    text = _NUMBER.sub("<n>", text)
    return _SPACES.sub(" ", text).strip()[:KEY_LENGTH]
