"""The whole OAuth flow over real HTTP against the embedded Retently server."""

from __future__ import annotations

import pytest
import urllib3

from retently_oauth.exceptions import (
    AuthorizationDenied,
    CallbackError,
    InvalidClient,
    InvalidGrant,
    StateMismatch,
)
from retently_oauth.flows import AuthorizationURL, OAuthClient
from retently_oauth.testing import RetentlyServer
from retently_oauth.tokens import Token

http = urllib3.PoolManager()


def client_for(server: RetentlyServer, secret: str | None = None) -> OAuthClient:
    return OAuthClient(
        server.client_id, secret or server.client_secret, server.redirect_uri, endpoints=server.endpoints
    )


def follow(auth: AuthorizationURL) -> str:
    """What a browser does: open the authorization URL and take the redirect's Location."""
    response = http.request("GET", auth.url, redirect=False)
    assert response.status == 302
    location = response.headers["Location"]
    assert isinstance(location, str)
    return location


def call_api(server: RetentlyServer, token: Token) -> int:
    return http.request("GET", server.api_url, headers={"Authorization": f"Bearer {token.access_token}"}).status


def test_whole_flow(retently_server: RetentlyServer) -> None:
    client = client_for(retently_server)
    auth = client.authorize_url(scope="read")
    assert auth.url.startswith(retently_server.endpoints.authorize_url + "?client_id=demo-client-id&")
    assert "response_type=code" in auth.url and f"state={auth.state}" in auth.url
    code = client.parse_callback(follow(auth), expected_state=auth.state)
    token = client.exchange_code(code)
    assert token.expires_at is not None and not token.expires_within(21000)
    assert call_api(retently_server, token) == 200
    refreshed = client.refresh(token.refresh_token or "")
    assert refreshed.access_token != token.access_token
    assert refreshed.refresh_token == token.refresh_token
    assert call_api(retently_server, refreshed) == 200
    assert retently_server.counts["authorization_code"] == 1
    assert retently_server.counts["refresh_token"] == 1


def test_pkce(retently_server: RetentlyServer) -> None:
    client = client_for(retently_server)
    auth = client.authorize_url(pkce=True)
    assert "code_challenge_method=S256" in auth.url and auth.code_verifier
    code = client.parse_callback(follow(auth), expected_state=auth.state)
    with pytest.raises(InvalidGrant):
        client.exchange_code(code, code_verifier="wrong-verifier")
    auth = client.authorize_url(pkce=True)
    code = client.parse_callback(follow(auth), expected_state=auth.state)
    assert client.exchange_code(code, code_verifier=auth.code_verifier).access_token


def test_denied_consent(retently_server: RetentlyServer) -> None:
    retently_server.deny = True
    client = client_for(retently_server)
    auth = client.authorize_url()
    with pytest.raises(AuthorizationDenied) as info:
        client.parse_callback(follow(auth), expected_state=auth.state)
    assert info.value.error == "access_denied"
    assert info.value.error_description == "The user denied access"


def test_state_mismatch_and_missing_state(retently_server: RetentlyServer) -> None:
    client = client_for(retently_server)
    auth = client.authorize_url()
    location = follow(auth)
    with pytest.raises(StateMismatch):
        client.parse_callback(location, expected_state="other-state")
    with pytest.raises(StateMismatch):
        client.parse_callback(location.split("&state=")[0], expected_state=auth.state)
    with pytest.raises(CallbackError):
        client.parse_callback(f"http://127.0.0.1/callback?state={auth.state}", expected_state=auth.state)


def test_invalid_and_reused_code(retently_server: RetentlyServer) -> None:
    client = client_for(retently_server)
    with pytest.raises(InvalidGrant) as info:
        client.exchange_code("not-a-code")
    assert info.value.status == 400
    auth = client.authorize_url()
    code = client.parse_callback(follow(auth), expected_state=auth.state)
    client.exchange_code(code)
    with pytest.raises(InvalidGrant):
        client.exchange_code(code)


def test_wrong_secret(retently_server: RetentlyServer) -> None:
    client = client_for(retently_server, secret="wrong-secret")
    with pytest.raises(InvalidClient) as info:
        client.refresh(retently_server.issue_refresh_token())
    assert info.value.status == 401


def test_expired_token_on_the_api_route(retently_server: RetentlyServer) -> None:
    client = client_for(retently_server)
    token = client.refresh(retently_server.issue_refresh_token())
    assert call_api(retently_server, token) == 200
    retently_server.expire_access_tokens()
    assert call_api(retently_server, token) == 401


def test_rotation_returns_a_new_refresh_token(retently_server: RetentlyServer) -> None:
    retently_server.rotate_refresh_tokens = True
    client = client_for(retently_server)
    first = retently_server.issue_refresh_token()
    token = client.refresh(first)
    assert token.refresh_token and token.refresh_token != first
    with pytest.raises(InvalidGrant):
        client.refresh(first)
