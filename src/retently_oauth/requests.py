"""`TokenAuth`: a `TokenManager` (or `ApiKeyAuth`, or any authorizer) as a `requests.auth.AuthBase`.

    pip install 'retently-oauth[requests]'

    session.auth = TokenAuth(manager)    # or requests.get(url, auth=TokenAuth(manager))

Each request gets the authorizer's `Authorization` header. On a 401 to a request that carried it, a response hook
asks the authorizer once for a new one (`reauthorize`: for a `TokenManager`, a refresh shared with every other
thread rejected at the same time) and sends the request once more through the same adapter, with the same
`timeout`, `verify`, `proxies` and `stream`; a second 401 is returned (also when the retry is redirected to another
401). `ApiKeyAuth` (`Authorization: api_key=<key>`) has nothing to refresh: its 401 is returned at once. The
rejected response stays in `response.history`, its body read (up to 64 KiB; a longer one is dropped with its
connection).

The body is sent again: bytes, str, form data, JSON and files are (a file from where it stood); a body from a
generator cannot be, so its 401 is returned after the new header is obtained (the next request goes with it).

As with every `AuthBase`, the header goes with every request it is given to; requests drops it on a redirect to
another host, and a 401 from there is not taken for a rejection of our header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
import requests.auth
from requests.cookies import extract_cookies_to_jar
from requests.exceptions import UnrewindableBodyError
from requests.utils import rewind_body
from urllib3.exceptions import HTTPError

from .authorized import Authorizer
from .authorizer import HeaderSource, log, log_retry

__all__ = ["TokenAuth"]

_extract_cookies: Callable[[Any, Any, Any], None] = extract_cookies_to_jar  # untyped in requests' stubs

KEEP_BODY = 64 * 1024
"""Bytes of a rejected (401) response's body read and kept in `response.history`; past that, it is dropped with
its connection."""


class TokenAuth(requests.auth.AuthBase):
    """The authorizer's `Authorization` header; on a 401, one new header and one retry."""

    def __init__(self, authorizer: Authorizer) -> None:
        self._source = HeaderSource(authorizer)

    @property
    def authorizer(self) -> Authorizer:
        return self._source.authorizer

    def __repr__(self) -> str:
        return f"TokenAuth({self._source.authorizer!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        header = self._source.authorization()
        request.headers["Authorization"] = header
        request.hooks["response"].append(_OnceOn401(self._source, header))  # register_hook, less its type check
        return request


class _OnceOn401:
    """The response hook of one call: copies of its request (a retry, redirects) share it, so it retries once."""

    __slots__ = ("header", "source", "spent")

    def __init__(self, source: HeaderSource, header: str) -> None:
        self.source = source
        self.header = header
        self.spent = False

    def __repr__(self) -> str:
        return "<retently_oauth.requests retry hook>"

    def __call__(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401 or self.spent:
            return response
        request = response.request
        if request.headers.get("Authorization") != self.header:
            return response  # sent without our header (after a redirect to another host)
        self.spent = True
        retry_with = self.source.reauthorize(self.header)
        method, url = request.method or "", request.url or ""
        log_retry(method, url, retry_with is not None)
        connection = getattr(response, "connection", None)
        if retry_with is None or connection is None:
            return response
        again = request.copy()
        if not _rewound(again):
            log.debug("401 for %s: the request body cannot be sent again (a generator): returned", method)
            return response
        _consume(response)
        jar = again._cookies  # type: ignore[attr-defined]
        if jar is not None:  # cookies the 401 set go with the retry, as requests' digest auth does
            _extract_cookies(jar, request, response.raw)
            again.prepare_cookies(jar)
        again.headers["Authorization"] = retry_with
        retried: requests.Response = connection.send(again, **kwargs)
        retried.history.append(response)
        retried.request = again
        return retried


def _rewound(request: requests.PreparedRequest) -> bool:
    """Whether the body can be sent again (a file is put back where it stood)."""
    body = request.body
    if body is None or isinstance(body, (bytes, str)):
        return True
    try:
        rewind_body(request)
    except UnrewindableBodyError:
        return False
    return True


def _consume(response: requests.Response) -> None:
    """Reads the rejected response's body (at most `KEEP_BODY` bytes, kept as its `content`) and lets its
    connection go back to the pool; a longer body, or one that fails, is dropped with the connection."""
    raw = response.raw
    try:
        data = raw.read(KEEP_BODY + 1, decode_content=True) if raw is not None else b""
    except (HTTPError, OSError):
        data = None
    whole = data is not None and len(data) <= KEEP_BODY
    if not whole and raw is not None:
        raw.close()
    response._content = data if whole else b""
    response._content_consumed = True  # type: ignore[attr-defined]
    response.close()
