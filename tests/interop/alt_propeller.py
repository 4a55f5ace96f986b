"""A second, independent Propeller contacts API, written from the reference only.

It exists to check that the app's outcomes do not depend on quirks of the project's own
sandbox (issue #4): it was written from `../shared/propeller-api.md` and the seed page
`bulk-contacts-by-id.txt`, without reading `propel_admin/sandbox`, and on another stack
(a plain WSGI app on `wsgiref`, not `http.server` handlers).

It serves:

- `POST /oauth2/token`: client credentials as form fields or HTTP Basic (reference §1:
  "Simulator: accept both"), answering the documented Apigee-style body;
- `POST /v2/contacts/bulk/id`: upsert by `id` with one answer per contact, 400 error
  envelopes for whole-request failures, 401 for a missing, unknown or expired token.

Where the reference is silent or marks an ASSUMPTION, the choice made here is noted with
`CHOICE:` where it is made.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

BULK_PATH = "/v2/contacts/bulk/id"
TOKEN_PATH = "/oauth2/token"
MAX_ITEMS = 2000  # reference §5 recommendation: >2000 -> 400/10017
MORE_INFO = "https://www.propel.us/docs/errors/{code}"

# The seed's Fields table, plus `language` and `mobile` from its request schema
# (reference §2 and §8.6). `company` is in the schema but refused, as the seed's 400
# example shows. CHOICE: `ssn`, `sourceId` and `source` (table, not schema) are accepted.
STRING_KEYS = frozenset(
    {
        "firstName",
        "middleName",
        "lastName",
        "abbreviation",
        "title",
        "dateOfBirth",
        "gender",
        "ssn",
        "phone",
        "email",
        "primaryLanguage",
        "sourceId",
        "source",
        "language",
        "mobile",
    }
)
NUMBER_KEYS = frozenset({"id", "debtorId"})
ALLOWED_KEYS = STRING_KEYS | NUMBER_KEYS | {"parent"}
# The other reading: only what the seed's request schema lists (minus `company`). Real
# Propeller validates with a JSON schema ("extraneous key ... is not permitted"), so it
# may well refuse the table-only `ssn`, `sourceId` and `source`.
SCHEMA_ONLY_KEYS = ALLOWED_KEYS - {"ssn", "sourceId", "source"}

# CHOICE: a plain "something@domain.tld" check; Propeller's own rule is undocumented.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# CHOICE: ISO 639-1 as "two ASCII letters, either case" (the examples are uppercase).
_LANGUAGE = re.compile(r"^[A-Za-z]{2}$")


def _everit_type(value: Any) -> str:
    """The type name the everit JSON-schema library prints (reference §4, ASSUMPTION)."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Number" if isinstance(value, float) else "Integer"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    if isinstance(value, dict):
        return "JSONObject"
    return "Null"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class _Store:
    """Everything the server remembers, guarded by one lock."""

    companies: set[int]
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 900_000_000  # ids handed out in assign_ids mode
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expires at
    requests: list[tuple[str, str, int]] = field(default_factory=list)  # method, path, status
    lock: threading.Lock = field(default_factory=threading.Lock)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class AltPropeller:
    """The alternative server: `start()`, point the app at `api_url`/`token_url`, `stop()`."""

    def __init__(
        self,
        *,
        company_ids: Iterable[int] = (),
        client_id: str = "alt-client",
        client_secret: str = "alt-secret",  # noqa: S107 - a test server's
        token_ttl: int = 1800,
        port: int = 0,
        schema_only: bool = False,
        assign_ids: bool = False,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl  # reference §1: 30 minutes
        self.schema_only = schema_only  # True: refuse keys the seed's schema lacks
        self.assign_ids = assign_ids  # True: new contacts get an id of Propeller's (§8.2)
        self._store = _Store(companies=set(company_ids))
        self._port = port
        self._server: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        self._server = make_server(
            "127.0.0.1",
            self._port,
            self.app,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="alt-propeller", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v2"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}{TOKEN_PATH}"

    # --- test helpers -----------------------------------------------------------------
    def add_companies(self, ids: Iterable[int]) -> None:
        with self._store.lock:
            self._store.companies.update(ids)

    def reset(self) -> None:
        """Forget contacts, tokens and the request log (companies stay)."""
        with self._store.lock:
            self._store.contacts.clear()
            self._store.next_id = 900_000_000
            self._store.tokens.clear()
            self._store.requests.clear()

    def expire_tokens(self) -> None:
        """Every token handed out so far is now expired: the next use gets a 401."""
        with self._store.lock:
            for token in self._store.tokens:
                self._store.tokens[token] = 0.0

    def get_contact(self, contact_id: int) -> dict[str, Any] | None:
        with self._store.lock:
            stored = self._store.contacts.get(contact_id)
            return dict(stored) if stored is not None else None

    def requests_made(self) -> list[tuple[str, str, int]]:
        with self._store.lock:
            return list(self._store.requests)

    # --- WSGI -------------------------------------------------------------------------
    def app(self, environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        if path == TOKEN_PATH:
            status, body = self._token(environ) if method == "POST" else _method_not_allowed(method)
        elif path == BULK_PATH:
            status, body = self._bulk(environ) if method == "POST" else _method_not_allowed(method)
        else:
            # CHOICE: 10008 NotFound envelope for any other path (reference §4).
            status, body = _error(404, 10008, "NotFound", f"Resource [{path}] not found")
        with self._store.lock:
            self._store.requests.append((method, path, status))
        payload = json.dumps(body, separators=(",", ":")).encode()
        start_response(
            f"{status} {_REASONS.get(status, 'Error')}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(payload))),
                # Reference §7: listed, unexplained headers; a UUID and "json" (ASSUMPTION).
                ("x-request-id", str(uuid.uuid4())),
                ("return-format", "json"),
            ],
        )
        return iter([payload])

    # --- token --------------------------------------------------------------------------
    def _token(self, environ: Environ) -> tuple[int, dict[str, Any]]:
        form = {k: v[0] for k, v in parse_qs(_read_body(environ).decode("latin-1")).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = _basic_credentials(environ.get("HTTP_AUTHORIZATION", ""))
        if basic is not None and client_id is None:
            client_id, secret = basic
        if form.get("grant_type") != "client_credentials":
            # Reference §1: the token endpoint lists 400 (invalid body value); no body is
            # documented. CHOICE: the error envelope, as for every other error here.
            return _error(400, 10017, "InvalidRequest", "grant_type must be client_credentials")
        if client_id != self.client_id or secret != self.client_secret:
            # Reference §8.4: 401 body unknown; CHOICE: the envelope with type Unauthorized.
            return _error(401, 401, "Unauthorized", "Invalid client credentials")
        token = secrets.token_urlsafe(24)
        now = time.time()
        with self._store.lock:
            self._store.tokens[token] = now + self.token_ttl
        products = ["Propeller REST API"]
        return 200, {  # reference §1: every value a string, Apigee style
            "refresh_token_expires_in": "0",
            "api_product_list": str(products),
            "api_product_list_json": products,
            "organization_name": "alt-propeller",
            "developer.email": "dev@example.com",
            "token_type": "BearerToken",
            "issued_at": str(int(now * 1000)),
            "client_id": self.client_id,
            "access_token": token,
            "application_name": "alt-propeller-app",
            "scope": "",
            "expires_in": str(self.token_ttl - 1),  # "1899" for 1800 in the docs' example
            "refresh_count": "0",
            "status": "approved",
        }

    def _authorized(self, environ: Environ) -> bool:
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        with self._store.lock:
            expires_at = self._store.tokens.get(token.strip())
        return expires_at is not None and expires_at > time.time()

    # --- bulk by id -----------------------------------------------------------------------
    def _bulk(self, environ: Environ) -> tuple[int, dict[str, Any]]:
        if not self._authorized(environ):
            # Reference §1/§8.4: "OAuth2 token missing or invalid"; body undocumented.
            return _error(401, 401, "Unauthorized", "OAuth2 token missing or invalid")
        try:
            body = json.loads(_read_body(environ))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _error(400, 10005, "InvalidJSONPayload", "Invalid JSON payload")
        allowed = SCHEMA_ONLY_KEYS if self.schema_only else ALLOWED_KEYS
        problems = _schema_problems(body, allowed)
        if problems:
            return _error(400, 10007, "SchemaValidationException", *problems)
        contacts: list[dict[str, Any]] = body["contacts"]
        missing = [f"#/contacts/{i}" for i, c in enumerate(contacts) if "id" not in c]
        if missing:
            # CHOICE: 10016 LookupKeyNotFound ("bulk item lacks its lookup key", §4) rather
            # than a schema error; the message text is undocumented.
            return _error(
                400,
                10016,
                "LookupKeyNotFound",
                *(f"{where}: lookup key [id] not found" for where in missing),
            )
        if len(contacts) > MAX_ITEMS:
            return _error(
                400,
                10017,
                "PayloadValidationError",
                f"A bulk request holds at most {MAX_ITEMS} items, not {len(contacts)}",
            )
        with self._store.lock:
            data = [self._upsert(contact) for contact in contacts]
        # Seed 200 example; `total` counts every item, failed ones included (§3).
        return 200, {"data": data, "messages": ["Completed"], "total": len(data)}

    def _upsert(self, contact: dict[str, Any]) -> dict[str, Any]:
        """One item's outcome; the caller holds the store lock."""
        key = contact["id"]
        contact_id = int(key)
        existing = self._store.contacts.get(contact_id)
        error = self._item_problem(contact, creating=existing is None)
        if error is not None:
            # §3 "Simulator failed item" shape (Bulk Links): no id, no action.
            return {"success": False, "lookupKey": "id", "key": key, "error": error}
        if existing is None:
            # CHOICE: the contact keeps the id it was sent with. The seed says contacts
            # "are identified by id. If a contact doesn't already exist, it will be
            # created"; §8.2 recommends assigning a new id instead, but then the same
            # file sent twice could never become "updated". `assign_ids` plays that reading.
            if self.assign_ids:
                contact_id = self._store.next_id
                self._store.next_id += 1
            self._store.contacts[contact_id] = {**contact, "id": contact_id}
            action = "create"  # §3 ASSUMPTION: "create" for inserts
        else:
            existing.update(contact)
            action = "update"
        return {"action": action, "id": contact_id, "key": key, "lookupKey": "id", "success": True}

    def _item_problem(self, contact: dict[str, Any], *, creating: bool) -> str | None:
        """Why Propeller would not store this item, as its answer's `error` text."""
        parent = contact.get("parent")
        if parent is None:
            if creating:
                # §8.5: "Require it on create, not on update." CHOICE: the text below.
                return "Parent resource [Company] is required to create a contact"
        elif int(parent["id"]) not in self._store.companies:
            # Literal 40007 ParentCompanyNotFound text from the reference (§4).
            return f"Parent resource [Company] with id [{parent['id']}] not found"
        # §8.7: value checks are undocumented; reported per item. CHOICE: these texts.
        gender = contact.get("gender")
        if gender is not None and gender.lower() not in {"m", "f", "u"}:
            return f"Invalid value [{gender}] for gender, expected one of [m, f, u]"
        email = contact.get("email")
        if email is not None and not _EMAIL.match(email):
            return f"Invalid value [{email}] for email"
        birth = contact.get("dateOfBirth")
        if birth is not None and not _valid_date(birth):
            return "Invalid value for dateOfBirth, expected DD/MM/YYYY"
        for key in ("primaryLanguage", "language"):
            value = contact.get(key)
            if value is not None and not _LANGUAGE.match(value):
                return f"Invalid value [{value}] for {key}, expected an ISO 639-1 code"
        if contact.get("sourceId") is not None and not contact.get("source"):
            # Seed Fields table: source is required "only when sourceId is provided".
            return "Field [source] is required when [sourceId] is provided"
        return None


def _valid_date(text: str) -> bool:
    # §6: create/PATCH examples use DD/MM/YYYY. CHOICE: only that form is accepted.
    try:
        dt.datetime.strptime(text, "%d/%m/%Y")
    except ValueError:
        return False
    return len(text) == 10


def _schema_problems(body: Any, allowed: frozenset[str]) -> list[str]:
    """Every JSON-schema violation, in everit's wording (reference §4; ASSUMPTION)."""
    if not isinstance(body, dict):
        return [f"#: expected type: JSONObject, found: {_everit_type(body)}"]
    problems = [f"#: extraneous key [{key}] is not permitted" for key in body if key != "contacts"]
    if "contacts" not in body:
        return [*problems, "#: required key [contacts] not found"]
    contacts = body["contacts"]
    if not isinstance(contacts, list):
        return [*problems, f"#/contacts: expected type: JSONArray, found: {_everit_type(contacts)}"]
    for index, contact in enumerate(contacts):
        where = f"#/contacts/{index}"
        if not isinstance(contact, dict):
            problems.append(f"{where}: expected type: JSONObject, found: {_everit_type(contact)}")
            continue
        for key, value in contact.items():
            if key not in allowed:
                # The seed's 400 example, literally.
                problems.append(f"{where}: extraneous key [{key}] is not permitted")
            elif key in NUMBER_KEYS:
                # CHOICE: the schema says "number"; an id must also be whole and positive.
                if not _is_number(value):
                    problems.append(
                        f"{where}/{key}: expected type: Number, found: {_everit_type(value)}"
                    )
                elif key == "id" and (value != int(value) or value < 1):
                    problems.append(f"{where}/{key}: {value} is not a positive integer")
            elif key in STRING_KEYS and value is not None and not isinstance(value, str):
                # CHOICE: null means "not given" for optional strings.
                problems.append(
                    f"{where}/{key}: expected type: String, found: {_everit_type(value)}"
                )
            elif key == "parent":
                problems.extend(_parent_problems(f"{where}/parent", value))
    return problems


def _parent_problems(where: str, parent: Any) -> list[str]:
    # Seed schema: parent {id: number}. CHOICE: {sourceId, source} (overview only) is
    # refused on this endpoint, as the seed's request schema does not list it.
    if not isinstance(parent, dict):
        return [f"{where}: expected type: JSONObject, found: {_everit_type(parent)}"]
    problems = [
        f"{where}: extraneous key [{key}] is not permitted" for key in parent if key != "id"
    ]
    if "id" not in parent:
        problems.append(f"{where}: required key [id] not found")
    elif not _is_number(parent["id"]):
        problems.append(f"{where}/id: expected type: Number, found: {_everit_type(parent['id'])}")
    return problems


def _error(status: int, code: int, type_: str, *messages: str) -> tuple[int, dict[str, Any]]:
    """The documented error envelope (reference §4), with a numeric code."""
    return status, {
        "error": {
            "code": code,
            "messages": list(messages),
            "moreInfo": MORE_INFO.format(code=code),
            "status": status,
            "type": type_,
        }
    }


def _method_not_allowed(method: str) -> tuple[int, dict[str, Any]]:
    # CHOICE: undocumented; an envelope like the others.
    return _error(405, 405, "MethodNotAllowed", f"Method [{method}] is not allowed here")


def _read_body(environ: Environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
}
