"""Propeller's error envelope, its codes, and the compact key-sorted JSON the docs show."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MORE_INFO_URL = "https://www.propel.us/docs/errors/{code}"


@dataclass(frozen=True)
class ErrorKind:
    """One row of the reference's error table: HTTP status, numeric code and type name."""

    status: int
    code: int
    type: str


INVALID_JSON = ErrorKind(400, 10005, "InvalidJSONPayload")
INVALID_LOOKUP_KEY = ErrorKind(400, 10006, "InvalidLookupKey")
SCHEMA_VALIDATION = ErrorKind(400, 10007, "SchemaValidationException")
NOT_FOUND = ErrorKind(404, 10008, "NotFound")
LOOKUP_KEY_NOT_FOUND = ErrorKind(400, 10016, "LookupKeyNotFound")
PAYLOAD_VALIDATION = ErrorKind(400, 10017, "PayloadValidationError")
CONTACT_NOT_FOUND = ErrorKind(404, 50006, "ContactNotFound")
# ASSUMPTION: the docs list 401/403/429/5xx without bodies (reference §1, §8 q4). The
# sandbox answers with the same envelope, using the HTTP status as the code and these
# invented type names; clients must not rely on them.
UNAUTHORIZED = ErrorKind(401, 401, "Unauthorized")
FORBIDDEN = ErrorKind(403, 403, "Forbidden")
BAD_TOKEN_REQUEST = ErrorKind(400, 400, "UnsupportedGrantType")
METHOD_NOT_ALLOWED = ErrorKind(405, 405, "MethodNotAllowed")
LENGTH_REQUIRED = ErrorKind(411, 411, "LengthRequired")
PAYLOAD_TOO_LARGE = ErrorKind(413, 413, "PayloadTooLarge")
TOO_MANY_REQUESTS = ErrorKind(429, 429, "TooManyRequests")
INTERNAL_ERROR = ErrorKind(500, 500, "InternalServerError")
# Not Propeller's: answers of the sandbox's own control endpoints.
SANDBOX_BAD_REQUEST = ErrorKind(400, 400, "SandboxBadRequest")


class SandboxError(Exception):
    """An error answer: raised by the sandbox logic and rendered as the envelope."""

    def __init__(
        self, kind: ErrorKind, *messages: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(kind.type, *messages)
        self.kind = kind
        self.messages = list(messages)
        self.headers = headers or {}

    def body(self) -> bytes:
        return error_body(self.kind, self.messages)


@dataclass
class Answer:
    """A response before it is written: status, JSON-ready payload or raw bytes, headers."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def dumps(payload: Any) -> bytes:
    """Serialise like the documented examples: keys sorted, no spaces, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def error_body(kind: ErrorKind, messages: list[str]) -> bytes:
    envelope = {
        "error": {
            "code": kind.code,
            "status": kind.status,
            "type": kind.type,
            "messages": messages,
            "moreInfo": MORE_INFO_URL.format(code=kind.code),
        }
    }
    return dumps(envelope)


def json_answer(payload: Any, status: int = 200) -> Answer:
    return Answer(status, dumps(payload))


def error_answer(error: SandboxError) -> Answer:
    return Answer(error.kind.status, error.body(), headers=dict(error.headers))
