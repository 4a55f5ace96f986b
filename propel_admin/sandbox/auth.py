"""OAuth2 client-credentials tokens for the sandbox: fixed dev clients, expiring tokens."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from propel_admin.sandbox.errors import BAD_TOKEN_REQUEST, FORBIDDEN, UNAUTHORIZED, SandboxError

SCOPE_CONTACTS_READ = "contacts:read"
SCOPE_CONTACTS_WRITE = "contacts:write"
SCOPE_BULK_WRITE = "bulk:write"
BULK_SCOPES = (SCOPE_CONTACTS_WRITE, SCOPE_BULK_WRITE)
READ_SCOPES = (SCOPE_CONTACTS_READ,)

MSG_CREDENTIALS_MISSING = "Client credentials are missing"
MSG_CREDENTIALS_INVALID = "Client credentials are invalid"
MSG_GRANT_TYPE = "Unsupported grant type, expected [client_credentials]"
MSG_TOKEN_MISSING = "OAuth2 access token is missing"
MSG_TOKEN_INVALID = "OAuth2 access token is invalid or expired"
MSG_SCOPE_MISSING = "The access token lacks the required scope(s) [{scopes}]"

_PRUNE_ABOVE = 1000  # issued tokens kept before expired ones are swept


@dataclass(frozen=True)
class Client:
    """An API key as Backoffice would create it: id, secret and granted scopes."""

    client_id: str
    client_secret: str
    scopes: frozenset[str]
    application_name: str


FULL_CLIENT = Client(
    "sandbox-client",
    "sandbox-secret",
    frozenset({SCOPE_CONTACTS_READ, SCOPE_CONTACTS_WRITE, SCOPE_BULK_WRITE}),
    "propel-admin-sandbox",
)
READONLY_CLIENT = Client(
    "sandbox-readonly",
    "sandbox-readonly-secret",
    frozenset({SCOPE_CONTACTS_READ}),
    "propel-admin-sandbox-readonly",
)


def ttl_text(seconds: float) -> str:
    """`expires_in` as the docs show it: a string, whole seconds when whole."""
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


class TokenRegistry:
    """Issues tokens and answers who holds one; thread-safe."""

    def __init__(self, clients: tuple[Client, ...] = (FULL_CLIENT, READONLY_CLIENT)) -> None:
        self._clients = {client.client_id: client for client in clients}
        self._tokens: dict[str, tuple[Client, float]] = {}
        self._lock = threading.Lock()

    def issue(self, form: dict[str, str], authorization: str | None, ttl: float) -> dict[str, Any]:
        """Answer a token request (form fields and Authorization header) or raise 400/401."""
        if form.get("grant_type") != "client_credentials":
            raise SandboxError(BAD_TOKEN_REQUEST, MSG_GRANT_TYPE)
        client = self._authenticate(form, authorization)
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            if len(self._tokens) > _PRUNE_ABOVE:
                self._tokens = {k: v for k, v in self._tokens.items() if v[1] > now}
            self._tokens[token] = (client, now + ttl)
        return _token_body(client, token, ttl)

    def holder(self, authorization: str | None, scopes: tuple[str, ...]) -> Client:
        """The client behind a Bearer header holding `scopes`, or raise 401/403."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SandboxError(UNAUTHORIZED, MSG_TOKEN_MISSING, headers=_CHALLENGE)
        with self._lock:
            entry = self._tokens.get(token.strip())
        if entry is None or entry[1] <= time.monotonic():
            raise SandboxError(UNAUTHORIZED, MSG_TOKEN_INVALID, headers=_CHALLENGE)
        client = entry[0]
        missing = [scope for scope in scopes if scope not in client.scopes]
        if missing:
            raise SandboxError(FORBIDDEN, MSG_SCOPE_MISSING.format(scopes=", ".join(missing)))
        return client

    def expire_all(self) -> int:
        """Invalidate every issued token; returns how many there were."""
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
        return count

    def _authenticate(self, form: dict[str, str], authorization: str | None) -> Client:
        client_id, secret = _basic_credentials(authorization)
        if client_id is None:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        if not client_id or secret is None:
            raise SandboxError(UNAUTHORIZED, MSG_CREDENTIALS_MISSING)
        client = self._clients.get(client_id)
        # Compare against a dummy when the id is unknown so timing says nothing.
        expected = client.client_secret if client else secrets.token_urlsafe(16)
        if not hmac.compare_digest(secret.encode(), expected.encode()) or client is None:
            raise SandboxError(UNAUTHORIZED, MSG_CREDENTIALS_INVALID)
        return client


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="propeller-sandbox"'}


def _basic_credentials(authorization: str | None) -> tuple[str | None, str | None]:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else (None, None)


def _token_body(client: Client, token: str, ttl: float) -> dict[str, Any]:
    """The Apigee-style body of reference §1: every value a string, bar the product array."""
    product = "Propeller REST API v2"
    return {
        "access_token": token,
        "token_type": "BearerToken",
        "expires_in": ttl_text(ttl),
        "issued_at": str(int(time.time() * 1000)),
        "client_id": client.client_id,
        "application_name": client.application_name,
        "api_product_list": f"[{product}]",
        "api_product_list_json": [product],
        "organization_name": "propeller-sandbox",
        "developer.email": "developer@sandbox.invalid",
        "refresh_count": "0",
        "refresh_token_expires_in": "0",
        "scope": "",
        "status": "approved",
    }
