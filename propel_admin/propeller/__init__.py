"""The Propeller client: the only code that talks HTTP to Propeller (no Django here)."""

from __future__ import annotations

from .client import PropellerClient
from .config import ClientConfig
from .errors import (
    AuthenticationError,
    ForbiddenError,
    LookupKeyMissingError,
    NotFoundError,
    PayloadValidationError,
    PropellerConnectionError,
    PropellerError,
    PropellerTimeout,
    RateLimitedError,
    RequestRejectedError,
    SchemaValidationError,
    ServerError,
    UnexpectedResponseError,
)
from .oauth import Token
from .tokens import MemoryTokenStore, RedisTokenStore, TokenStore, token_namespace
from .types import BulkResult, CheckResult, ContactResult, normalize_key

__all__ = [
    "AuthenticationError",
    "BulkResult",
    "CheckResult",
    "ClientConfig",
    "ContactResult",
    "ForbiddenError",
    "LookupKeyMissingError",
    "MemoryTokenStore",
    "NotFoundError",
    "PayloadValidationError",
    "PropellerClient",
    "PropellerConnectionError",
    "PropellerError",
    "PropellerTimeout",
    "RateLimitedError",
    "RedisTokenStore",
    "RequestRejectedError",
    "SchemaValidationError",
    "ServerError",
    "Token",
    "TokenStore",
    "UnexpectedResponseError",
    "normalize_key",
    "token_namespace",
]
