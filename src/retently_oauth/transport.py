"""HTTP for the token endpoint and the API: one shared urllib3 PoolManager, bounded retries, timeouts, a size cap.

Configuration is a small immutable `TransportConfig`; every failure becomes one of our exceptions.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from typing import Any

import attrs
import urllib3
from urllib3.exceptions import (
    HTTPError,
    LocationValueError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util import Retry, Timeout

from .endpoints import checked_url
from .exceptions import ResponseFormatError, TransportError

log = logging.getLogger("retently_oauth.transport")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
USER_AGENT = "retently-oauth/0.1"


@attrs.frozen
class TransportConfig:
    """How patient the transport is. The defaults suit an OAuth token endpoint."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 3
    """Retries after the first try, on connection failures and on 429/502/503/504."""
    backoff_factor: float = 0.25
    backoff_jitter: float = 0.25
    backoff_max: float = 10.0
    retry_after_max: float = 30.0
    """A `Retry-After` longer than this is cut to it."""
    max_response_bytes: int = 1 << 20

    def timeout(self) -> Timeout:
        return Timeout(connect=self.connect_timeout, read=self.read_timeout)

    def retry(self) -> Retry:
        return _CappedRetry(
            total=self.retries,
            connect=self.retries,
            read=0,  # a request that reached the server is not replayed: a code or refresh token may be spent
            status=self.retries,
            other=0,
            redirect=0,
            allowed_methods=None,
            status_forcelist=RETRY_STATUSES,
            backoff_factor=self.backoff_factor,
            backoff_jitter=self.backoff_jitter,
            backoff_max=self.backoff_max,
            respect_retry_after_header=True,
            raise_on_status=False,
            raise_on_redirect=False,
            retry_after_cap=self.retry_after_max,
        )


class _CappedRetry(Retry):
    """urllib3's Retry with `Retry-After` capped (older urllib3 2.x releases have no cap of their own)."""

    def __init__(self, *args: Any, retry_after_cap: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after_cap = retry_after_cap

    def new(self, **kw: Any) -> _CappedRetry:
        kw.setdefault("retry_after_cap", self.retry_after_cap)
        return super().new(**kw)

    def get_retry_after(self, response: urllib3.BaseHTTPResponse) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.retry_after_cap)


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


class Transport:
    """Sends requests through one PoolManager (keep-alive, TLS verified) with the config's timeouts and retries."""

    def __init__(self, config: TransportConfig | None = None, *, pool: urllib3.PoolManager | None = None) -> None:
        self.config = config or TransportConfig()
        self.pool = pool or urllib3.PoolManager(num_pools=8, maxsize=8)
        self._timeout = self.config.timeout()
        self._retry = self.config.retry()
        self._base_headers = {"User-Agent": USER_AGENT}

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        """One request, retried as the config says; raises TransportError or ResponseFormatError (size)."""
        checked_url(url)
        all_headers = {**self._base_headers, **headers} if headers else dict(self._base_headers)
        started = time.perf_counter()
        where = url.split("?", 1)[0]
        try:
            raw = self.pool.request(
                method,
                url,
                body=body,
                headers=all_headers,
                timeout=self._timeout,
                retries=self._retry,
                redirect=False,
                preload_content=False,
            )
        except MaxRetryError as exc:
            raise TransportError(f"{method} {where} failed: {failure_reason(exc.reason)}") from None
        except (Urllib3Timeout, ProtocolError, SSLError, LocationValueError, HTTPError) as exc:
            raise TransportError(f"{method} {where} failed: {failure_reason(exc)}") from None
        try:
            data = self._read_capped(raw)
        except (Urllib3Timeout, ProtocolError, HTTPError, OSError) as exc:
            raw.close()
            raise TransportError(f"{method} {where} failed while reading the response: {failure_reason(exc)}") from None
        if len(data) > self.config.max_response_bytes:
            raw.close()
            raise ResponseFormatError(
                f"{method} {where}: response larger than {self.config.max_response_bytes} bytes", status=raw.status
            )
        raw.release_conn()
        log.debug(
            "%s %s -> %d (%d bytes, %.1f ms)",
            method,
            where,
            raw.status,
            len(data),
            1e3 * (time.perf_counter() - started),
        )
        return Response(status=raw.status, headers=raw.headers, body=data)

    def _read_capped(self, raw: urllib3.BaseHTTPResponse) -> bytes:
        """At most the cap plus one byte of the decoded body, so an oversized body is detected, never buffered.

        A plain body whose Content-Length is within the cap is read in one call (urllib3's fast path); anything else
        (chunked, compressed, or declared too large) goes through the bounded read.
        """
        cap = self.config.max_response_bytes
        length = raw.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) <= cap and "content-encoding" not in raw.headers:
            return raw.read()
        return raw.read(cap + 1)


def failure_reason(exc: BaseException | None) -> str:
    """What went wrong, in words that carry no request content."""
    if exc is None:
        return "unknown error"
    if isinstance(exc, NewConnectionError):  # before timeouts: urllib3 makes it a ConnectTimeoutError subclass
        return "connection refused" if "refused" in str(exc).lower() else "could not connect"
    if isinstance(exc, NameResolutionError):
        return "host name not resolved"
    if isinstance(exc, Urllib3Timeout) or "timed out" in str(exc).lower():
        return "timed out"
    if isinstance(exc, SSLError):
        return "TLS error"
    if isinstance(exc, ProtocolError):
        return "connection dropped"
    if isinstance(exc, MaxRetryError):
        return failure_reason(exc.reason)
    return type(exc).__name__
