"""URL routing for the sandbox: Propeller's endpoints and the guarded /__sandbox/ controls."""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, unquote

from propel_admin.sandbox.app import SandboxApp
from propel_admin.sandbox.errors import (
    FORBIDDEN,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    SANDBOX_BAD_REQUEST,
    Answer,
    SandboxError,
    error_answer,
    json_answer,
)
from propel_admin.sandbox.faults import FaultConfig

ADMIN_KEY_HEADER = "X-Sandbox-Key"
MSG_NO_ROUTE = "Resource [{path}] not found"
MSG_METHOD = "Method [{method}] is not allowed here; use {allowed}"
MSG_ADMIN_KEY = f"The {ADMIN_KEY_HEADER} header is missing or wrong"
MSG_CONTROL_JSON = "The body must be a JSON object"
MSG_COMPANIES = 'Expected {"ids": [numbers], "sources": [{"source": "…", "sourceId": "…"}]}'


@dataclass
class Request:
    """What a route needs from an HTTP request."""

    method: str
    path: str
    headers: Message
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")


RouteFunction = Callable[[SandboxApp, Request], Answer]


@dataclass(frozen=True)
class Route:
    """A path (or pattern) and its handlers by method; `name` is what stats count under."""

    name: str
    methods: dict[str, RouteFunction]
    pattern: re.Pattern[str] | None = None


def answer(app: SandboxApp, request: Request, route: Route | None) -> Answer:
    """Run the route for this request, turning SandboxErrors into envelopes."""
    try:
        if route is None:
            raise SandboxError(NOT_FOUND, MSG_NO_ROUTE.format(path=request.path))
        function = route.methods.get(request.method)
        if function is None:
            allowed = ", ".join(sorted(route.methods))
            message = MSG_METHOD.format(method=request.method, allowed=allowed)
            raise SandboxError(METHOD_NOT_ALLOWED, message, headers={"Allow": allowed})
        return function(app, request)
    except SandboxError as error:
        return error_answer(error)


def resolve(path: str) -> tuple[Route | None, dict[str, str]]:
    """The route for a path and the values of its placeholders."""
    route = _EXACT.get(path)
    if route is not None:
        return route, {}
    for candidate in _PATTERNS:
        assert candidate.pattern is not None
        match = candidate.pattern.fullmatch(path)
        if match:
            return candidate, {k: unquote(v) for k, v in match.groupdict().items()}
    return None, {}


def _token(app: SandboxApp, request: Request) -> Answer:
    parsed = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    form = {name: values[0] for name, values in parsed.items()}
    result = json_answer(app.issue_token(form, request.authorization))
    result.headers["Cache-Control"] = "no-store"
    return result


def _bulk_by_id(app: SandboxApp, request: Request) -> Answer:
    return json_answer(app.bulk_by_id(request.body, request.authorization))


def _contact(app: SandboxApp, request: Request) -> Answer:
    params = request.params
    return json_answer(app.contact(params["lookup_key"], params["value"], request.authorization))


def _require_admin(app: SandboxApp, request: Request) -> None:
    given = (request.headers.get(ADMIN_KEY_HEADER) or "").encode()
    if not hmac.compare_digest(given, app.admin_key.encode()):
        raise SandboxError(FORBIDDEN, MSG_ADMIN_KEY)


def _control_body(request: Request) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise SandboxError(SANDBOX_BAD_REQUEST, MSG_CONTROL_JSON)
    return body


def _faults_get(app: SandboxApp, request: Request) -> Answer:
    _require_admin(app, request)
    return json_answer(app.faults.config.to_dict())


def _faults_set(app: SandboxApp, request: Request) -> Answer:
    _require_admin(app, request)
    try:
        config = FaultConfig.from_dict(_control_body(request))
    except ValueError as exc:
        raise SandboxError(SANDBOX_BAD_REQUEST, str(exc)) from None
    app.faults.set(config)
    return json_answer(config.to_dict())


def _reset(app: SandboxApp, request: Request) -> Answer:
    _require_admin(app, request)
    app.reset()
    return json_answer({"reset": True})


def _expire_tokens(app: SandboxApp, request: Request) -> Answer:
    _require_admin(app, request)
    return json_answer({"expired": app.tokens.expire_all()})


def _stats(app: SandboxApp, request: Request) -> Answer:
    _require_admin(app, request)
    return json_answer(app.stats.snapshot())


def _companies(app: SandboxApp, request: Request) -> Answer:
    _require_admin(app, request)
    body = _control_body(request)
    ids, sources = body.get("ids", []), body.get("sources", [])
    valid = (
        isinstance(ids, list)
        and all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        and isinstance(sources, list)
        and all(_is_source(s) for s in sources)
        and set(body) <= {"ids", "sources"}
    )
    if not valid:
        raise SandboxError(SANDBOX_BAD_REQUEST, MSG_COMPANIES)
    app.companies.add(ids, [(s["source"], s["sourceId"]) for s in sources])
    return json_answer({"added": len(ids) + len(sources)})


def _is_source(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("source"), str)
        and isinstance(value.get("sourceId"), str)
    )


_EXACT: dict[str, Route] = {
    route.name: route
    for route in (
        Route("/oauth2/token", {"POST": _token}),
        Route("/v2/contacts/bulk/id", {"POST": _bulk_by_id}),
        Route("/__sandbox/faults", {"GET": _faults_get, "POST": _faults_set}),
        Route("/__sandbox/reset", {"POST": _reset}),
        Route("/__sandbox/expire-tokens", {"POST": _expire_tokens}),
        Route("/__sandbox/stats", {"GET": _stats}),
        Route("/__sandbox/companies", {"POST": _companies}),
    )
}
_PATTERNS = (
    Route(
        "/v2/contacts/{lookupKey}/{value}",
        {"GET": _contact},
        re.compile(r"/v2/contacts/(?P<lookup_key>[^/]+)/(?P<value>[^/]+)/?"),
    ),
)
