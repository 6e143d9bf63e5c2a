"""`TokenAuth`: a `TokenManager` (or `ApiKeyAuth`, or any authorizer) as an `httpx.Auth`.

    pip install 'retently-oauth[httpx]'

    client = httpx.Client(base_url="https://app.retently.com", auth=TokenAuth(manager))

Each request gets the authorizer's `Authorization` header. On a 401 to a request that carried it, the authorizer
is asked once for a new one (`reauthorize`: for a `TokenManager`, a refresh shared with every other thread and
task rejected at the same time) and the request is sent once more; a second 401 is returned. `ApiKeyAuth`
(`Authorization: api_key=<key>`) has nothing to refresh: its 401 is returned at once.

`Client` and `AsyncClient` both work. On `AsyncClient` a header that is not due is read on the event loop (no lock,
no I/O); a refresh, and any authorizer without `cached_authorization()`, runs in a worker thread
(`anyio.to_thread`), so the loop keeps running; the manager's single flight spans threads, so 32 tasks rejected
together still cause one refresh.

As with every `httpx.Auth`, the header goes with every request the client sends: give the auth to a client for
one API (its `base_url`), not to a general-purpose one. httpx drops it on a redirect to another origin, and a 401
from there is not taken for a rejection of our header. Request bodies are read before sending
(`requires_request_body`), so a retried POST sends its body again, a streamed one too.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import anyio.to_thread
import httpx

from .authorized import Authorizer
from .authorizer import HeaderSource, log_retry

__all__ = ["TokenAuth"]


class TokenAuth(httpx.Auth):
    """The authorizer's `Authorization` header; on a 401, one new header and one retry."""

    requires_request_body = True  # read before sending, so a retry can send it again

    def __init__(self, authorizer: Authorizer) -> None:
        self._source = HeaderSource(authorizer)

    @property
    def authorizer(self) -> Authorizer:
        return self._source.authorizer

    def __repr__(self) -> str:
        return f"TokenAuth({self._source.authorizer!r})"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """The sync flow (`Client`): may block on a refresh, as the manager does."""
        request.read()
        return self.auth_flow(request)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """The flow, its body read by the caller; blocking on a refresh, as the manager does."""
        header = self._source.authorization()
        request.headers["Authorization"] = header
        response = yield request
        if response.status_code != 401 or response.request.headers.get("Authorization") != header:
            return  # not a 401, or one to a request without our header (a redirect to another origin)
        retry_with = self._source.reauthorize(header)
        log_retry(request.method, str(request.url), retry_with is not None)
        if retry_with is not None:
            yield _again(request, retry_with)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """The async flow (`AsyncClient`): a refresh runs in a worker thread, never on the event loop."""
        await request.aread()
        header = self._source.cached_authorization()
        if header is None:
            header = await anyio.to_thread.run_sync(self._source.authorization)
        request.headers["Authorization"] = header
        response = yield request
        if response.status_code != 401 or response.request.headers.get("Authorization") != header:
            return  # not a 401, or one to a request without our header (a redirect to another origin)
        retry_with = await anyio.to_thread.run_sync(self._source.reauthorize, header)
        log_retry(request.method, str(request.url), retry_with is not None)
        if retry_with is not None:
            yield _again(request, retry_with)


def _again(request: httpx.Request, authorization: str) -> httpx.Request:
    """A copy of `request` (its body already read, so sendable again) with another `Authorization` header; the
    rejected request, kept in the response's history, keeps the header it was sent with."""
    headers = request.headers.copy()
    headers["Authorization"] = authorization
    return httpx.Request(
        request.method, request.url, headers=headers, stream=request.stream, extensions=dict(request.extensions)
    )
