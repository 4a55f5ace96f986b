"""The HTTP layer: a threaded keep-alive server, its request handler and injected faults."""

from __future__ import annotations

import contextlib
import email.utils
import logging
import socket
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from propel_admin.sandbox import routes
from propel_admin.sandbox.app import SandboxApp
from propel_admin.sandbox.errors import (
    INTERNAL_ERROR,
    LENGTH_REQUIRED,
    PAYLOAD_TOO_LARGE,
    TOO_MANY_REQUESTS,
    Answer,
    SandboxError,
    error_answer,
)
from propel_admin.sandbox.faults import Fault, FaultConfig, FaultPlan

logger = logging.getLogger("propel_admin.sandbox")

MAX_BODY_BYTES = 64 * 1024 * 1024
IDLE_TIMEOUT_SECONDS = 120.0  # an idle keep-alive connection is closed after this
MSG_RATE_LIMITED = "Too many requests; retry later"
MSG_SERVER_ERROR = "Internal server error"
MSG_CHUNKED = "Send the body with a Content-Length; chunked bodies are not supported"
MSG_BAD_LENGTH = "The Content-Length header is not a valid number"
MSG_TOO_LARGE = "The request body is larger than {limit} bytes"
PROXY_502_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
NO_FAULT = FaultPlan(Fault.NONE, 0.0, FaultConfig())


class SandboxHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows its app and can close every open connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        super().__init__(address, SandboxHandler)
        self.app = app
        self.stopping = threading.Event()
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"propeller-sandbox-{self.server_address[1]}-connection",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[thread] = request
        self.app.stats.connection_opened()
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.pop(threading.current_thread(), None)

    def close_connections(self, timeout: float = 2.0) -> None:
        """Wake stalled handlers, cut open keep-alive connections and join their threads."""
        self.stopping.set()
        with self._connections_lock:
            open_now = dict(self._connections)
        for sock in open_now.values():
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread in open_now:
            thread.join(max(0.0, deadline - time.monotonic()))


class SandboxHandler(BaseHTTPRequestHandler):
    """Reads a request, applies the planned fault, routes it and writes the answer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else keep-alive clients stall 40 ms per request
    server_version = "propeller-sandbox"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    _route_name = "(no route)"  # per request: what stats count it under
    _recorded = False  # per request: whether stats have counted it

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    @property
    def _server(self) -> SandboxHTTPServer:
        return cast(SandboxHTTPServer, self.server)

    def _dispatch(self) -> None:
        started = time.perf_counter()
        path = urlsplit(self.path).path
        route, params = routes.resolve(path)
        self._route_name = route.name if route else "(no route)"
        self._recorded = False
        plan = self._server.app.faults.plan() if path.startswith("/v2/") else NO_FAULT
        try:
            status = self._serve(path, route, params, plan)
        except OSError:  # the client went away mid-answer
            self.close_connection = True
            status = self._record("disconnected")
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug("%s %s %s %.1fms", self.command, path, status, elapsed_ms)

    def _serve(
        self, path: str, route: routes.Route | None, params: dict[str, str], plan: FaultPlan
    ) -> str:
        try:
            body = self._read_body()
        except SandboxError as error:
            self.close_connection = True  # the rest of the body is still on the wire
            return self._send(error_answer(error), plan.config)
        stats = self._server.app.stats
        stats.in_flight(+1)  # received: from here on it is applied whatever the client does
        try:
            return self._serve_received(path, route, params, plan, body)
        finally:
            stats.in_flight(-1)

    def _serve_received(
        self,
        path: str,
        route: routes.Route | None,
        params: dict[str, str],
        plan: FaultPlan,
        body: bytes,
    ) -> str:
        if plan.delay_seconds and self._server.stopping.wait(plan.delay_seconds):
            return self._abort("aborted")
        if plan.fault is not Fault.NONE:
            self._server.app.stats.fault(plan.fault.value)
        if plan.fault is Fault.DROP:
            return self._abort("dropped")
        early = _early_fault_answer(plan)
        if early is not None:
            return self._send(early, plan.config)
        request = routes.Request(self.command, path, self.headers, body, params)
        result = self._answer(request, route)
        if plan.fault is Fault.TIMEOUT and self._server.stopping.wait(plan.config.stall_seconds):
            return self._abort("stalled")
        if plan.fault is Fault.TRUNCATED:
            result.body = result.body[: len(result.body) // 2]
        return self._send(result, plan.config)

    def _answer(self, request: routes.Request, route: routes.Route | None) -> Answer:
        try:
            return routes.answer(self._server.app, request, route)
        except Exception:
            logger.exception("sandbox failed on %s %s", request.method, request.path)
            return error_answer(SandboxError(INTERNAL_ERROR, MSG_SERVER_ERROR))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise SandboxError(LENGTH_REQUIRED, MSG_CHUNKED)
        text = self.headers.get("Content-Length")
        if not text:
            return b""
        if not text.strip().isdigit():
            raise SandboxError(LENGTH_REQUIRED, MSG_BAD_LENGTH)
        length = int(text)
        if length > MAX_BODY_BYTES:
            raise SandboxError(PAYLOAD_TOO_LARGE, MSG_TOO_LARGE.format(limit=MAX_BODY_BYTES))
        return self.rfile.read(length)

    def _record(self, status: str) -> str:
        """Count the request once, before the client can see the answer (tests read stats)."""
        if not self._recorded:
            self._recorded = True
            self._server.app.stats.request(self._route_name, status)
        return status

    def _abort(self, status: str) -> str:
        """End the exchange without an answer (a dropped connection or a stopping server)."""
        self._record(status)
        self.close_connection = True
        with contextlib.suppress(OSError):  # already gone
            self.connection.shutdown(socket.SHUT_RDWR)
        return status

    def _send(self, answer: Answer, config: FaultConfig) -> str:
        """Write status line, headers and body in one go (or trickled, if configured)."""
        head = self._head(answer)
        status = self._record(str(answer.status))
        rate = config.trickle_bytes_per_second
        if not rate:
            self.wfile.write(head + answer.body)
            return status
        self.wfile.write(head)
        step = max(1, int(rate / 20))  # about 20 writes a second
        for start in range(0, len(answer.body), step):
            self.wfile.write(answer.body[start : start + step])
            if self._server.stopping.wait(step / rate):
                self._abort("aborted")
                return "aborted"
        return status

    def _head(self, answer: Answer) -> bytes:
        reason = HTTPStatus(answer.status).phrase
        lines = [
            f"HTTP/1.1 {answer.status} {reason}",
            f"Date: {self.date_time_string()}",
            f"Server: {self.server_version}",
            f"Content-Type: {answer.content_type}",
            f"Content-Length: {len(answer.body)}",
            f"x-request-id: {uuid.uuid4()}",
        ]
        if answer.content_type == "application/json":
            lines.append("return-format: json")
        lines.extend(f"{name}: {value}" for name, value in answer.headers.items())
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's stderr lines; _dispatch logs each request at DEBUG."""

    def log_error(self, format: str, *args: Any) -> None:
        logger.debug("sandbox connection problem: " + format, *args)


def _early_fault_answer(plan: FaultPlan) -> Answer | None:
    """Faults answered before the request is processed (429, 500, the proxy's 502)."""
    if plan.fault is Fault.RATE_429:
        error = SandboxError(TOO_MANY_REQUESTS, MSG_RATE_LIMITED)
        result = error_answer(error)
        result.headers["Retry-After"] = _retry_after(plan.config)
        return result
    if plan.fault is Fault.ERROR_500:
        return error_answer(SandboxError(INTERNAL_ERROR, MSG_SERVER_ERROR))
    if plan.fault is Fault.HTML:
        return Answer(502, PROXY_502_PAGE, content_type="text/html")
    return None


def _retry_after(config: FaultConfig) -> str:
    if config.retry_after_format == "http-date":
        return email.utils.formatdate(time.time() + config.retry_after, usegmt=True)
    # Whole seconds as HTTP specifies; fractions are kept so tests can wait briefly.
    seconds = config.retry_after
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)
