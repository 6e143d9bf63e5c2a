"""Authorized API requests: what a downstream SDK holds instead of a bare PoolManager.

`AuthorizedHTTP` adds the `Authorization` header its authorizer gives (`Bearer <token>` from a `TokenManager`,
`api_key=<key>` from `ApiKeyAuth`). On a 401 it asks the authorizer once for a new header and retries once; a
second 401 goes back to the caller.
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urljoin

import attrs
import urllib3
from retently_oauth_models._runtime import secret_repr
from urllib3.exceptions import HTTPError

from .endpoints import Endpoints, check_url, checked_url
from .exceptions import ArgumentError, TransportError
from .manager import DEFAULT_LEEWAY, OAuthCredentials, RefreshHook, TokenManager
from .models import SourceRetently, SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken
from .store import CredentialStore
from .transport import Transport, TransportConfig, failure_reason


class Authorizer(Protocol):
    """Where the `Authorization` header comes from."""

    def authorization(self) -> str:
        """The header value for the next request (cheap: called on every request)."""
        ...

    def reauthorize(self, rejected_authorization: str) -> str | None:
        """After a 401 for `rejected_authorization`: a header value to retry with, or None to give up."""
        ...


@attrs.frozen
class ApiKeyAuth:
    """Retently's API-token credentials, sent as `Authorization: api_key=<key>`; nothing to refresh."""

    api_key: str = attrs.field(repr=secret_repr)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.api_key, str) or not self.api_key:
            raise ArgumentError("api_key must be a non-empty string")

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

    def reauthorize(self, rejected_authorization: str) -> str | None:
        return None


class AuthorizedHTTP:
    """urllib3 requests with credentials attached, a refresh and one retry on 401, and our typed errors.

    Plain `http://` is refused except to loopback hosts: the header is a credential. `base_url` lets callers pass
    paths (`"/api/v2/customers"`). Extra keyword arguments go to `PoolManager.request` (`preload_content`,
    `timeout`, `retries`, ...). With a `TokenManager` the pool and timeouts are its transport's, so API calls and
    refreshes share keep-alive connections.
    """

    def __init__(
        self,
        auth: Authorizer,
        *,
        base_url: str | None = None,
        pool: urllib3.PoolManager | None = None,
        config: TransportConfig | None = None,
    ) -> None:
        if not callable(getattr(auth, "authorization", None)) or not callable(getattr(auth, "reauthorize", None)):
            raise ArgumentError(f"auth must provide authorization() and reauthorize(), got {type(auth).__name__}")
        if base_url is not None:
            check_url(base_url, "base_url")
        self.auth = auth
        self.base_url = base_url
        transport = auth.client.transport if isinstance(auth, TokenManager) else None
        self.pool = pool or (transport.pool if transport is not None else urllib3.PoolManager())
        self._timeout = (config or (transport.config if transport is not None else TransportConfig())).timeout()

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
        return cls(auth, base_url=base_url, pool=transport.pool if transport is not None else None)

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
        """One request; on a 401, one new authorization and one retry. Raises TransportError when no response."""
        if not isinstance(url, str):
            raise ArgumentError(f"url must be a string, got {type(url).__name__}")
        if body is not None and not isinstance(body, (bytes, str)):
            raise ArgumentError("body must be bytes or str (a stream could not be sent again after a 401)")
        full_url = checked_url(urljoin(self.base_url, url) if self.base_url else url)
        kwargs.setdefault("timeout", self._timeout)
        authorization = self.auth.authorization()
        send = functools.partial(
            self._send, method, full_url, headers=headers, body=body, fields=fields, json=json, kwargs=kwargs
        )
        response = send(authorization)
        if response.status != 401:
            return response
        retry_with = self.auth.reauthorize(authorization)
        if retry_with is None:
            return response
        _discard(response)
        return send(retry_with)

    def get(self, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        return self.request("POST", url, **kwargs)

    def _send(
        self,
        method: str,
        url: str,
        authorization: str,
        *,
        headers: Mapping[str, str] | None,
        body: bytes | str | None,
        fields: Mapping[str, Any] | None,
        json: Any,
        kwargs: dict[str, Any],
    ) -> urllib3.BaseHTTPResponse:
        all_headers = {**headers, "Authorization": authorization} if headers else {"Authorization": authorization}
        where = url.split("?", 1)[0]
        try:
            return self.pool.request(method, url, headers=all_headers, body=body, fields=fields, json=json, **kwargs)
        except HTTPError as exc:
            raise TransportError(f"{method} {where} failed: {failure_reason(exc)}") from None
        except (TypeError, ValueError) as exc:  # urllib3's complaints about the arguments (body and json, ...)
            raise ArgumentError(f"{method} {where}: {exc}") from None


def _discard(response: urllib3.BaseHTTPResponse) -> None:
    """Frees the connection of a response nobody will read (the 401 before the retry)."""
    with contextlib.suppress(HTTPError, OSError, io.UnsupportedOperation):
        response.drain_conn()
    response.release_conn()
