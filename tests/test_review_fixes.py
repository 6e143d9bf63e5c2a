"""Defects found in review, each pinned by a test against a real loopback server."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from urllib3.util import Timeout

from retently_oauth import ApiKeyAuth, AuthorizedHTTP, Transport, TransportConfig
from retently_oauth.testing import RetentlyServer


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
