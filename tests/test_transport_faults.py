"""Every fault ends in the right typed error within the timeout; retries are bounded and honour Retry-After."""

from __future__ import annotations

import json
import time

import pytest
from pytest_httpserver import HTTPServer

from retently_oauth.endpoints import Endpoints
from retently_oauth.exceptions import (
    OAUTH_ERRORS,
    ArgumentError,
    OAuthError,
    ResponseFormatError,
    TransportError,
)
from retently_oauth.flows import OAuthClient
from retently_oauth.testing import RetentlyServer
from retently_oauth.transport import Transport, TransportConfig

FAST = TransportConfig(connect_timeout=1.0, read_timeout=0.5, retries=2, backoff_factor=0.01, retry_after_max=1.0)


def embedded_client(server: RetentlyServer, config: TransportConfig = FAST) -> OAuthClient:
    return OAuthClient(
        server.client_id,
        server.client_secret,
        server.redirect_uri,
        endpoints=server.endpoints,
        transport=Transport(config),
    )


def httpserver_client(httpserver: HTTPServer, config: TransportConfig = FAST) -> OAuthClient:
    url = httpserver.url_for("/token")
    return OAuthClient(
        "cid", "csecret", "http://127.0.0.1/cb", endpoints=Endpoints(url, url), transport=Transport(config)
    )


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("html_500", ResponseFormatError),
        ("malformed_json", ResponseFormatError),
        ("huge", ResponseFormatError),
        ("drop", TransportError),
        ("slow", TransportError),
    ],
)
def test_embedded_server_faults(retently_server: RetentlyServer, fault: str, error: type[Exception]) -> None:
    client = embedded_client(retently_server)
    refresh_token = retently_server.issue_refresh_token()
    retently_server.inject(fault)
    started = time.monotonic()
    with pytest.raises(error) as info:
        client.refresh(refresh_token)
    assert time.monotonic() - started < 10
    assert refresh_token not in str(info.value)
    assert client.refresh(refresh_token).access_token  # the server and client are fine afterwards


def test_503_with_retry_after_is_retried(retently_server: RetentlyServer) -> None:
    client = embedded_client(retently_server)
    refresh_token = retently_server.issue_refresh_token()
    retently_server.inject("retry_after_503", "retry_after_503")
    started = time.monotonic()
    assert client.refresh(refresh_token).access_token
    assert time.monotonic() - started >= 1.5  # waited Retry-After: 1 twice (capped at 1 s)
    assert retently_server.counts["fault"] == 2
    assert retently_server.counts["refresh_token"] == 1


def test_retries_are_bounded(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/token").respond_with_data("busy", status=503, headers={"Retry-After": "0"})
    with pytest.raises(ResponseFormatError) as info:
        httpserver_client(httpserver).refresh("r")
    assert info.value.status == 503
    assert len(httpserver.log) == 3  # the first try and two retries


def test_connection_refused_is_a_transport_error() -> None:
    url = "http://127.0.0.1:9/token"
    client = OAuthClient("c", "s", "http://127.0.0.1/cb", endpoints=Endpoints(url, url), transport=Transport(FAST))
    with pytest.raises(TransportError, match="connection refused"):
        client.refresh("r")


@pytest.mark.parametrize("code", sorted(OAUTH_ERRORS))
def test_400_json_errors_map_to_their_subclass(httpserver: HTTPServer, code: str) -> None:
    httpserver.expect_request("/token").respond_with_json({"error": code, "error_description": "why"}, status=400)
    with pytest.raises(OAUTH_ERRORS[code]) as info:
        httpserver_client(httpserver).refresh("r")
    assert (info.value.error, info.value.error_description, info.value.status) == (code, "why", 400)


def test_unknown_oauth_error_code_is_the_base_class(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/token").respond_with_json({"error": "temporarily_unavailable"}, status=400)
    with pytest.raises(OAuthError) as info:
        httpserver_client(httpserver).refresh("r")
    assert type(info.value) is OAuthError


@pytest.mark.parametrize(
    "body",
    [
        {"refresh_token": "r", "expires_in": 10},
        {"access_token": 5},
        {"access_token": "a", "expires_in": "soon"},
        [1, 2],
    ],
)
def test_wrong_token_json_is_a_response_format_error(httpserver: HTTPServer, body: object) -> None:
    httpserver.expect_request("/token").respond_with_data(json.dumps(body), content_type="application/json")
    with pytest.raises(ResponseFormatError) as info:
        httpserver_client(httpserver).refresh("r")
    assert info.value.status == 200


def test_urls_must_be_https_except_loopback() -> None:
    with pytest.raises(ArgumentError):
        Endpoints("http://example.com/authorize", "https://example.com/token")
    with pytest.raises(ArgumentError):
        Endpoints("https://example.com/authorize", "ftp://example.com/token")
    with pytest.raises(ArgumentError):
        Endpoints("https://", "https://example.com/token")
    assert Endpoints("http://localhost:8/a", "http://[::1]:8/t").token_url == "http://[::1]:8/t"
