"""The loopback redirect receiver of `retently-oauth login`: waits for the one redirect that carries our state.

It serves every connection on its own daemon thread with a socket timeout, so an idle connection (a browser's
preconnect) never blocks the redirect, and `stop()` returns at once whatever the clients do. Only a request for
the exact callback path whose single `state` parameter matches ours is taken (error redirects included); a
request with another state gets a 400 page and one for any other path (`/favicon.ico`) a 404, and the wait goes
on. Pages are fixed text: nothing a request carries is echoed.

With `outcome_timeout`, the page for the taken redirect waits for the outcome the caller reports with `report()`
(`success`, `denied`, `failed`, `cancelled`): the browser shows what really happened (a login is done only once
the code was exchanged and saved), not merely that the redirect arrived. `stop()` reports `cancelled` if nothing
was reported and lets that page go out (bounded) before closing.
"""

from __future__ import annotations

import contextlib
import hmac
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .exceptions import ArgumentError, RetentlyOAuthError

CONNECTION_TIMEOUT = 5.0
"""Seconds a connection may stay silent before the receiver drops it."""
MAX_CONNECTIONS = 64
"""Connections served at once; more are closed at once (a flood cannot exhaust threads)."""


class ReceiverError(RetentlyOAuthError):
    """The receiver cannot listen where it was asked to (port in use, out of range, not a loopback address)."""


class RedirectTimeout(RetentlyOAuthError):
    """No redirect with the expected state arrived within the wait."""


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>retently-oauth: {title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em;color:#222}}
h1{{font-size:1.3em}}</style></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""

PAGES: dict[str, tuple[int, str, str]] = {
    "received": (200, "Login received", "You can close this tab and return to the terminal."),
    "error": (
        200,
        "Login not completed",
        "The authorization server did not grant access. You can close this tab; the terminal says more.",
    ),
    "again": (200, "Login already received", "This login was already received. You can close this tab."),
    "wrong_state": (
        400,
        "Not this login",
        "This redirect does not belong to the login in progress (its state does not match), so it was ignored. "
        "The terminal is still waiting for the right one.",
    ),
    "not_found": (404, "Not found", "Nothing here: this address only receives the login redirect."),
    "success": (
        200,
        "Logged in",
        "retently-oauth exchanged the code and saved the credentials. You can close this tab and return to the "
        "terminal.",
    ),
    "denied": (
        200,
        "Access not granted",
        "The authorization was declined, so nothing was saved. To try again, run retently-oauth login in the "
        "terminal. You can close this tab.",
    ),
    "failed": (
        200,
        "Login failed",
        "The redirect arrived, but the code could not be exchanged for a token, so nothing was saved. The terminal "
        "says why. You can close this tab.",
    ),
    "cancelled": (
        200,
        "Login cancelled",
        "The login was cancelled in the terminal before it completed; nothing was saved. You can close this tab.",
    ),
}
"""Kind -> (HTTP status, title, text): fixed pages, never holding request data."""

OUTCOMES = ("success", "denied", "failed", "cancelled")
"""What `report()` takes: the outcome of the login the taken redirect started."""
ANSWER_GRACE = 2.0
"""Seconds `stop()` gives the outcome page to go out before it closes the receiver."""


class RedirectReceiver:
    """Listens on `host:port` (port 0: any free one) for the redirect to `path` carrying `expected_state`.

    Use as a context manager (or `start()` / `stop()`); `wait(timeout)` returns the callback URL (with the
    `redirect_uri` as its base) or raises `RedirectTimeout`. `ignored` counts the requests turned away, by kind.
    """

    def __init__(
        self,
        expected_state: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/callback",
        connection_timeout: float = CONNECTION_TIMEOUT,
        outcome_timeout: float | None = None,
    ) -> None:
        if not isinstance(expected_state, str) or not expected_state:
            raise ArgumentError("expected_state must be a non-empty string")
        if not isinstance(path, str) or not path.startswith("/") or "?" in path or "#" in path:
            raise ArgumentError("path must be an absolute URL path without query or fragment")
        if isinstance(port, bool) or not isinstance(port, int):
            raise ArgumentError(f"port must be an integer, got {type(port).__name__}")
        if not isinstance(host, str) or not host:
            raise ArgumentError("host must be a non-empty string (a loopback address)")
        if (
            isinstance(connection_timeout, bool)
            or not isinstance(connection_timeout, (int, float))
            or not 0 < connection_timeout < threading.TIMEOUT_MAX
        ):
            raise ArgumentError("connection_timeout must be a positive number of seconds")
        if outcome_timeout is not None and (
            isinstance(outcome_timeout, bool)
            or not isinstance(outcome_timeout, (int, float))
            or not 0 < outcome_timeout < threading.TIMEOUT_MAX
        ):
            raise ArgumentError("outcome_timeout must be None or a positive number of seconds")
        self._expected = expected_state.encode("utf-8", "surrogatepass")
        self.host = host
        self.port = port
        self.path = path
        self.connection_timeout = connection_timeout
        self.outcome_timeout = outcome_timeout
        self.ignored: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._url: str | None = None
        self._base = ""
        self._done = threading.Event()
        self._outcome: str | None = None
        self._reported = threading.Event()
        self._answered = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.redirect_uri if self._server is not None else f"{self.host}:{self.port} (stopped)"
        return f"RedirectReceiver({where})"

    @property
    def redirect_uri(self) -> str:
        """The URL the authorization server must redirect to: `http://host:port/path`."""
        if self._server is None:
            raise ReceiverError("the receiver is not listening")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.server_address[1]}{self.path}"

    def start(self) -> RedirectReceiver:
        if self._server is not None:
            return self
        handler = type("Handler", (_Handler,), {"receiver": self, "timeout": self.connection_timeout})
        server_class = _Server6 if ":" in self.host else _Server
        try:
            server = server_class((self.host, self.port), handler)
        except (OSError, OverflowError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "port out of range"
            raise ReceiverError(f"cannot listen on {self.host}:{self.port}: {reason}") from None
        self._server = server
        self._base = self.redirect_uri
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name="retently-oauth-receiver", daemon=True
        )
        self._thread.start()
        return self

    def wait(self, timeout: float) -> str:
        """The callback URL of the first redirect with our state; RedirectTimeout after `timeout` seconds.

        A wait longer than the platform allows (`threading.TIMEOUT_MAX`, about 292 years) is cut to it.
        """
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ArgumentError("the wait must be a positive number of seconds")
        if not self._done.wait(min(timeout, threading.TIMEOUT_MAX)):
            raise RedirectTimeout(f"no login redirect arrived within {timeout:g} s")
        assert self._url is not None
        return self._url

    def report(self, outcome: str) -> None:
        """The outcome of the login, for the page of the taken redirect (with `outcome_timeout`). First one wins."""
        if outcome not in OUTCOMES:
            raise ArgumentError(f"outcome must be one of {', '.join(OUTCOMES)}")
        with self._lock:
            if self._outcome is None:
                self._outcome = outcome
        self._reported.set()

    def stop(self) -> None:
        """Stops listening and drops open connections; returns within about the poll interval, always.

        With `outcome_timeout`, a taken redirect whose page still waits gets `cancelled` (unless an outcome was
        reported) and up to `ANSWER_GRACE` seconds to go out first.
        """
        if self.outcome_timeout is not None and self._done.is_set():
            self.report("cancelled")
            self._answered.wait(ANSWER_GRACE)
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def __enter__(self) -> RedirectReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # called by the handler ------------------------------------------------------------------------------------

    def _classify(self, target: str) -> str:
        """What a request target is: `received`/`error` (taken), `again`, `wrong_state` or `not_found`."""
        try:
            parts = urlsplit(target)
        except ValueError:
            return self._ignore("not_found")
        if parts.path != self.path:
            return self._ignore("not_found")
        params = parse_qsl(parts.query, keep_blank_values=True)
        states = [value for key, value in params if key == "state"]
        if len(states) != 1 or not hmac.compare_digest(states[0].encode("utf-8", "surrogatepass"), self._expected):
            return self._ignore("wrong_state")
        with self._lock:
            if self._url is not None:
                return "again"
            self._url = f"{self._base}?{parts.query}"
        return "error" if any(key == "error" for key, _ in params) else "received"

    def _ignore(self, kind: str) -> str:
        with self._lock:
            self.ignored[kind] += 1
        return kind


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release(request)

    def _release(self, request: socket.socket) -> None:
        with self._open_lock:
            if request in self._open:
                self._open.discard(request)
                self._slots.release()

    def drop_connections(self) -> None:
        """Wakes every handler still reading (an idle connection) so that its thread ends now."""
        with self._open_lock:
            open_now = list(self._open)
        for sock in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silent: a client that hangs up or times out is normal; nothing a request holds is printed."""


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    receiver: RedirectReceiver

    def version_string(self) -> str:
        return "retently-oauth"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line carries the code."""

    def do_GET(self) -> None:
        receiver = self.receiver
        kind = receiver._classify(self.path)
        taken = kind in ("received", "error")
        if taken and receiver.outcome_timeout is not None:
            receiver._done.set()  # the wait ends now; this page shows what the caller then reports
            try:
                receiver._reported.wait(receiver.outcome_timeout)
                self._answer(receiver._outcome or kind)
            finally:
                receiver._answered.set()
            return
        try:
            self._answer(kind)
        finally:
            if taken:  # the page is out (or its client gone): the wait may end
                receiver._done.set()

    def do_HEAD(self) -> None:
        self._answer("not_found")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard error answer (bad syntax, unsupported method, long line) as a fixed page: no echo."""
        self.close_connection = True
        self._page(code, f"Error {code}", PAGES["not_found"][2])

    def _answer(self, kind: str) -> None:
        self._page(*PAGES[kind])

    def _page(self, status: int, title: str, text: str) -> None:
        body = _PAGE.format(title=title, text=text).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


__all__ = ["OUTCOMES", "PAGES", "RedirectReceiver", "ReceiverError", "RedirectTimeout"]
