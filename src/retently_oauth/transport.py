"""HTTP for the token endpoint and the API: one shared urllib3 PoolManager, bounded retries, a total deadline.

Configuration is a small immutable `TransportConfig`; every failure becomes one of our exceptions. A call to
`Transport.request` takes at most `total_timeout` seconds from connect to the last byte, retries and their waits
included. It is retried only when the request provably was not processed: the connection could not be made, or
the server answered 429 or 503 (honouring `Retry-After`, capped, within the deadline); never after a timeout, a
dropped connection or a 502/504, since the server may have spent a code or rotated a refresh token.
"""

from __future__ import annotations

import email.utils
import logging
import math
import os
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import attrs
import urllib3
from retently_oauth_models._runtime import secret_repr
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util import Retry, Timeout, make_headers, parse_url

from .deadline import Deadline, check_total_timeout
from .endpoints import checked_url
from .exceptions import ArgumentError, ResponseFormatError, TransportError
from .headers import check_headers
from .proxies import ProxySettings, check_proxy_url
from .watchdog import BOUNDED_POOL_CLASSES, bound, current_deadline, disarm_current, enter_deadline, leave_deadline

log = logging.getLogger("retently_oauth.transport")

RETRY_STATUSES = frozenset({429, 503})
"""Answers that say the request was not processed: worth sending again. 502/504 are not: a gateway may have
passed the request on before giving up."""
USER_AGENT = "retently-oauth/0.1"
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
_NO_RETRY = Retry(False, redirect=False)
"""urllib3 neither retries nor follows redirects: `Transport.request` decides (built once: it is immutable)."""


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value <= 0:
        raise ArgumentError(f"TransportConfig.{attribute.name} must be a positive number of seconds")


def _non_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
        raise ArgumentError(f"TransportConfig.{attribute.name} must be a number >= 0")


def _check_total(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    check_total_timeout(value, f"TransportConfig.{attribute.name}")


def _check_retries(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ArgumentError(f"TransportConfig.{attribute.name} must be an integer from 0 to 100")


def _check_size(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"TransportConfig.{attribute.name} must be a positive integer")


def _check_proxy(_: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None:
        check_proxy_url(value, f"TransportConfig.{attribute.name}")


def _check_ca(_: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise ArgumentError(f"TransportConfig.{attribute.name} must be a path")


@attrs.frozen
class TransportConfig:
    """How patient the transport is, and how it reaches the network. The defaults suit an OAuth token endpoint."""

    connect_timeout: float = attrs.field(default=5.0, validator=_positive)
    """Seconds to establish a connection (name resolution included, within `total_timeout`)."""
    read_timeout: float = attrs.field(default=30.0, validator=_positive)
    """Seconds one read from the socket may wait."""
    total_timeout: float = attrs.field(default=60.0, validator=_check_total)
    """The most one `Transport.request` may take, from connect to the last byte, retries and waits included;
    past it, TransportError. `math.inf` for no limit."""
    retries: int = attrs.field(default=3, validator=_check_retries)
    """Retries after the first try, only where the request was not processed: no connection, 429 or 503."""
    backoff_factor: float = attrs.field(default=0.25, validator=_non_negative)
    backoff_jitter: float = attrs.field(default=0.25, validator=_non_negative)
    backoff_max: float = attrs.field(default=10.0, validator=_non_negative)
    retry_after_max: float = attrs.field(default=30.0, validator=_non_negative)
    """A `Retry-After` longer than this is cut to it (and any wait to the time left)."""
    max_response_bytes: int = attrs.field(default=1 << 20, validator=_check_size)
    """The largest (decoded) body accepted; a larger one is a ResponseFormatError."""
    proxy_url: str | None = attrs.field(default=None, repr=secret_repr, validator=_check_proxy)
    """A proxy for every request (`http://[user:password@]host:port`); overrides the environment."""
    trust_env: bool = True
    """Read `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` and `REQUESTS_CA_BUNDLE`/`SSL_CERT_FILE` (when
    the Transport is made), as requests and curl do."""
    ca_certs: str | None = attrs.field(default=None, validator=_check_ca)
    """A CA bundle file (or directory) to verify servers with, instead of the system's."""

    def timeout(self) -> Timeout:
        return Timeout(connect=self.connect_timeout, read=self.read_timeout)

    def deadline(self) -> Deadline:
        """A fresh deadline of `total_timeout` from now."""
        return Deadline.after(self.total_timeout)


@attrs.frozen
class Response:
    """A complete response: status, headers (looked up case-insensitively) and the body, at most the size cap."""

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


_TOKENISH = re.compile(r"[A-Za-z0-9._~+/=-]{12,}")


def excerpt(body: bytes, limit: int = 120) -> str:
    """A short, printable start of a body with anything token-like masked, for error messages."""
    text = body[: limit * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    text = _TOKENISH.sub("***", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value (delta-seconds or HTTP-date), or None if it is not one.

    Never raises: 5000 digits, a negative number, a date in the year 9999 or garbage give a number or None. The
    result is not capped here (see `TransportConfig.retry_after_max`).
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return math.inf if len(value) > 12 else float(int(value))
    if not value or len(value) > 64:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    try:
        delta = (when - datetime.fromtimestamp(time.time() if now is None else now, timezone.utc)).total_seconds()
    except (OverflowError, ValueError):
        return None
    return max(0.0, delta)


class Transport:
    """Sends requests through one PoolManager (keep-alive, TLS verified) with the config's timeouts and retries.

    Proxies and the CA bundle are decided here, once: `config.proxy_url`, else (with `trust_env`) the environment.
    `pool` is the direct pool; `pool_for(url)` is the one a URL goes through (a proxy's, or `pool`).
    """

    def __init__(
        self,
        config: TransportConfig | None = None,
        *,
        pool: urllib3.PoolManager | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config or TransportConfig()
        environ = os.environ if environ is None else environ
        self._pool_kw = self._tls_options(environ)
        if pool is None:
            pool = bound(urllib3.PoolManager(num_pools=8, maxsize=8, **self._pool_kw))
        elif pool.pool_classes_by_scheme == urllib3.poolmanager.pool_classes_by_scheme and not pool.pools:
            bound(pool)  # a caller's fresh pool keeps deadlines too (outside a request nothing changes)
        self.pool = pool
        self._bounded = all(cls in BOUNDED_POOL_CLASSES.values() for cls in pool.pool_classes_by_scheme.values())
        """Whether the watchdog guards this pool's reads; if not, bodies are read in chunks, checked between."""
        self._timeout = self.config.timeout()
        self._base_headers = {"User-Agent": USER_AGENT}
        if self.config.proxy_url is not None:
            self.proxies: ProxySettings | None = ProxySettings.explicit(self.config.proxy_url)
        elif self.config.trust_env:
            self.proxies = ProxySettings.from_environ(environ)
        else:
            self.proxies = None
        self._proxy_pools: dict[str, urllib3.PoolManager] = {}
        self._proxy_lock = threading.Lock()
        self._route: dict[tuple[str, str, int | None], urllib3.PoolManager] = {}

    def __repr__(self) -> str:
        return f"Transport(config={self.config!r}, proxies={self.proxies!r})"

    def _tls_options(self, environ: Mapping[str, str]) -> dict[str, Any]:
        path = self.config.ca_certs
        source = "TransportConfig.ca_certs"
        if path is None and self.config.trust_env:
            for name in CA_BUNDLE_VARIABLES:
                if environ.get(name):
                    path, source = environ[name], f"the {name} environment variable"
                    break
        if path is None:
            return {}
        if os.path.isdir(path):
            return {"ca_cert_dir": path}
        if not os.path.isfile(path):
            raise ArgumentError(f"{source} names no CA bundle file or directory: {path!r}")
        return {"ca_certs": path}

    def pool_for(self, url: str) -> urllib3.PoolManager:
        """The pool a request to `url` goes through: a ProxyManager if a proxy applies, else `pool`."""
        if self.proxies is None:
            return self.pool
        parts = parse_url(url)
        key = (parts.scheme or "", (parts.host or "").lower(), parts.port)
        pool = self._route.get(key)
        if pool is None:
            proxy = self.proxies.proxy_for(key[0], key[1], key[2])
            pool = self.pool if proxy is None else self._proxy_pool(proxy)
            if len(self._route) >= 1024:  # a client talking to endless hosts: forget, do not grow
                self._route.clear()
            self._route[key] = pool
        return pool

    def _proxy_pool(self, proxy: str) -> urllib3.PoolManager:
        with self._proxy_lock:
            pool = self._proxy_pools.get(proxy)
            if pool is None:
                parts = parse_url(proxy)
                headers = make_headers(proxy_basic_auth=parts.auth) if parts.auth else None
                bare = parts._replace(auth=None).url
                pool = urllib3.ProxyManager(bare, num_pools=8, maxsize=8, proxy_headers=headers, **self._pool_kw)
                self._proxy_pools[proxy] = pool = bound(pool)
        return pool

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        deadline: Deadline | None = None,
    ) -> Response:
        """One request, retried as the module docstring says, within `deadline` (default: `total_timeout` from
        now, or the enclosing `watchdog.deadline_scope`'s deadline if that ends sooner).

        Raises TransportError (no complete response in time) or ResponseFormatError (over the size cap).
        """
        checked_url(url)
        if headers:
            check_headers(headers)
            all_headers = {**self._base_headers, **headers}
        else:
            all_headers = dict(self._base_headers)
        started = time.perf_counter()
        where = url.split("?", 1)[0]
        if deadline is None:
            deadline = self.config.deadline()
            outer = current_deadline()  # inside AuthorizedHTTP's call, say: whichever ends first
            if outer is not None and outer.at < deadline.at:
                deadline = outer
        what = f"{method} {where}"
        pool = self.pool_for(url)
        attempt = 0
        previous = enter_deadline(deadline)
        try:
            while True:
                deadline.check(what)
                try:
                    raw = pool.urlopen(
                        method,
                        url,
                        body=body,
                        headers=all_headers,
                        timeout=deadline.timeout_for(self._timeout),
                        retries=_NO_RETRY,
                        redirect=False,
                        preload_content=False,
                    )
                except (HTTPError, OSError, ValueError) as exc:
                    if deadline.expired():
                        raise deadline.error(what) from None
                    wait = self._backoff(attempt)
                    if attempt < self.config.retries and _not_sent(exc) and wait < deadline.remaining():
                        log.debug("%s: %s; retrying in %.2f s", what, failure_reason(exc), wait)
                        time.sleep(wait)
                        attempt += 1
                        continue
                    raise TransportError(f"{what} failed: {failure_reason(exc)}") from None
                if raw.status in RETRY_STATUSES and attempt < self.config.retries:
                    wait = self._retry_wait(raw, attempt)
                    if wait < deadline.remaining():
                        _discard(raw)
                        disarm_current()
                        log.debug("%s -> %d; retrying in %.2f s", what, raw.status, wait)
                        time.sleep(wait)
                        attempt += 1
                        continue
                data = self._read(raw, what, deadline)
                break
        finally:
            leave_deadline(previous)
        log.debug("%s -> %d (%d bytes, %.1f ms)", what, raw.status, len(data), 1e3 * (time.perf_counter() - started))
        return Response(status=raw.status, headers=raw.headers, body=data)

    def _backoff(self, attempt: int) -> float:
        config = self.config
        wait = config.backoff_factor * (2.0 ** min(attempt, 32))
        if config.backoff_jitter:
            wait += random.uniform(0, config.backoff_jitter)  # noqa: S311 (jitter, not a secret)
        return min(wait, config.backoff_max)

    def _retry_wait(self, raw: urllib3.BaseHTTPResponse, attempt: int) -> float:
        seconds = parse_retry_after(raw.headers.get("retry-after"))
        if seconds is None:
            return self._backoff(attempt)
        return min(seconds, self.config.retry_after_max)

    def _read(self, raw: urllib3.BaseHTTPResponse, what: str, deadline: Deadline) -> bytes:
        try:
            data = self._read_capped(raw, deadline)
        except (HTTPError, OSError, ValueError) as exc:
            raw.close()
            if deadline.expired():
                raise deadline.error(what) from None
            raise TransportError(f"{what} failed while reading the response: {failure_reason(exc)}") from None
        if len(data) > self.config.max_response_bytes:
            raw.close()
            raise ResponseFormatError(
                f"{what}: response larger than {self.config.max_response_bytes} bytes", status=raw.status
            )
        disarm_current()
        raw.release_conn()
        return data

    def _read_capped(self, raw: urllib3.BaseHTTPResponse, deadline: Deadline) -> bytes:
        """At most the cap plus one byte of the decoded body, so an oversized body is detected, never buffered.

        A plain body whose Content-Length is within the cap is read in one call (urllib3's fast path; the
        watchdog bounds it in time); anything else (chunked, compressed, declared too large) is read in chunks,
        the deadline checked between them.
        """
        cap = self.config.max_response_bytes
        length = raw.headers.get("content-length")
        if (
            self._bounded
            and length is not None
            and length.isdigit()
            and int(length) <= cap
            and "content-encoding" not in raw.headers
        ):
            return raw.read()
        connection = getattr(raw, "connection", None)
        sock = getattr(connection, "sock", None) if not self._bounded else None
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            if deadline.expired():
                raise TimeoutError("total timeout")
            if isinstance(sock, socket.socket):  # no watchdog: no single read may outlast the deadline either
                sock.settimeout(deadline.cap(self.config.read_timeout))
            chunk = raw.read1(min(64 * 1024, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)


def _discard(response: urllib3.BaseHTTPResponse) -> None:
    """Frees the connection of a response nobody will read (a 503 before the retry)."""
    try:
        response.drain_conn()
    except (HTTPError, OSError):
        response.close()
        return
    response.release_conn()


def _causes(exc: BaseException | None) -> list[BaseException]:
    """`exc`, what it wraps (urllib3 keeps the cause in `reason` or in `args`), its causes and contexts; bounded."""
    seen: list[BaseException] = []
    pending: list[object] = [exc]
    while pending and len(seen) < 16:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is s for s in seen):
            continue
        seen.append(current)
        pending.append(getattr(current, "reason", None))
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        pending.append(current.__cause__)
        pending.append(current.__context__)
    return seen


def _not_sent(exc: BaseException) -> bool:
    """True if the request provably never reached the server: no connection was made (TLS failures excluded:
    trying again cannot help)."""
    causes = _causes(exc)
    if any(isinstance(c, (SSLError, ssl.SSLError)) for c in causes):
        return False
    return any(isinstance(c, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError)) for c in causes)


_TUNNEL_STATUS = re.compile(r"Tunnel connection failed: (\d{3})\b")
"""http.client's words for a CONNECT answered with an error; only the status is repeated."""

_VERIFY_CODES = {
    9: "the server's certificate is not yet valid",
    10: "the server's certificate has expired",
    18: "the server's certificate is self-signed and not trusted",
    19: "the server's certificate chain ends in an untrusted self-signed root",
    20: "the server's certificate has an unknown issuer (missing CA? see ca_certs / SSL_CERT_FILE)",
    21: "the server's certificate cannot be verified (unknown issuer)",
    62: "the server's certificate does not match its host name",
    64: "the server's certificate does not match its IP address",
}


def _tls_reason(causes: list[BaseException]) -> str:
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            code = getattr(cause, "verify_code", None)
            if code in _VERIFY_CODES:
                return f"TLS certificate verification failed: {_VERIFY_CODES[code]}"
            message = getattr(cause, "verify_message", None)
            return "TLS certificate verification failed" + (f": {message}" if isinstance(message, str) else "")
    for cause in causes:
        if type(cause).__name__ == "CertificateError":  # urllib3's own host name check
            return f"TLS certificate verification failed: {_VERIFY_CODES[62]}"
    for cause in causes:
        reason = getattr(cause, "reason", None)
        if isinstance(cause, ssl.SSLError) and isinstance(reason, str) and reason.isupper():
            return f"TLS handshake failed ({reason.lower().replace('_', ' ')})"
    return "TLS handshake failed"


def failure_reason(exc: BaseException | None) -> str:
    """What went wrong, in words that carry no request content (never a lower layer's message, which may hold a
    URL, a header or a body: only the kind of failure, and for TLS the certificate problem)."""
    if exc is None:
        return "unknown error"
    causes = _causes(exc)
    if any(isinstance(c, (SSLError, ssl.SSLError)) for c in causes):
        return _tls_reason(causes)
    proxy = "proxy: " if isinstance(exc, ProxyError) else ""
    for cause in causes:
        if isinstance(cause, (NameResolutionError, socket.gaierror)):
            return proxy + "host name not resolved"
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return proxy + "connection refused"
    for cause in causes:
        if isinstance(cause, NewConnectionError):
            return proxy + ("connection refused" if "refused" in str(cause).lower() else "could not connect")
    for cause in causes:
        if isinstance(cause, (Urllib3Timeout, TimeoutError, socket.timeout)):
            return proxy + "timed out"
    if any(isinstance(c, (ProtocolError, ConnectionError)) for c in causes):
        return proxy + "connection dropped"
    if isinstance(exc, LocationValueError):
        return "invalid URL"
    if isinstance(exc, ProxyError):
        for cause in causes:
            tunnel = _TUNNEL_STATUS.match(str(cause)) if type(cause) is OSError else None
            if tunnel is not None:
                status = int(tunnel.group(1))
                what = "proxy authentication required" if status == 407 else "the proxy refused the tunnel"
                return f"{what} (HTTP {status})"
        return "proxy error"
    return type(exc).__name__
