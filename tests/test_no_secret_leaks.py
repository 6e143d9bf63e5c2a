"""Distinctive secrets go through every flow path; none shows in an exception message or a DEBUG log record."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import urllib3
from pytest_httpserver import HTTPServer

from retently_oauth import ApiKeyAuth, AuthorizedHTTP, FileStore, MemoryStore, StoreError, TokenManager
from retently_oauth.endpoints import Endpoints
from retently_oauth.exceptions import ReauthorizationRequired, RetentlyOAuthError
from retently_oauth.flows import OAuthClient
from retently_oauth.testing import RetentlyServer
from retently_oauth.transport import Transport, TransportConfig

CLIENT_SECRET = "leak-client-secret-1f2e3d"
CODE = "leak-code-value-4c5b6a"
REFRESH = "leak-refresh-token-7a8b9c"
ACCESS = "leak-access-token-0d1e2f"
SECRETS = (CLIENT_SECRET, CODE, REFRESH, ACCESS)
FAST = TransportConfig(read_timeout=0.5, retries=1, backoff_factor=0.01, retry_after_max=0.1)


def test_no_secret_in_errors_or_logs(httpserver: HTTPServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    url = httpserver.url_for("/token")
    client = OAuthClient(
        "cid", CLIENT_SECRET, "http://127.0.0.1/cb", endpoints=Endpoints(url, url), transport=Transport(FAST)
    )
    responses = [
        ("json", {"error": "invalid_grant", "error_description": "bad"}, 400),
        ("data", f"<html>{ACCESS} {REFRESH}</html>", 500),
        ("data", f'{{"access_token": "{ACCESS}", "refresh_token": "{REFRESH}", ', 200),
        ("json", {"access_token": ACCESS, "refresh_token": 5}, 200),
        ("json", {"access_token": ACCESS, "refresh_token": REFRESH, "expires_in": 60}, 200),
        ("data", "busy", 503),
    ]
    for kind, body, status in responses:
        httpserver.clear()
        if kind == "json":
            httpserver.expect_request("/token").respond_with_json(body, status=status)
        else:
            httpserver.expect_request("/token").respond_with_data(str(body), status=status)
        for call in (lambda: client.exchange_code(CODE), lambda: client.refresh(REFRESH)):
            try:
                token = call()
            except RetentlyOAuthError as exc:
                messages += [str(exc), repr(exc)]
            else:
                messages += [repr(token), str(token)]
    with RetentlyServer(client_secret=CLIENT_SECRET) as server:
        good = OAuthClient(server.client_id, CLIENT_SECRET, server.redirect_uri, endpoints=server.endpoints)
        auth = good.authorize_url(pkce=True)
        location = urllib3.PoolManager().request("GET", auth.url, redirect=False).headers["Location"]
        code = good.parse_callback(location, expected_state=auth.state)
        token = good.exchange_code(code, code_verifier=auth.code_verifier)
        messages += [repr(good), repr(auth), repr(token)]
        secrets_here = (*SECRETS, code, token.access_token, token.refresh_token or "", auth.code_verifier or "")
        for fault in ("html_500", "malformed_json", "drop"):
            server.inject(fault)
            try:
                good.refresh(token.refresh_token or "")
            except RetentlyOAuthError as exc:
                messages.append(str(exc))
    assert len(messages) > 15
    text = "\n".join(messages + [r.getMessage() for r in caplog.records])
    for secret in secrets_here:
        assert secret not in text


def test_no_secret_from_the_token_manager_or_authorized_requests(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Manager refreshes (good, failing, rejected), store errors, 401 retries: no secret in errors, logs, reprs."""
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    with RetentlyServer(
        client_secret=CLIENT_SECRET, rotate_refresh_tokens=True, api_key="leak-api-key-3e4f5a"
    ) as server:
        client = OAuthClient(server.client_id, CLIENT_SECRET, server.redirect_uri, endpoints=server.endpoints)
        store = FileStore(tmp_path / "creds.json")
        manager = TokenManager(client, store, on_refresh=lambda token: messages.append(repr(token)))
        manager.store_token(client.refresh(server.issue_refresh_token()))
        http = AuthorizedHTTP(manager, base_url=server.base_url)
        seen = [manager.access_token(), manager.refresh().access_token]
        server.expire_access_tokens()
        assert http.get("/api/v2/customers").status == 200
        seen.append(manager.access_token())
        for fault in ("html_500", "malformed_json", "drop"):
            server.inject(fault)
            with pytest.raises(RetentlyOAuthError) as caught:
                manager.refresh()
            messages += [str(caught.value), repr(caught.value)]
        saved = store.load()
        assert saved is not None
        revoked = TokenManager(client, MemoryStore(), refresh_token="leak-revoked-refresh-5b6c7d")
        with pytest.raises(ReauthorizationRequired) as rejected:
            revoked.access_token()
        messages += [str(rejected.value), repr(rejected.value), repr(manager), repr(http), repr(store)]
        key = AuthorizedHTTP(ApiKeyAuth(server.api_key), base_url=server.base_url)
        assert key.get("/api/v2/customers").status == 200
        messages += [repr(key), repr(key.auth)]
        (tmp_path / "corrupt.json").write_text('{"client_secret": "' + CLIENT_SECRET + '", ')
        with pytest.raises(StoreError) as corrupt:
            FileStore(tmp_path / "corrupt.json").load()
        messages.append(str(corrupt.value))
        secrets_here = [*SECRETS, *seen, saved.refresh_token, "leak-revoked-refresh-5b6c7d", server.api_key]
    text = "\n".join(messages + [r.getMessage() for r in caplog.records])
    assert len(messages) > 10
    for secret in secrets_here:
        assert secret not in text
