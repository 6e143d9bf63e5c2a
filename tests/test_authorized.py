"""AuthorizedHTTP over real HTTP: Bearer and api_key headers, one refresh and one retry on 401, the example
downstream client, and a long run against short-lived tokens."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from retently_oauth import (
    ApiKeyAuth,
    ArgumentError,
    AuthorizedHTTP,
    FileStore,
    TransportError,
    structure,
)
from retently_oauth.models import SourceRetently
from retently_oauth.testing import RetentlyServer

from .example_client import Customer, RetentlyAPIError, RetentlyCustomers
from .support import fresh_token, in_threads, manager_with


def test_bearer_header_and_no_refresh_while_valid(retently_server: RetentlyServer) -> None:
    manager = manager_with(retently_server, token=fresh_token(retently_server))
    http = AuthorizedHTTP(manager, base_url=retently_server.base_url)
    for _ in range(5):
        assert http.get("/api/v2/customers").status == 200
    assert retently_server.counts["refresh_token"] == 1  # the setup's
    assert http.pool is manager.client.transport.pool  # API calls and refreshes share connections


def test_a_401_refreshes_once_and_the_retry_succeeds(retently_server: RetentlyServer) -> None:
    manager = manager_with(retently_server, token=fresh_token(retently_server))
    http = AuthorizedHTTP(manager, base_url=retently_server.base_url)
    old = manager.access_token()
    retently_server.expire_access_tokens()  # revoked early: our clock still thinks the token is good
    response = http.get("/api/v2/customers")
    assert response.status == 200
    assert retently_server.counts["api_unauthorized"] == 1
    assert retently_server.counts["api"] == 2
    assert retently_server.counts["refresh_token"] == 2
    assert manager.access_token() != old


def test_a_second_401_is_returned_not_looped_on(retently_server: RetentlyServer, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v2/customers").respond_with_json({"error": "invalid_token"}, status=401)
    manager = manager_with(retently_server, token=fresh_token(retently_server))
    http = AuthorizedHTTP(manager, base_url=httpserver.url_for("/"))
    response = http.get("/api/v2/customers")
    assert response.status == 401
    assert len(httpserver.log) == 2  # the request and its one retry
    sent = [request.headers["Authorization"] for request, _ in httpserver.log]
    assert sent[0] != sent[1] and all(header.startswith("Bearer ") for header in sent)
    assert retently_server.counts["refresh_token"] == 2  # the setup's and exactly one more


def test_32_threads_rejected_together_cause_one_refresh(retently_server: RetentlyServer) -> None:
    manager = manager_with(retently_server, token=fresh_token(retently_server))
    http = AuthorizedHTTP(manager, base_url=retently_server.base_url)
    http.get("/api/v2/customers")
    retently_server.expire_access_tokens()
    statuses = in_threads(32, lambda: http.get("/api/v2/customers").status)
    assert statuses == [200] * 32
    assert retently_server.counts["refresh_token"] == 2


def test_api_key_credentials(retently_server: RetentlyServer, httpserver: HTTPServer) -> None:
    config = structure({"credentials": {"api_key": retently_server.api_key}}, SourceRetently)
    http = AuthorizedHTTP.from_credentials(config, base_url=retently_server.base_url)
    assert isinstance(http.auth, ApiKeyAuth)
    assert http.get("/api/v2/customers").status == 200

    httpserver.expect_request("/api/v2/customers").respond_with_json({}, status=401)
    wrong = AuthorizedHTTP(ApiKeyAuth("wrong-key"), base_url=httpserver.url_for("/"))
    assert wrong.get("/api/v2/customers").status == 401
    assert len(httpserver.log) == 1  # an API key cannot be refreshed: no retry
    assert httpserver.log[0][0].headers["Authorization"] == "api_key=wrong-key"


def test_request_bodies_and_headers_are_sent_on_the_retry_too(
    retently_server: RetentlyServer, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/echo").respond_with_json({}, status=401)
    httpserver.expect_ordered_request("/echo").respond_with_json({"ok": True})
    manager = manager_with(retently_server, token=fresh_token(retently_server))
    http = AuthorizedHTTP(manager, base_url=httpserver.url_for("/"))
    response = http.post("/echo", json={"n": 1}, headers={"X-Trace": "t-1"})
    assert response.status == 200
    for request, _ in httpserver.log:
        assert request.get_json() == {"n": 1}
        assert request.headers["X-Trace"] == "t-1"


def test_bad_arguments_and_transport_failures(retently_server: RetentlyServer) -> None:
    manager = manager_with(retently_server, token=fresh_token(retently_server))
    with pytest.raises(ArgumentError, match="https"):
        AuthorizedHTTP(manager, base_url="http://api.example.com")
    http = AuthorizedHTTP(manager)
    with pytest.raises(ArgumentError, match="https"):
        http.get("http://api.example.com/v2/customers")  # a bearer token never goes out in clear text
    with pytest.raises(ArgumentError, match="stream"):
        http.post(f"{retently_server.base_url}/x", body=iter([b"a"]))
    with pytest.raises(ArgumentError, match="authorization"):
        AuthorizedHTTP(object())  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        ApiKeyAuth("")
    with pytest.raises(TransportError, match="refused"):
        http.get("http://127.0.0.1:9/", retries=False)


def test_example_downstream_client(tmp_path: Path) -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        config = structure(
            {
                "credentials": {
                    "auth_type": "Client",
                    "client_id": server.client_id,
                    "client_secret": server.client_secret,
                    "refresh_token": server.issue_refresh_token(),
                }
            },
            SourceRetently,
        )
        store = FileStore(tmp_path / "creds.json")
        customers = RetentlyCustomers.from_config(
            config, store=store, base_url=server.base_url, endpoints=server.endpoints
        )
        assert customers.list() == [Customer("c-1", "ada@example.com"), Customer("c-2", "alan@example.com")]
        # a later run with the same (now spent) config refresh token goes on from the store's rotated one
        server.expire_access_tokens()
        again = RetentlyCustomers.from_config(
            config, store=FileStore(tmp_path / "creds.json"), base_url=server.base_url, endpoints=server.endpoints
        )
        assert len(again.list()) == 2
        assert server.counts["refresh_token"] == 2

        api_token = structure({"credentials": {"api_key": server.api_key}}, SourceRetently)
        assert len(RetentlyCustomers.from_config(api_token, base_url=server.base_url).list()) == 2
        bad = structure({"credentials": {"api_key": "nope"}}, SourceRetently)
        with pytest.raises(RetentlyAPIError, match="401"):
            RetentlyCustomers.from_config(bad, base_url=server.base_url).list()


def test_short_lived_tokens_for_20_seconds() -> None:
    """expires_in=3: the client calls the API continuously and never sees a 401; the server sees one refresh
    per window (the leeway is capped at half of the 3 s lifetime, so a new token every ~1.5 s), no more."""
    lifetime, seconds = 3, 20.0
    with RetentlyServer(expires_in=lifetime) as server:
        refreshed_at: list[float] = []
        manager = manager_with(
            server, token=fresh_token(server), on_refresh=lambda token: refreshed_at.append(time.monotonic())
        )
        http = AuthorizedHTTP(manager, base_url=server.base_url)
        statuses: list[int] = []
        stop = time.monotonic() + seconds

        def call_continuously() -> None:
            while time.monotonic() < stop:
                statuses.append(http.get("/api/v2/customers").status)

        threads = [threading.Thread(target=call_continuously) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 30)
        assert statuses and set(statuses) == {200}
        assert server.counts["api_unauthorized"] == 0
        windows = seconds / (lifetime / 2)
        refreshes = server.counts["refresh_token"] - 1  # less the setup's
        assert refreshes == len(refreshed_at)
        assert windows - 2 <= refreshes <= windows + 1, f"{refreshes} refreshes in {seconds} s"
        gaps = [b - a for a, b in itertools.pairwise(refreshed_at)]
        assert min(gaps) > lifetime / 2 - 0.5, f"two refreshes {min(gaps):.2f} s apart"
        print(f"\n{len(statuses)} API calls in {seconds:g} s, {refreshes} refreshes, no 401")


def test_reprs_hold_no_secrets(retently_server: RetentlyServer) -> None:
    manager = manager_with(retently_server, token=fresh_token(retently_server))
    token = manager.token()
    http = AuthorizedHTTP(manager)
    key = ApiKeyAuth("secret-api-key-value")
    text = " ".join([repr(manager), str(manager), repr(http), repr(key), str(key), repr(token), repr(manager.store)])
    for secret in (token.access_token, token.refresh_token, retently_server.client_secret, "secret-api-key-value"):
        assert secret is not None and secret not in text
