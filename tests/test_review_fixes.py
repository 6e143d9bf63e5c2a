"""Defects found in review, each pinned by a test against a real loopback server."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator

import pytest
from urllib3.util import Timeout

from retently_oauth import ApiKeyAuth, AuthorizedHTTP, OAuthClient, TokenManager, Transport, TransportConfig
from retently_oauth.exceptions import ArgumentError, StoreError
from retently_oauth.testing import RetentlyServer

from .dbservers import free_port


@pytest.fixture(scope="module")
def server() -> Iterator[RetentlyServer]:
    with RetentlyServer() as running:
        yield running


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_no_total_timeout_and_no_socket_timeout_is_not_an_overflow_error(server: RetentlyServer, host: str) -> None:
    """total_timeout=math.inf is documented as "no limit"; with timeout=Timeout(None) the socket (and the name
    lookup's wait) was handed math.inf, and an OverflowError escaped."""
    http = AuthorizedHTTP(ApiKeyAuth("k"), total_timeout=math.inf)
    url = server.api_url.replace("127.0.0.1", host)
    response = http.request("GET", url, timeout=Timeout(connect=None, read=None))
    assert response.status == 401


@pytest.mark.parametrize("seconds", [math.inf, 1e300])
def test_huge_transport_timeouts_without_a_total_are_not_an_overflow_error(
    server: RetentlyServer, seconds: float
) -> None:
    """TransportConfig accepts any positive connect/read timeout; with no total limit it reached settimeout()."""
    config = TransportConfig(connect_timeout=seconds, read_timeout=seconds, total_timeout=math.inf)
    assert Transport(config).request("GET", server.api_url).status == 401


@pytest.mark.parametrize("port", ["\u00b2", "9" * 5000])
def test_a_no_proxy_port_that_is_no_number_is_ignored_not_a_value_error(server: RetentlyServer, port: str) -> None:
    """NO_PROXY="host:²" (a Unicode digit) or 5000 digits: int() raised ValueError out of Transport.request. The
    entry's port is not a number, so it matches the host on any port (as documented) and the request goes direct."""
    environ = {"HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": f"127.0.0.1:{port} [::1]:{port}"}
    assert Transport(environ=environ).request("GET", server.api_url).status == 401


def test_a_thread_waiting_for_another_threads_refresh_with_a_huge_total_timeout_gets_the_token() -> None:
    """TransportConfig(total_timeout=1e300) is accepted; a thread that found a refresh running waited with
    Event.wait(1e300), an OverflowError instead of the leader's token."""
    with RetentlyServer() as server:
        transport = Transport(TransportConfig(total_timeout=1e300))
        client = OAuthClient(server.client_id, server.client_secret, endpoints=server.endpoints, transport=transport)
        manager = TokenManager(client, refresh_token=server.issue_refresh_token())
        outcomes: list[object] = []

        def leader() -> None:
            outcomes.append(manager.access_token())

        with server.hold_token_requests():
            thread = threading.Thread(target=leader, daemon=True)
            thread.start()
            assert server.wait_for("held", timeout=10)
            follower: list[object] = []
            waiter = threading.Thread(target=lambda: follower.append(_outcome(manager.access_token)), daemon=True)
            waiter.start()
            waiter.join(timeout=0.5)  # the follower is waiting on the flight (or already failed)
        thread.join(timeout=10)
        waiter.join(timeout=10)
        assert not thread.is_alive() and not waiter.is_alive()
        assert follower == outcomes


def _outcome(call: Callable[[], str]) -> object:
    try:
        return call()
    except Exception as exc:  # the test compares outcomes: an exception is one
        return exc


@pytest.mark.parametrize("name", ["connect_timeout", "socket_timeout", "lock_timeout", "lock_ttl"])
def test_a_redis_store_timeout_too_large_for_a_socket_is_ours_not_an_overflow_error(name: str) -> None:
    """connect_timeout=1e300 was accepted (finite) and redis-py's settimeout() raised OverflowError from load()."""
    pytest.importorskip("redis", reason="redis-py is not installed (extra retently-oauth[redis])")
    from retently_oauth.store_redis import RedisStore

    with pytest.raises((ArgumentError, StoreError)):
        RedisStore(f"redis://127.0.0.1:{free_port()}/0", **{name: 1e300}).load()
