"""retently_oauth.httpx.TokenAuth over real HTTP (the embedded server, pytest-httpserver), sync and async: the
header, one refresh and one retry on a 401, one refresh for 32 threads or tasks, a second 401 returned, API keys
never retried, a retried POST's body sent again, an event loop that keeps running while a refresh is held, and no
secret in any repr, log record or error."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from pytest_httpserver import HTTPServer

from retently_oauth import ApiKeyAuth, ArgumentError, ReauthorizationRequired, Token, TokenManager
from retently_oauth.httpx import TokenAuth
from retently_oauth.testing import RetentlyServer

from .support import due, fresh_token, in_threads, manager_with

MODES = ["sync", "async"]
BOUND = 30.0
"""Hang guard, in seconds, of one async test body."""


def get(mode: str, auth: httpx.Auth, url: str, **kwargs: object) -> httpx.Response:
    """One GET through a fresh Client or AsyncClient with `auth`."""
    if mode == "sync":
        with httpx.Client(auth=auth, timeout=BOUND) as client:
            return client.get(url, **kwargs)  # type: ignore[arg-type]

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(auth=auth, timeout=BOUND) as client:
            return await client.get(url, **kwargs)  # type: ignore[arg-type]

    return run(go())


def run(coroutine: object) -> httpx.Response:
    async def bounded() -> httpx.Response:
        return await asyncio.wait_for(coroutine, BOUND)  # type: ignore[arg-type]

    return asyncio.run(bounded())


def valid_manager(server: RetentlyServer) -> TokenManager:
    return manager_with(server, token=fresh_token(server))


@pytest.mark.parametrize("mode", MODES)
def test_the_bearer_header_is_sent_and_nothing_is_refreshed_while_valid(
    mode: str, retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    manager = valid_manager(retently_server)
    auth = TokenAuth(manager)
    for _ in range(3):
        assert get(mode, auth, retently_server.api_url).status_code == 200
    assert retently_server.counts["refresh_token"] == 1  # the setup's
    assert retently_server.counts["api_unauthorized"] == 0

    httpserver.expect_request("/api/v2/customers").respond_with_json({"ok": True})
    assert get(mode, auth, httpserver.url_for("/api/v2/customers")).status_code == 200
    assert httpserver.log[0][0].headers["Authorization"] == manager.authorization()


@pytest.mark.parametrize("mode", MODES)
def test_a_revoked_tokens_401_leads_to_one_refresh_and_one_retry(mode: str, retently_server: RetentlyServer) -> None:
    manager = valid_manager(retently_server)
    old = manager.authorization()
    retently_server.expire_access_tokens()  # revoked early: our clock still thinks the token is good
    response = get(mode, TokenAuth(manager), retently_server.api_url)
    assert response.status_code == 200
    assert retently_server.counts["api_unauthorized"] == 1
    assert retently_server.counts["api"] == 2
    assert retently_server.counts["refresh_token"] == 2  # the setup's and exactly one more
    assert manager.authorization() != old
    assert [r.status_code for r in response.history] == [401]
    assert response.history[0].request.headers["Authorization"] == old
    assert response.request.headers["Authorization"] == manager.authorization()


@pytest.mark.parametrize("mode", MODES)
def test_a_second_401_is_returned_not_looped_on(
    mode: str, retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/api/v2/customers").respond_with_json({"error": "invalid_token"}, status=401)
    manager = valid_manager(retently_server)
    response = get(mode, TokenAuth(manager), httpserver.url_for("/api/v2/customers"))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token"}
    assert len(httpserver.log) == 2  # the request and its one retry
    sent = [request.headers["Authorization"] for request, _ in httpserver.log]
    assert sent[0] != sent[1] and all(header.startswith("Bearer ") for header in sent)
    assert retently_server.counts["refresh_token"] == 2


def expired(server: RetentlyServer, how: str) -> TokenManager:
    """A manager whose token is due on our clock ("due") or rejected by the server while our clock still trusts
    it ("revoked")."""
    if how == "due":
        return manager_with(server)  # its store holds a token past its expiry
    manager = valid_manager(server)
    server.expire_access_tokens()
    return manager


@pytest.mark.parametrize("how", ["due", "revoked"])
def test_32_threads_with_an_expired_token_cause_one_refresh(how: str, retently_server: RetentlyServer) -> None:
    manager = expired(retently_server, how)
    with httpx.Client(auth=TokenAuth(manager), timeout=BOUND, limits=httpx.Limits(max_connections=32)) as client:
        statuses = in_threads(32, lambda: client.get(retently_server.api_url).status_code)
    assert statuses == [200] * 32
    assert retently_server.counts["refresh_token"] == 2  # the setup's and exactly one more


@pytest.mark.parametrize("how", ["due", "revoked"])
def test_32_tasks_with_an_expired_token_cause_one_refresh(how: str, retently_server: RetentlyServer) -> None:
    manager = expired(retently_server, how)

    async def burst() -> list[int]:
        async with httpx.AsyncClient(auth=TokenAuth(manager), timeout=BOUND) as client:
            responses = await asyncio.gather(*(client.get(retently_server.api_url) for _ in range(32)))
        return [response.status_code for response in responses]

    assert asyncio.run(asyncio.wait_for(burst(), BOUND)) == [200] * 32
    assert retently_server.counts["refresh_token"] == 2


def test_the_event_loop_keeps_running_while_a_refresh_is_held(retently_server: RetentlyServer) -> None:
    """The refresh runs in a worker thread: while the token endpoint holds it, this loop still runs coroutines."""
    manager = manager_with(retently_server)  # due: the first request refreshes
    refreshes_before = retently_server.counts["refresh_token"]

    async def scenario() -> tuple[int, int, int]:
        async with httpx.AsyncClient(auth=TokenAuth(manager), timeout=BOUND) as client:
            with retently_server.hold_token_requests():
                task = asyncio.create_task(client.get(retently_server.api_url))
                held = await asyncio.to_thread(retently_server.wait_for, "held")
                assert held, "the refresh never reached the token endpoint"
                ticks = 0
                for _ in range(5):  # a blocked loop would run none of these until the hold ended
                    await asyncio.sleep(0.001)
                    ticks += 1
                refreshes_while_held = retently_server.counts["refresh_token"]
            response = await task
        return ticks, refreshes_while_held, response.status_code

    ticks, refreshes_while_held, status = asyncio.run(asyncio.wait_for(scenario(), BOUND))
    assert ticks == 5
    assert refreshes_while_held == refreshes_before  # this loop ran while the refresh was still held
    assert status == 200
    assert retently_server.counts["refresh_token"] == refreshes_before + 1


def chunks() -> Iterator[bytes]:
    yield b'{"n": '
    yield b"1}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("body", ["json", "bytes", "stream"])
def test_a_retried_post_sends_its_body_again(
    mode: str, body: str, retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/echo", method="POST").respond_with_json({}, status=401)
    httpserver.expect_ordered_request("/echo", method="POST").respond_with_json({"ok": True})
    auth = TokenAuth(valid_manager(retently_server))
    url = httpserver.url_for("/echo")
    headers = {"X-Trace": "t-1", "Content-Type": "application/json"}
    kwargs: dict[str, object] = {"json": {"n": 1}} if body == "json" else {"content": b'{"n": 1}'}
    if mode == "sync":
        if body == "stream":
            kwargs = {"content": chunks()}
        with httpx.Client(auth=auth, timeout=BOUND) as client:
            response = client.post(url, headers=headers, **kwargs)  # type: ignore[arg-type]
    else:

        async def agen() -> object:
            yield b'{"n": '
            yield b"1}"

        if body == "stream":
            kwargs = {"content": agen()}

        async def post() -> httpx.Response:
            async with httpx.AsyncClient(auth=auth, timeout=BOUND) as client:
                return await client.post(url, headers=headers, **kwargs)  # type: ignore[arg-type]

        response = run(post())
    assert response.status_code == 200
    assert len(httpserver.log) == 2
    for request, _ in httpserver.log:
        assert request.get_json() == {"n": 1}
        assert request.headers["X-Trace"] == "t-1"


@pytest.mark.parametrize("mode", MODES)
def test_api_key_credentials_are_sent_and_never_retried(
    mode: str, retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    assert get(mode, TokenAuth(ApiKeyAuth(retently_server.api_key)), retently_server.api_url).status_code == 200

    httpserver.expect_request("/api/v2/customers").respond_with_json({}, status=401)
    response = get(mode, TokenAuth(ApiKeyAuth("wrong-key")), httpserver.url_for("/api/v2/customers"))
    assert response.status_code == 401
    assert len(httpserver.log) == 1  # an API key cannot be refreshed: no retry
    assert httpserver.log[0][0].headers["Authorization"] == "api_key=wrong-key"


@pytest.mark.parametrize("mode", MODES)
def test_a_401_from_another_origin_after_a_redirect_refreshes_nothing(
    mode: str, retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    """httpx drops the header on a redirect to another origin; that origin's 401 is not our token's rejection."""
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": retently_server.api_url})
    manager = valid_manager(retently_server)
    response = get(mode, TokenAuth(manager), httpserver.url_for("/go"), follow_redirects=True)
    assert response.status_code == 401
    assert retently_server.counts["api_unauthorized"] == 1  # reached without our header
    assert retently_server.counts["refresh_token"] == 1  # the setup's only
    assert len(httpserver.log) == 1


class Custom:
    """An authorizer of one's own: a header value that may not go into a header, and no cached path."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.reauthorized: list[str] = []

    def authorization(self) -> str:
        return self.value

    def reauthorize(self, rejected_authorization: str) -> str | None:
        self.reauthorized.append(rejected_authorization)
        return None


@pytest.mark.parametrize("mode", MODES)
def test_a_custom_authorizer_without_a_cached_path(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json({}, status=401)
    custom = Custom("Token custom-1")
    assert get(mode, TokenAuth(custom), httpserver.url_for("/x")).status_code == 401
    assert custom.reauthorized == ["Token custom-1"]
    assert httpserver.log[0][0].headers["Authorization"] == "Token custom-1"


def test_bad_authorizers_and_header_values(httpserver: HTTPServer) -> None:
    with pytest.raises(ArgumentError, match="authorization"):
        TokenAuth(object())  # type: ignore[arg-type]
    httpserver.expect_request("/x").respond_with_json({})
    secret = "secret-value-after-a-newline"
    for mode in MODES:
        with pytest.raises(ArgumentError, match="line break") as caught:
            get(mode, TokenAuth(Custom(f"Bearer x\n{secret}")), httpserver.url_for("/x"))
        assert secret not in str(caught.value) and secret not in repr(caught.value)
    assert len(httpserver.log) == 0


def secrets_of(server: RetentlyServer) -> list[str]:
    """Every secret the server knows of: client secret, API key, each access and refresh token it issued."""
    issued = [value for pair in server.issued_pairs() for value in pair]
    return [server.client_secret, server.api_key, *issued]


def unknown_refresh_token(server: RetentlyServer) -> tuple[TokenManager, str]:
    """A manager whose (due) token's refresh token the server never issued, and that refresh token."""
    token = fresh_token(server)
    refresh_token = "never-issued-refresh-token-0123456789"
    spent = Token(access_token=token.access_token, refresh_token=refresh_token, expires_at=token.expires_at)
    return manager_with(server, token=due(spent)), refresh_token


@pytest.mark.parametrize("mode", MODES)
def test_no_secret_in_reprs_logs_or_errors(
    mode: str, retently_server: RetentlyServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    manager = valid_manager(retently_server)
    auth = TokenAuth(manager)
    retently_server.expire_access_tokens()
    response = get(mode, auth, retently_server.api_url)
    assert response.status_code == 200
    key_auth = TokenAuth(ApiKeyAuth(retently_server.api_key))
    assert get(mode, key_auth, retently_server.api_url).status_code == 200
    texts = [caplog.text, repr(auth), str(auth), repr(key_auth), str(key_auth), repr(response.request)]
    texts += [repr(response.request.headers), repr(response.history[0].request.headers)]

    # a refresh token the server does not accept: the user must log in again, and the error says only that
    lost, refresh_token = unknown_refresh_token(retently_server)
    with pytest.raises(ReauthorizationRequired) as caught:
        get(mode, TokenAuth(lost), retently_server.api_url)
    texts += [str(caught.value), repr(caught.value), repr(TokenAuth(lost)), caplog.text]

    joined = "\n".join(texts)
    assert "401" in caplog.text  # the retry was logged, without a secret
    for secret in [*secrets_of(retently_server), refresh_token]:
        assert secret not in joined


def test_threads_and_an_async_client_share_one_manager(retently_server: RetentlyServer) -> None:
    """A sync client in threads and an async client on a loop, both expired at once: still one refresh."""
    manager = manager_with(retently_server)
    auth = TokenAuth(manager)
    results: list[int] = []

    async def tasks() -> list[int]:
        async with httpx.AsyncClient(auth=auth, timeout=BOUND) as client:
            responses = await asyncio.gather(*(client.get(retently_server.api_url) for _ in range(16)))
        return [response.status_code for response in responses]

    def loop_thread() -> None:
        results.extend(asyncio.run(asyncio.wait_for(tasks(), BOUND)))

    thread = threading.Thread(target=loop_thread)
    with httpx.Client(auth=auth, timeout=BOUND) as client:
        call: Callable[[], object] = lambda: client.get(retently_server.api_url).status_code  # noqa: E731
        thread.start()
        statuses = in_threads(16, call)
    thread.join(BOUND)
    assert not thread.is_alive()
    assert statuses == [200] * 16 and results == [200] * 16
    assert retently_server.counts["refresh_token"] == 2
