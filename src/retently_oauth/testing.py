"""A local Retently-compatible OAuth server, for demos and tests (ours and downstream SDKs').

It implements the Retently OAuth guide on 127.0.0.1 with an ephemeral port: `/api/oauth/authorize` consents at
once and redirects with `code` and `state` (or `error`, when told to deny) or, with `consent="page"`, shows a
consent page whose Allow and Deny buttons post back and then redirect alike; `/api/oauth/token` serves both grants
with client_secret_post, and `/api/v2/customers` is a sample API route that takes a bearer token or the
API-token header `api_key=<key>`. Faults can be queued for the token endpoint, and token requests held back. Use
it as a context manager or through the `retently_server` pytest fixture::

    with RetentlyServer(expires_in=5, rotate_refresh_tokens=True) as server:
        client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri,
                             endpoints=server.endpoints)
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import html
import json
import secrets
import sys
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

import attrs

from .endpoints import Endpoints

Fault = Literal["html_500", "retry_after_503", "malformed_json", "slow", "drop", "huge"]
FAULTS: tuple[str, ...] = ("html_500", "retry_after_503", "malformed_json", "slow", "drop", "huge")
Consent = Literal["auto", "page"]
HOLD_LIMIT = 60.0
"""The longest a held token request waits for `hold_token_requests()` to end, in seconds."""
MAX_PENDING_CONSENTS = 256
"""Consent pages awaiting an answer; past it the oldest is forgotten (its buttons then get an error page)."""


@attrs.define
class _Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str | None
    used: bool = False


@attrs.frozen
class _Pending:
    """An authorization request shown on a consent page, waiting for Allow or Deny."""

    redirect_uri: str
    state: str | None
    code_challenge: str | None
    scope: str | None


class RetentlyServer:
    """The embedded server. All state is in memory and guarded by one lock; counters say what it served."""

    def __init__(
        self,
        *,
        client_id: str = "demo-client-id",
        client_secret: str = "demo-client-secret",
        redirect_uri: str = "http://127.0.0.1/callback",
        expires_in: int = 21600,
        rotate_refresh_tokens: bool = False,
        deny: bool = False,
        slow_seconds: float = 2.0,
        api_key: str = "demo-api-key",
        consent: Consent = "auto",
    ) -> None:
        if consent not in ("auto", "page"):
            raise ValueError(f"consent must be 'auto' or 'page', not {consent!r}")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.expires_in = expires_in
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.deny = deny
        self.slow_seconds = slow_seconds
        self.api_key = api_key
        """Accepted on the API route as `Authorization: api_key=<key>` (Retently's API-token credentials)."""
        self.consent: Consent = consent
        """`auto`: the authorize endpoint redirects at once (granting, or denying when `deny` is set), as a
        program driving the flow needs; `page`: it shows a consent page, and a person's Allow or Deny decides."""
        self.counts: Counter[str] = Counter()
        """Requests served by kind: authorization_code, refresh_token, authorize, consent_allowed and
        consent_denied (answers to the consent page), api (api_unauthorized of them answered 401), fault, held
        (token requests held back by `hold_token_requests`)."""
        self._lock = threading.Condition()
        self._pending: OrderedDict[str, _Pending] = OrderedDict()
        self._release = threading.Event()
        self._release.set()
        self._codes: dict[str, _Grant] = {}
        self._refresh_tokens: set[str] = set()
        self._access_tokens: dict[str, float] = {}
        self._issued: list[tuple[str, str]] = []
        self._faults: list[str] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ------------------------------------------------------------------------------------------------

    def start(self) -> RetentlyServer:
        handler = type("Handler", (_Handler,), {"server_state": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        httpd = self._httpd
        self._thread = threading.Thread(
            target=lambda: httpd.serve_forever(poll_interval=0.05), name="retently-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> RetentlyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # addresses ------------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(
            authorize_url=f"{self.base_url}/api/oauth/authorize", token_url=f"{self.base_url}/api/oauth/token"
        )

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v2/customers"

    # test controls --------------------------------------------------------------------------------------------

    def inject(self, *faults: str) -> None:
        """Queue faults; each of the next token requests gets one, in order."""
        for fault in faults:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}; choose from {', '.join(FAULTS)}")
        with self._lock:
            self._faults.extend(faults)

    def issue_refresh_token(self) -> str:
        """A refresh token the server accepts, as if a user had consented earlier."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._refresh_tokens.add(token)
        return token

    def issued_pairs(self) -> list[tuple[str, str]]:
        """Every (access_token, refresh_token) pair the token endpoint granted, oldest first."""
        with self._lock:
            return list(self._issued)

    def refresh_token_valid(self, refresh_token: str) -> bool:
        """Whether the token endpoint would accept this refresh token now (asking spends nothing)."""
        with self._lock:
            return refresh_token in self._refresh_tokens

    def wait_for(self, kind: str, count: int = 1, timeout: float = 10.0) -> bool:
        """Waits until `counts[kind]` reaches `count`; False if `timeout` seconds pass first."""
        with self._lock:
            return self._lock.wait_for(lambda: self.counts[kind] >= count, timeout)

    @contextlib.contextmanager
    def hold_token_requests(self) -> Iterator[None]:
        """Token requests arriving inside the block wait (at most `HOLD_LIMIT` s) until it ends, then are served.

        With `wait_for("held")`, a test can act while a client is known to be inside its token request.
        """
        self._release.clear()
        try:
            yield
        finally:
            self._release.set()

    def expire_access_tokens(self) -> None:
        """Makes every issued access token expired, as if hours had passed."""
        with self._lock:
            for token in self._access_tokens:
                self._access_tokens[token] = 0.0

    # request handling (called by the handler) -----------------------------------------------------------------

    def _bump(self, kind: str) -> None:
        """Counts one request of `kind` (the lock held) and wakes `wait_for`."""
        self.counts[kind] += 1
        self._lock.notify_all()

    def _authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        redirect = params.get("redirect_uri", "")
        if params.get("client_id") != self.client_id or not redirect:
            return _page(400, "Unknown application", "The client_id is unknown or the redirect_uri is missing.")
        challenge = params.get("code_challenge") if params.get("code_challenge_method") == "S256" else None
        pending = _Pending(redirect, params.get("state"), challenge, params.get("scope"))
        with self._lock:
            self._bump("authorize")
            if self.consent == "auto":
                return self._decide(pending, allow=not self.deny)
            ticket = secrets.token_urlsafe(16)
            self._pending[ticket] = pending
            while len(self._pending) > MAX_PENDING_CONSENTS:
                self._pending.popitem(last=False)
        return _consent_page(self.client_id, pending, ticket)

    def _answer(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """The consent page's form: `ticket` and `decision` (allow or deny); each ticket is answered once."""
        decision = form.get("decision")
        if decision not in ("allow", "deny"):
            return _page(400, "Invalid request", "Choose Allow or Deny on the consent page.")
        with self._lock:
            pending = self._pending.pop(form.get("ticket", ""), None)
            if pending is None:
                return _page(
                    400,
                    "This request was already answered",
                    "Start the login again from your application to get a new consent page.",
                )
            self._bump("consent_allowed" if decision == "allow" else "consent_denied")
            return self._decide(pending, allow=decision == "allow")

    def _decide(self, pending: _Pending, *, allow: bool) -> tuple[int, dict[str, str], bytes]:
        """The redirect to the client, with a new code or `access_denied`, and the request's state (lock held)."""
        if allow:
            code = secrets.token_urlsafe(24)
            self._codes[code] = _Grant(self.client_id, pending.redirect_uri, pending.code_challenge)
            query = {"code": code}
        else:
            query = {"error": "access_denied", "error_description": "The user denied access"}
        if pending.state is not None:
            query["state"] = pending.state
        separator = "&" if urlsplit(pending.redirect_uri).query else "?"
        return 302, {"Location": pending.redirect_uri + separator + urlencode(query)}, b""

    def _hold(self) -> None:
        """Holds a token request while `hold_token_requests()` is in force (bounded by `HOLD_LIMIT`)."""
        if not self._release.is_set():
            with self._lock:
                self._bump("held")
            self._release.wait(HOLD_LIMIT)

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != self.client_id or not hmac.compare_digest(
            form.get("client_secret", "").encode(), self.client_secret.encode()
        ):
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        grant = form.get("grant_type")
        with self._lock:
            if grant == "authorization_code":
                self._bump("authorization_code")
                code = self._codes.get(form.get("code", ""))
                if code is None or code.used:
                    return 400, {"error": "invalid_grant", "error_description": "The code is invalid or was used"}
                code.used = True
                if code.redirect_uri != form.get("redirect_uri"):
                    return 400, {"error": "invalid_grant", "error_description": "redirect_uri does not match"}
                if code.code_challenge is not None:
                    verifier = form.get("code_verifier", "")
                    digest = hashlib.sha256(verifier.encode()).digest()
                    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                    if not hmac.compare_digest(expected, code.code_challenge):
                        return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
                refresh = secrets.token_urlsafe(24)
                self._refresh_tokens.add(refresh)
            elif grant == "refresh_token":
                self._bump("refresh_token")
                refresh = form.get("refresh_token", "")
                if refresh not in self._refresh_tokens:
                    return 400, {"error": "invalid_grant", "error_description": "The refresh token is invalid"}
                if self.rotate_refresh_tokens:
                    self._refresh_tokens.discard(refresh)
                    refresh = secrets.token_urlsafe(24)
                    self._refresh_tokens.add(refresh)
            else:
                return 400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"}
            access = secrets.token_urlsafe(24)
            self._access_tokens[access] = time.monotonic() + self.expires_in
            self._issued.append((access, refresh))
        return 200, {"access_token": access, "refresh_token": refresh, "expires_in": self.expires_in}

    def _api(self, authorization: str) -> tuple[int, dict[str, Any]]:
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            self._bump("api")
            if authorization.startswith("api_key="):
                key = authorization.removeprefix("api_key=").encode()
                valid = bool(self.api_key) and hmac.compare_digest(key, self.api_key.encode())
            else:
                expiry = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
                valid = expiry is not None and expiry > time.monotonic()
            if not valid:
                self._bump("api_unauthorized")
        if not valid:
            return 401, {"error": "invalid_token", "error_description": "The access token is expired or unknown"}
        return 200, {"data": [{"id": "c-1", "email": "ada@example.com"}, {"id": "c-2", "email": "alan@example.com"}]}

    def _next_fault(self) -> str | None:
        with self._lock:
            if self._faults:
                self._bump("fault")
                return self._faults.pop(0)
        return None


_HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

_STYLE = """body{font:16px/1.5 system-ui,sans-serif;max-width:30em;margin:4em auto;padding:0 1em;color:#222}
h1{font-size:1.3em}dl{margin:1.5em 0}dt{font-weight:600}dd{margin:0 0 .6em;word-break:break-all;color:#444}
.buttons{display:flex;gap:.8em;margin-top:1.5em}
button{font:inherit;padding:.5em 1.6em;border-radius:6px;border:1px solid #888;background:#fff;cursor:pointer}
button.allow{background:#1a6d3c;border-color:#1a6d3c;color:#fff}"""


def _html(title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>{body}</body></html>\n"
    ).encode()


def _page(status: int, title: str, text: str) -> tuple[int, dict[str, str], bytes]:
    """A small page saying one thing (an error); fixed text, nothing from the request."""
    body = f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    return status, dict(_HTML_HEADERS), _html(f"Retently (embedded): {title}", body)


def _consent_page(client_id: str, pending: _Pending, ticket: str) -> tuple[int, dict[str, str], bytes]:
    """The consent page: who asks, where the answer goes, and Allow / Deny buttons posting the ticket back."""
    rows = [("Application", client_id), ("Access", pending.scope or "your Retently account (all scopes)")]
    rows.append(("Returns to", pending.redirect_uri))
    details = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    body = (
        "<h1>Authorize access to your Retently account?</h1>"
        f"<p><strong>{html.escape(client_id)}</strong> asks to use Retently on your behalf.</p>"
        f"<dl>{details}</dl>"
        '<form method="post" action="/api/oauth/authorize">'
        f'<input type="hidden" name="ticket" value="{html.escape(ticket)}">'
        '<div class="buttons"><button class="allow" type="submit" name="decision" value="allow">Allow</button>'
        '<button class="deny" type="submit" name="decision" value="deny">Deny</button></div></form>'
        "<p><small>Embedded Retently server for tests and demos (retently_oauth.testing).</small></p>"
    )
    return 200, dict(_HTML_HEADERS), _html("Retently (embedded): authorize access", body)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops SYNs of a burst: each dropped one costs its client 1 s

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-request (killed, timed out) is normal here; anything else is reported."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_state: RetentlyServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: requests carry codes and tokens."""

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, doc: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(doc).encode(), {"Content-Type": "application/json", **(headers or {})})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/api/oauth/authorize":
            status, headers, body = self.server_state._authorize(dict(parse_qsl(parts.query)))
            self._send(status, body, headers)
        elif parts.path == "/api/v2/customers":
            status, doc = self.server_state._api(self.headers.get("Authorization", ""))
            self._json(status, doc, {"WWW-Authenticate": "Bearer"} if status == 401 else None)
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        path = urlsplit(self.path).path
        if path == "/api/oauth/authorize":
            status, headers, page = self.server_state._answer(dict(parse_qsl(body.decode("utf-8", "replace"))))
            self._send(status, page, headers)
            return
        if path != "/api/oauth/token":
            self._json(404, {"error": "not_found"})
            return
        self.server_state._hold()
        fault = self.server_state._next_fault()
        if fault is not None and self._fault(fault):
            return
        if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            self._json(400, {"error": "invalid_request", "error_description": "Expected a form-encoded body"})
            return
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        status, doc = self.server_state._token(form)
        self._json(status, doc)

    def _fault(self, fault: str) -> bool:
        """Answers with the fault; False when the request should then be served normally (after `slow`)."""
        if fault == "html_500":
            self._send(500, b"<html><body><h1>Internal Server Error</h1></body></html>", {"Content-Type": "text/html"})
        elif fault == "retry_after_503":
            self._send(503, b"busy", {"Retry-After": "1", "Content-Type": "text/plain"})
        elif fault == "malformed_json":
            self._send(200, b'{"access_token": "trunc', {"Content-Type": "application/json"})
        elif fault == "huge":
            self._send(200, b"[" + b"0," * (1 << 20) + b"0]", {"Content-Type": "application/json"})
        elif fault == "drop":
            self.close_connection = True
            self.connection.close()
        elif fault == "slow":
            time.sleep(self.server_state.slow_seconds)
            return False
        return True


def retently_server_fixture() -> Iterator[RetentlyServer]:
    """Body of the `retently_server` pytest fixture (registered by `retently_oauth.pytest_plugin`)."""
    with RetentlyServer() as server:
        yield server
