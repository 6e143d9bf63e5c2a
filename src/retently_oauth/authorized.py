"""Authorized API requests: what a downstream SDK holds instead of a bare PoolManager.

`AuthorizedHTTP` adds the `Authorization` header its authorizer gives (`Bearer <token>` from a `TokenManager`,
`api_key=<key>` from `ApiKeyAuth`). On a 401 it asks the authorizer once for a new header and retries once; a
second 401 goes back to the caller.

Each call is bounded: it ends within `total_timeout` (connects, retries, the refresh after a 401 and every read
included) or raises `TransportError`; its body, decoded, is at most `max_response_bytes` or it raises
`ResponseFormatError`. The header goes only to the origin of `base_url` (or of the URL asked for): redirects are
not followed unless the caller opts in, and then only within that origin.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urljoin

import attrs
import urllib3
from retently_oauth_models._runtime import secret_repr
from urllib3.exceptions import HTTPError, InvalidHeader
from urllib3.util import Retry, Timeout, parse_url

from .deadline import Deadline, check_total_timeout
from .endpoints import Endpoints, check_url, checked_url
from .exceptions import ArgumentError, ResponseFormatError, TransportError
from .headers import check_header_name, check_header_value
from .manager import DEFAULT_LEEWAY, OAuthCredentials, RefreshHook, TokenManager
from .models import SourceRetently, SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken
from .store import CredentialStore
from .transport import Transport, TransportConfig, failure_reason
from .watchdog import BOUNDED_POOL_CLASSES, bound, deadline_scope, disarm_current

DEFAULT_TOTAL_TIMEOUT = 60.0
"""Seconds one call may take, when neither the argument nor the transport's config says."""
DEFAULT_MAX_RESPONSE_BYTES = 32 << 20
"""The decoded body size cap of an API response (token responses have the transport's own, smaller cap)."""
MAX_REDIRECTS = 10
"""Same-origin redirects followed in one call (with `follow_redirects=True`) before giving up."""
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_CHUNK = 64 * 1024


class Authorizer(Protocol):
    """Where the `Authorization` header comes from."""

    def authorization(self) -> str:
        """The header value for the next request (cheap: called on every request)."""
        ...

    def reauthorize(self, rejected_authorization: str) -> str | None:
        """After a 401 for `rejected_authorization`: a header value to retry with, or None to give up."""
        ...


# An authorizer may also have `cached_authorization() -> str | None`: the header value when getting it would not
# block, else None. The async httpx adapter calls it on the event loop, and `authorization()` in a worker thread
# only when it returns None (or is missing). `TokenManager` and `ApiKeyAuth` have it.


@attrs.frozen
class ApiKeyAuth:
    """Retently's API-token credentials, sent as `Authorization: api_key=<key>`; nothing to refresh.

    A key with a line break or another control character (as read from a file with its newline) is refused here,
    without repeating it."""

    api_key: str = attrs.field(repr=secret_repr)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.api_key, str) or not self.api_key:
            raise ArgumentError("api_key must be a non-empty string")
        check_header_value(self.api_key, "api_key")

    @classmethod
    def from_credentials(
        cls, credentials: SourceRetently | SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken
    ) -> ApiKeyAuth:
        document = credentials.credentials if isinstance(credentials, SourceRetently) else credentials
        if not isinstance(document, SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken):
            raise ArgumentError(f"{type(document).__name__} is not API-token credentials")
        return cls(document.api_key)

    def authorization(self) -> str:
        return f"api_key={self.api_key}"

    def cached_authorization(self) -> str:
        return f"api_key={self.api_key}"

    def reauthorize(self, rejected_authorization: str) -> str | None:
        return None


class AuthorizedHTTP:
    """urllib3 requests with credentials attached, a refresh and one retry on 401, and our typed errors.

    - Plain `http://` is refused except to loopback hosts: the header is a credential. `base_url` lets callers pass
      paths (`"/api/v2/customers"`); with it, an absolute URL to another origin (scheme, host, port) is an
      `ArgumentError`, so the header never leaves `base_url`'s origin.
    - Redirects are returned to the caller, not followed. With `follow_redirects=True`, those within the same
      origin are followed (at most `MAX_REDIRECTS`); one to another origin is still returned unfollowed.
    - `total_timeout` (default: the transport config's, else 60 s) bounds a whole call: connects, urllib3's
      retries, the refresh and retry after a 401, every read. Past it, `TransportError`.
    - The body is read and decoded here (gzip and deflate; another `Content-Encoding` is a
      `ResponseFormatError` unless `decode_content=False`), at most `max_response_bytes` of it (default 32 MiB),
      in bounded steps whatever the urllib3 version: a decompression bomb is a `ResponseFormatError`, never a
      gigabyte in memory. The response handed back holds the decoded body (its `Content-Encoding` header removed
      and `Content-Length` set to match); with `preload_content=False` it is read from memory.
    - Header names and values (the `Authorization` value included) are checked before sending; a bad one is an
      `ArgumentError` that never repeats the value.

    Extra keyword arguments go to `PoolManager.request` (`timeout`, `retries`, `fields`...). Requests go through
    a `Transport`'s pools (`transport`, else a `TokenManager`'s, so API calls and refreshes share keep-alive
    connections, else a new one): its proxies and CA bundle apply. A `pool` given instead is used as it is,
    made to keep deadlines (`watchdog.bound`; outside a call that changes nothing).
    """

    def __init__(
        self,
        auth: Authorizer,
        *,
        base_url: str | None = None,
        pool: urllib3.PoolManager | None = None,
        config: TransportConfig | None = None,
        transport: Transport | None = None,
        total_timeout: float | None = None,
        max_response_bytes: int | None = None,
        follow_redirects: bool = False,
    ) -> None:
        if not callable(getattr(auth, "authorization", None)) or not callable(getattr(auth, "reauthorize", None)):
            raise ArgumentError(f"auth must provide authorization() and reauthorize(), got {type(auth).__name__}")
        self._origin: tuple[str, str, int] | None = None
        if base_url is not None:
            check_url(base_url, "base_url")
            self._origin = _origin(base_url)
        if not isinstance(follow_redirects, bool):
            raise ArgumentError("follow_redirects must be True or False")
        self.auth = auth
        self.base_url = base_url
        self.follow_redirects = follow_redirects
        if transport is None and isinstance(auth, TokenManager):
            transport = auth.client.transport
        chosen = config or (transport.config if transport is not None else TransportConfig())
        if total_timeout is None:
            total_timeout = getattr(chosen, "total_timeout", DEFAULT_TOTAL_TIMEOUT)
        self.total_timeout = check_total_timeout(total_timeout)
        if max_response_bytes is None:
            max_response_bytes = config.max_response_bytes if config is not None else DEFAULT_MAX_RESPONSE_BYTES
        if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int) or max_response_bytes < 1:
            raise ArgumentError("max_response_bytes must be a positive integer")
        self.max_response_bytes = max_response_bytes
        if pool is not None:  # the caller's pool, as it is: no proxy routing
            self._transport: Transport | None = None
            self.pool = pool
            if pool.pool_classes_by_scheme != BOUNDED_POOL_CLASSES:
                bound(pool)
        else:  # a transport's pools: proxies from its config or the environment, its CA bundle
            self._transport = transport if transport is not None else Transport(chosen)
            self.pool = self._transport.pool
        self._timeout = chosen.timeout()

    def __repr__(self) -> str:
        return f"AuthorizedHTTP(auth={self.auth!r}, base_url={self.base_url!r})"

    @classmethod
    def from_credentials(
        cls,
        credentials: OAuthCredentials | SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken,
        *,
        base_url: str | None = None,
        store: CredentialStore | None = None,
        endpoints: Endpoints | None = None,
        transport: Transport | None = None,
        leeway: float = DEFAULT_LEEWAY,
        on_refresh: RefreshHook | None = None,
        total_timeout: float | None = None,
        max_response_bytes: int | None = None,
        follow_redirects: bool = False,
    ) -> AuthorizedHTTP:
        """The right authorizer for any credentials document: API token or OAuth (see `TokenManager`)."""
        document = credentials.credentials if isinstance(credentials, SourceRetently) else credentials
        auth: Authorizer
        if isinstance(document, SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken):
            auth = ApiKeyAuth.from_credentials(document)
        else:
            auth = TokenManager.from_credentials(
                document, store=store, endpoints=endpoints, transport=transport, leeway=leeway, on_refresh=on_refresh
            )
        return cls(
            auth,
            base_url=base_url,
            transport=transport,
            total_timeout=total_timeout,
            max_response_bytes=max_response_bytes,
            follow_redirects=follow_redirects,
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        fields: Mapping[str, Any] | None = None,
        json: Any = None,
        **kwargs: Any,
    ) -> urllib3.BaseHTTPResponse:
        """One request; on a 401, one new authorization and one retry.

        Raises TransportError when there is no response within the total timeout, ResponseFormatError for a body
        over the cap or one that cannot be decoded, ArgumentError for bad arguments."""
        if not isinstance(method, str) or not method:
            raise ArgumentError("method must be a non-empty string")
        if not isinstance(url, str):
            raise ArgumentError(f"url must be a string, got {type(url).__name__}")
        if body is not None and not isinstance(body, (bytes, str)):
            raise ArgumentError("body must be bytes or str (a stream could not be sent again after a 401)")
        if "redirect" in kwargs:
            raise ArgumentError("redirect= is not taken: AuthorizedHTTP(follow_redirects=True) follows same-origin")
        full_url = self._resolve(url)
        plain_headers = _checked_headers(headers)
        call = _Call(
            method=method,
            url=full_url,
            headers=plain_headers,
            body=body,
            fields=fields,
            json=json,
            preload=bool(kwargs.pop("preload_content", True)),
            decode=bool(kwargs.pop("decode_content", True)),
            timeout=_as_timeout(kwargs.pop("timeout", self._timeout)),
            retries=kwargs.pop("retries", None),
            kwargs=kwargs,
            deadline=Deadline.after(self.total_timeout),
        )
        with deadline_scope(call.deadline):
            try:  # may refresh: through the shared pool, so its socket must not stay armed with this deadline
                authorization = self.auth.authorization()
            finally:
                disarm_current()
            response = self._exchange(call, authorization)
            if response.status != 401:
                return response
            try:
                retry_with = self.auth.reauthorize(authorization)
            finally:
                disarm_current()
            if retry_with is None:
                return response
            call.deadline.check(f"{method} {call.where}")
            return self._exchange(call, retry_with)

    def get(self, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        return self.request("POST", url, **kwargs)

    # internals ------------------------------------------------------------------------------------------------

    def _resolve(self, url: str) -> str:
        """The absolute URL, checked, and on `base_url`'s origin when there is one."""
        full_url = checked_url(urljoin(self.base_url, url) if self.base_url else url)
        if self._origin is not None and _origin(full_url) != self._origin:
            raise ArgumentError(
                "url is on another origin (scheme, host, port) than base_url: credentials go only to base_url's"
            )
        return full_url

    def _exchange(self, call: _Call, authorization: str) -> urllib3.BaseHTTPResponse:
        """Send, follow same-origin redirects when asked to, read the body: the response handed back."""
        check_header_value(authorization, f"the Authorization header from {type(self.auth).__name__}")
        method, url, body, fields, json = call.method, call.url, call.body, call.fields, call.json
        for _ in range(MAX_REDIRECTS + 1):
            raw = self._send(call, method, url, authorization, body=body, fields=fields, json=json)
            target = self._redirect_target(raw, url)
            if target is None:
                return self._complete(call, raw, method, url)
            self._read_body(call, raw, method, url, decode=False)  # drained, bounded, to free the connection
            if raw.status == 303 or (raw.status in (301, 302) and method == "POST"):
                method, body, fields, json = "GET", None, None, None
            url = target
        raise TransportError(f"{call.method} {call.where} failed: more than {MAX_REDIRECTS} redirects")

    def _redirect_target(self, raw: urllib3.BaseHTTPResponse, url: str) -> str | None:
        """Where to go next: only with `follow_redirects`, and only to a checked URL on the same origin."""
        if not self.follow_redirects or raw.status not in REDIRECT_STATUSES:
            return None
        location = raw.headers.get("location")
        if not location:
            return None
        try:
            target = checked_url(urljoin(url, location))
            same = _origin(target) == _origin(url)
        except ArgumentError:
            return None
        return target if same else None

    def _send(
        self,
        call: _Call,
        method: str,
        url: str,
        authorization: str,
        *,
        body: bytes | str | None,
        fields: Mapping[str, Any] | None,
        json: Any,
    ) -> urllib3.BaseHTTPResponse:
        all_headers = {**call.headers, "Authorization": authorization}
        pool = self._transport.pool_for(url) if self._transport is not None else self.pool
        try:
            return pool.request(
                method,
                url,
                headers=all_headers,
                body=body,
                fields=fields,
                json=json,
                timeout=_DeadlineTimeout(call.timeout, call.deadline),
                retries=_DeadlineRetry.adopt(call.retries, call.deadline),
                redirect=False,
                preload_content=False,
                decode_content=False,
                **call.kwargs,
            )
        except HTTPError as exc:
            if call.deadline.expired():
                raise call.deadline.error(f"{method} {call.where}") from None
            raise TransportError(f"{method} {call.where} failed: {failure_reason(exc)}") from None
        except (TypeError, ValueError) as exc:  # urllib3's complaints about the arguments; its text may hold them
            raise ArgumentError(
                f"{method} {call.where}: the request arguments were refused ({type(exc).__name__}): check "
                "body, fields, json and the extra keyword arguments"
            ) from None

    def _complete(self, call: _Call, raw: urllib3.BaseHTTPResponse, method: str, url: str) -> urllib3.BaseHTTPResponse:
        data = self._read_body(call, raw, method, url, decode=call.decode)
        headers = raw.headers.copy()
        if call.decode and "content-encoding" in headers:
            del headers["content-encoding"]
            headers["Content-Length"] = str(len(data))
        return urllib3.HTTPResponse(
            body=io.BytesIO(data),
            headers=headers,
            status=raw.status,
            version=raw.version,
            reason=raw.reason,
            preload_content=call.preload,
            decode_content=False,
            request_method=method,
            request_url=url,
            retries=raw.retries,
        )

    def _read_body(self, call: _Call, raw: urllib3.BaseHTTPResponse, method: str, url: str, *, decode: bool) -> bytes:
        """The whole body, decoded if asked, at most the cap, in bounded reads; the connection released after."""
        where = f"{method} {url.split('?', 1)[0]}"
        cap = self.max_response_bytes
        released = False
        try:
            decoder = _Decoder(raw.headers.get("content-encoding", "") if decode else "", cap, where, raw.status)
            while True:
                call.deadline.check(where)
                chunk = raw.read(_CHUNK, decode_content=False)
                if not chunk:
                    break
                decoder.feed(chunk)
            decoder.finish()
            disarm_current()
            raw.release_conn()
            released = True
            return decoder.body()
        except HTTPError as exc:
            if call.deadline.expired():
                raise call.deadline.error(where) from None
            raise TransportError(f"{where} failed while reading the response: {failure_reason(exc)}") from None
        except OSError as exc:
            if call.deadline.expired():
                raise call.deadline.error(where) from None
            raise TransportError(f"{where} failed while reading the response: {failure_reason(exc)}") from None
        finally:
            if not released:
                disarm_current()
                raw.close()


@attrs.define(slots=True)
class _Call:
    """What one `request` needs throughout its hops and its retry."""

    method: str
    url: str
    headers: dict[str, str] = attrs.field(repr=False)
    body: bytes | str | None = attrs.field(repr=False)
    fields: Mapping[str, Any] | None = attrs.field(repr=False)
    json: Any = attrs.field(repr=False)
    preload: bool
    decode: bool
    timeout: Timeout
    retries: Retry | bool | int | None
    kwargs: dict[str, Any] = attrs.field(repr=False)
    deadline: Deadline

    @property
    def where(self) -> str:
        return self.url.split("?", 1)[0]


class _DeadlineTimeout(Timeout):
    """A Timeout that urllib3 clones once per attempt: each clone gets what is left of the call's deadline, so
    urllib3's own retries cannot run past it."""

    def __init__(self, base: Timeout, deadline: Deadline) -> None:
        super().__init__(connect=base._connect, read=base._read, total=base.total)
        self._base = base
        self._deadline = deadline

    def clone(self) -> Timeout:
        return self._deadline.timeout_for(self._base).clone()  # never the shared base: urllib3 starts its timer


class _DeadlineRetry(Retry):
    """urllib3's retries (the caller's, or its default) kept within the call's deadline: no retry once it has
    passed, no wait (backoff or `Retry-After`, however long or malformed) beyond the time left."""

    _deadline: Deadline

    @classmethod
    def adopt(cls, retries: Retry | bool | int | None, deadline: Deadline) -> Retry | bool:
        if retries is False:
            return False
        if isinstance(retries, bool) or not isinstance(retries, (Retry, int, type(None))):
            raise ArgumentError("retries must be a urllib3 Retry, a number of retries, False or None")
        base = Retry.from_int(retries, redirect=False)
        bounded = cls.__new__(cls)
        bounded.__dict__.update(vars(base))
        bounded._deadline = deadline
        return bounded

    def new(self, **kw: Any) -> _DeadlineRetry:
        retry = super().new(**kw)
        retry._deadline = self._deadline
        return retry

    def is_exhausted(self) -> bool:
        return self._deadline.expired() or super().is_exhausted()

    def get_backoff_time(self) -> float:
        return min(super().get_backoff_time(), self._deadline.remaining())

    def get_retry_after(self, response: urllib3.BaseHTTPResponse) -> float | None:
        try:
            seconds = super().get_retry_after(response)
        except InvalidHeader:  # not a number nor a date: as if absent
            return None
        except (ValueError, OverflowError):  # thousands of digits: longer than any deadline
            seconds = math.inf
        return None if seconds is None else min(seconds, self._deadline.remaining())


def _as_timeout(value: object) -> Timeout:
    if isinstance(value, Timeout):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return Timeout(connect=value, read=value)
    raise ArgumentError("timeout must be a urllib3 Timeout or a positive number of seconds")


def _checked_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's headers, checked by us (never echoed), less any `Authorization` of theirs."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise ArgumentError(f"headers must be a mapping, got {type(headers).__name__}")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        check_header_value(value, f"header {check_header_name(name)!r}")
        if name.lower() != "authorization":
            checked[name] = value
    return checked


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) as urllib3 reads the URL, with the scheme's default port filled in."""
    parts = parse_url(url)
    scheme = (parts.scheme or "").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.host or "").lower(), port


class _Decoder:
    """Content-Encoding undone in bounded steps, output capped: gzip (multi-member), deflate (zlib or raw)."""

    def __init__(self, content_encoding: str, cap: int, where: str, status: int) -> None:
        self.cap = cap
        self.where = where
        self.status = status
        self.size = 0
        self.parts: list[bytes] = []
        names = [name.strip().lower() for name in content_encoding.split(",") if name.strip()]
        names = [name for name in names if name != "identity"]
        if len(names) > 2:
            raise ResponseFormatError(f"{where}: more than two content encodings", status=status)
        for name in names:
            if name not in ("gzip", "x-gzip", "deflate"):
                raise ResponseFormatError(
                    f"{where}: unsupported Content-Encoding (gzip and deflate are decoded; pass "
                    "decode_content=False for the bytes as sent)",
                    status=status,
                )
        self.stages = [_Stage(name) for name in reversed(names)]  # the last encoding applied comes off first

    def feed(self, data: bytes) -> None:
        try:
            self._push(0, data)
        except zlib.error:
            raise self._corrupt() from None

    def finish(self) -> None:
        try:
            for index, stage in enumerate(self.stages):
                rest = stage.flush()
                if rest:
                    self._push(index + 1, rest)
        except zlib.error:
            raise self._corrupt() from None

    def body(self) -> bytes:
        return b"".join(self.parts)

    def _push(self, index: int, data: bytes) -> None:
        if index == len(self.stages):
            self.size += len(data)
            if self.size > self.cap:
                raise ResponseFormatError(f"{self.where}: response larger than {self.cap} bytes", status=self.status)
            self.parts.append(data)
            return
        stage = self.stages[index]
        for piece in stage.decompress(data):
            self._push(index + 1, piece)

    def _corrupt(self) -> ResponseFormatError:
        names = ", ".join(stage.name for stage in self.stages)
        return ResponseFormatError(f"{self.where}: the {names} body cannot be decoded", status=self.status)


class _Stage:
    """One decompressor, yielding output at most `_CHUNK` bytes at a time however much the input expands."""

    def __init__(self, name: str) -> None:
        self.name = "gzip" if name == "x-gzip" else name
        self._first = True
        self._done = False
        self._zlib = self._new()

    def _new(self, raw_deflate: bool = False) -> Any:
        if self.name == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw_deflate else zlib.MAX_WBITS)

    def decompress(self, data: bytes) -> Any:
        """Generator of decoded pieces for `data` (each at most `_CHUNK` bytes)."""
        if self._first and self.name == "deflate" and data:
            self._first = False
            try:
                probe = self._zlib.copy()
                probe.decompress(data[:64], 1)
            except zlib.error:  # a bare deflate stream, as some servers send under "deflate"
                self._zlib = self._new(raw_deflate=True)
        self._first = False
        while data and not self._done:
            piece = self._zlib.decompress(data, _CHUNK)
            data = self._zlib.unconsumed_tail
            if piece:
                yield piece
            if self._zlib.eof:
                rest = self._zlib.unused_data
                if self.name == "gzip" and rest.startswith(b"\x1f\x8b"):  # another gzip member
                    self._zlib = self._new()
                    data = rest
                else:
                    self._done = True  # trailing bytes after the stream are ignored, as urllib3 does
            elif not data and len(piece) == _CHUNK:
                data = b""
                while True:  # output still pending inside zlib with no input left
                    more = self._zlib.decompress(b"", _CHUNK)
                    if not more:
                        break
                    yield more

    def flush(self) -> bytes:
        if self._done:
            return b""
        return bytes(self._zlib.flush())
