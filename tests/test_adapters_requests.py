"""retently_oauth.requests.TokenAuth over real HTTP (the embedded server, pytest-httpserver): the header, one
refresh and one retry on a 401 (its body sent again), one refresh for 32 threads, a second 401 returned, API keys
never retried, no retry for a 401 from another host after a redirect, and no secret in any repr, log record or
error."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import requests
from pytest_httpserver import HTTPServer

from retently_oauth import ApiKeyAuth, ArgumentError, ReauthorizationRequired, Token, TokenManager
from retently_oauth.requests import TokenAuth
from retently_oauth.testing import RetentlyServer

from .support import due, fresh_token, in_threads, manager_with

TIMEOUT = 30.0


def valid_manager(server: RetentlyServer) -> TokenManager:
    return manager_with(server, token=fresh_token(server))


def test_the_bearer_header_is_sent_and_nothing_is_refreshed_while_valid(
    retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    manager = valid_manager(retently_server)
    auth = TokenAuth(manager)
    with requests.Session() as session:
        session.auth = auth
        for _ in range(3):
            assert session.get(retently_server.api_url, timeout=TIMEOUT).status_code == 200
    assert requests.get(retently_server.api_url, auth=auth, timeout=TIMEOUT).status_code == 200
    assert retently_server.counts["refresh_token"] == 1  # the setup's
    assert retently_server.counts["api_unauthorized"] == 0

    httpserver.expect_request("/api/v2/customers").respond_with_json({"ok": True})
    assert requests.get(httpserver.url_for("/api/v2/customers"), auth=auth, timeout=TIMEOUT).status_code == 200
    assert httpserver.log[0][0].headers["Authorization"] == manager.authorization()


@pytest.mark.parametrize("stream", [False, True])
def test_a_revoked_tokens_401_leads_to_one_refresh_and_one_retry(stream: bool, retently_server: RetentlyServer) -> None:
    manager = valid_manager(retently_server)
    old = manager.authorization()
    retently_server.expire_access_tokens()  # revoked early: our clock still thinks the token is good
    with requests.Session() as session:
        response = session.get(retently_server.api_url, auth=TokenAuth(manager), timeout=TIMEOUT, stream=stream)
        assert response.status_code == 200
        assert response.json()["data"][0]["id"] == "c-1"
        assert retently_server.counts["api_unauthorized"] == 1
        assert retently_server.counts["api"] == 2
        assert retently_server.counts["refresh_token"] == 2  # the setup's and exactly one more
        assert manager.authorization() != old
        assert [r.status_code for r in response.history] == [401]
        assert response.history[0].json() == {
            "error": "invalid_token",
            "error_description": "The access token is expired or unknown",
        }
        assert response.history[0].request.headers["Authorization"] == old
        assert response.request.headers["Authorization"] == manager.authorization()
        pools = session.get_adapter(retently_server.api_url).poolmanager.pools
        connections = [pools[key].num_connections for key in pools.keys()]  # noqa: SIM118 (not a dict)
        assert connections == [1]  # the 401's body was read and its connection reused for the retry


def test_a_second_401_is_returned_not_looped_on(retently_server: RetentlyServer, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v2/customers").respond_with_json({"error": "invalid_token"}, status=401)
    manager = valid_manager(retently_server)
    response = requests.get(httpserver.url_for("/api/v2/customers"), auth=TokenAuth(manager), timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token"}
    assert len(httpserver.log) == 2  # the request and its one retry
    sent = [request.headers["Authorization"] for request, _ in httpserver.log]
    assert sent[0] != sent[1] and all(header.startswith("Bearer ") for header in sent)
    assert retently_server.counts["refresh_token"] == 2


def test_a_401_after_a_same_origin_redirect_is_retried_once(
    retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    """A redirect's 401 is retried; once."""
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": "/api/v2/customers"})
    httpserver.expect_request("/api/v2/customers").respond_with_json({"error": "invalid_token"}, status=401)
    manager = valid_manager(retently_server)
    response = requests.get(httpserver.url_for("/go"), auth=TokenAuth(manager), timeout=TIMEOUT)
    assert response.status_code == 401
    assert [request.path for request, _ in httpserver.log] == ["/go", "/api/v2/customers", "/api/v2/customers"]
    assert retently_server.counts["refresh_token"] == 2  # one refresh for the whole call


def test_a_retry_redirected_to_another_401_is_not_retried_again(
    retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request("/go").respond_with_json({"error": "invalid_token"}, status=401)
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": "/api/v2/customers"})
    httpserver.expect_request("/api/v2/customers").respond_with_json({"error": "invalid_token"}, status=401)
    manager = valid_manager(retently_server)
    response = requests.get(httpserver.url_for("/go"), auth=TokenAuth(manager), timeout=TIMEOUT)
    assert response.status_code == 401
    assert [request.path for request, _ in httpserver.log] == ["/go", "/go", "/api/v2/customers"]
    assert retently_server.counts["refresh_token"] == 2  # one refresh for the whole call


def expired(server: RetentlyServer, how: str) -> TokenManager:
    if how == "due":
        return manager_with(server)  # its store holds a token past its expiry
    manager = valid_manager(server)
    server.expire_access_tokens()
    return manager


@pytest.mark.parametrize("how", ["due", "revoked"])
def test_32_threads_with_an_expired_token_cause_one_refresh(how: str, retently_server: RetentlyServer) -> None:
    auth = TokenAuth(expired(retently_server, how))
    statuses = in_threads(32, lambda: requests.get(retently_server.api_url, auth=auth, timeout=TIMEOUT).status_code)
    assert statuses == [200] * 32
    assert retently_server.counts["refresh_token"] == 2  # the setup's and exactly one more


def chunks() -> Iterator[bytes]:
    yield b'{"n": '
    yield b"1}"


@pytest.mark.parametrize("body", ["json", "bytes", "file"])
def test_a_retried_post_sends_its_body_again(
    body: str, retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/echo", method="POST").respond_with_json({}, status=401)
    httpserver.expect_ordered_request("/echo", method="POST").respond_with_json({"ok": True})
    auth = TokenAuth(valid_manager(retently_server))
    headers = {"X-Trace": "t-1", "Content-Type": "application/json"}
    kwargs: dict[str, object] = {
        "json": {"json": {"n": 1}},
        "bytes": {"data": b'{"n": 1}'},
        "file": {"data": io.BytesIO(b'{"n": 1}')},
    }[body]
    response = requests.post(httpserver.url_for("/echo"), auth=auth, headers=headers, timeout=TIMEOUT, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200
    assert len(httpserver.log) == 2
    for request, _ in httpserver.log:
        assert request.get_json() == {"n": 1}
        assert request.headers["X-Trace"] == "t-1"


def test_a_generator_body_cannot_be_sent_again_so_its_401_is_returned(
    retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/echo", method="POST").respond_with_json({}, status=401)
    manager = valid_manager(retently_server)
    old = manager.authorization()
    response = requests.post(httpserver.url_for("/echo"), data=chunks(), auth=TokenAuth(manager), timeout=TIMEOUT)
    assert response.status_code == 401
    assert len(httpserver.log) == 1
    assert manager.authorization() != old  # refreshed all the same: the next request goes with the new token


def test_api_key_credentials_are_sent_and_never_retried(
    retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    auth = TokenAuth(ApiKeyAuth(retently_server.api_key))
    assert requests.get(retently_server.api_url, auth=auth, timeout=TIMEOUT).status_code == 200

    httpserver.expect_request("/api/v2/customers").respond_with_json({}, status=401)
    wrong = TokenAuth(ApiKeyAuth("wrong-key"))
    response = requests.get(httpserver.url_for("/api/v2/customers"), auth=wrong, timeout=TIMEOUT)
    assert response.status_code == 401
    assert len(httpserver.log) == 1  # an API key cannot be refreshed: no retry
    assert httpserver.log[0][0].headers["Authorization"] == "api_key=wrong-key"


def test_a_401_from_another_host_after_a_redirect_refreshes_nothing(
    retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    """requests drops the header on a redirect to another host; that host's 401 is not our token's rejection."""
    other = retently_server.api_url.replace("127.0.0.1", "localhost")
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": other})
    manager = valid_manager(retently_server)
    response = requests.get(httpserver.url_for("/go"), auth=TokenAuth(manager), timeout=TIMEOUT)
    assert response.status_code == 401
    assert retently_server.counts["api_unauthorized"] == 1  # reached without our header
    assert retently_server.counts["refresh_token"] == 1  # the setup's only


class Custom:
    """An authorizer of one's own."""

    def __init__(self, value: str) -> None:
        self.value = value

    def authorization(self) -> str:
        return self.value

    def reauthorize(self, rejected_authorization: str) -> str | None:
        return None


def test_bad_authorizers_and_header_values(httpserver: HTTPServer) -> None:
    with pytest.raises(ArgumentError, match="authorization"):
        TokenAuth(object())  # type: ignore[arg-type]
    httpserver.expect_request("/x").respond_with_json({})
    secret = "secret-value-after-a-newline"
    with pytest.raises(ArgumentError, match="line break") as caught:
        requests.get(httpserver.url_for("/x"), auth=TokenAuth(Custom(f"Bearer x\n{secret}")), timeout=TIMEOUT)
    assert secret not in str(caught.value) and secret not in repr(caught.value)
    assert len(httpserver.log) == 0


def test_no_secret_in_reprs_logs_or_errors(retently_server: RetentlyServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    manager = valid_manager(retently_server)
    auth = TokenAuth(manager)
    retently_server.expire_access_tokens()
    response = requests.get(retently_server.api_url, auth=auth, timeout=TIMEOUT)
    assert response.status_code == 200
    key_auth = TokenAuth(ApiKeyAuth(retently_server.api_key))
    assert requests.get(retently_server.api_url, auth=key_auth, timeout=TIMEOUT).status_code == 200
    texts = [caplog.text, repr(auth), str(auth), repr(key_auth), str(key_auth), repr(response.request)]

    token = fresh_token(retently_server)
    refresh_token = "never-issued-refresh-token-0123456789"
    lost = manager_with(
        retently_server,
        token=due(Token(access_token=token.access_token, refresh_token=refresh_token, expires_at=token.expires_at)),
    )
    with pytest.raises(ReauthorizationRequired) as caught:
        requests.get(retently_server.api_url, auth=TokenAuth(lost), timeout=TIMEOUT)
    texts += [str(caught.value), repr(caught.value), repr(TokenAuth(lost)), caplog.text]

    joined = "\n".join(texts)
    assert "401" in caplog.text  # the retry was logged, without a secret
    issued = [value for pair in retently_server.issued_pairs() for value in pair]
    for secret in [retently_server.client_secret, retently_server.api_key, refresh_token, *issued]:
        assert secret not in joined
