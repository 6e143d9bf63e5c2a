"""The login redirect receiver on its own: real loopback sockets, clients that misbehave on purpose."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import urllib3

from retently_oauth.exceptions import ArgumentError
from retently_oauth.receiver import MAX_CONNECTIONS, ReceiverError, RedirectReceiver, RedirectTimeout

STATE = "s7aTe-0123456789abcdef"
BOUND = 10.0


def get(url: str) -> urllib3.BaseHTTPResponse:
    return urllib3.PoolManager(retries=False).request("GET", url, redirect=False, timeout=BOUND)


def raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


@contextlib.contextmanager
def receiver(**kwargs: object) -> Iterator[RedirectReceiver]:
    with RedirectReceiver(STATE, **kwargs) as running:  # type: ignore[arg-type]
        yield running


def port_of(running: RedirectReceiver) -> int:
    port = urllib3.util.parse_url(running.redirect_uri).port
    assert port is not None
    return port


def test_the_redirect_with_our_state_is_taken() -> None:
    with receiver() as running:
        page = get(f"{running.redirect_uri}?code=abc&state={STATE}")
        assert page.status == 200 and b"Login received" in page.data
        assert running.wait(BOUND) == f"{running.redirect_uri}?code=abc&state={STATE}"
        again = get(f"{running.redirect_uri}?code=other&state={STATE}")
        assert again.status == 200 and b"already received" in again.data
        assert running.wait(BOUND).endswith("code=abc&state=" + STATE)  # the first one stays


def test_an_error_redirect_with_our_state_is_taken_and_its_text_not_echoed() -> None:
    with receiver() as running:
        page = get(f"{running.redirect_uri}?error=access_denied&error_description=%3Cscript%3E&state={STATE}")
        assert page.status == 200 and b"Login not completed" in page.data
        assert b"script" not in page.data and b"access_denied" not in page.data
        assert "error=access_denied" in running.wait(BOUND)


@pytest.mark.parametrize(
    "target",
    [
        "/callback?code=x&state=nope",
        "/callback?code=x",
        "/callback",
        f"/callback?code=x&state={STATE}&state={STATE}",
        "/callback?error=access_denied&state=nope",
        "/callback?error=access_denied",
        "/callback?code=x&state=%ED%A0%80",  # a lone surrogate, percent-encoded
        "/callback?code=x&state=%FF%FE",
    ],
)
def test_a_request_without_exactly_our_state_gets_400_and_is_ignored(target: str) -> None:
    with receiver() as running:
        port = port_of(running)
        page = get(f"http://127.0.0.1:{port}{target}")
        assert page.status == 400
        assert b"does not match" in page.data
        assert running.ignored["wrong_state"] == 1
        with pytest.raises(RedirectTimeout):
            running.wait(0.2)


@pytest.mark.parametrize(
    "target",
    [
        "/favicon.ico",
        "/",
        f"/callbackEVIL?code=x&state={STATE}",
        f"/callback/?state={STATE}",
        f"/CALLBACK?state={STATE}",
    ],
)
def test_any_other_path_gets_404_and_is_ignored(target: str) -> None:
    with receiver() as running:
        page = get(f"http://127.0.0.1:{port_of(running)}{target}")
        assert page.status == 404
        assert running.ignored["not_found"] == 1
        with pytest.raises(RedirectTimeout):
            running.wait(0.2)


def test_malformed_requests_are_answered_and_do_not_end_the_wait() -> None:
    with receiver() as running:
        port = port_of(running)
        for request in (
            b"GET http://[::1/callback HTTP/1.1\r\n\r\n",
            b"GET /callback?state=\xff\xfe HTTP/1.1\r\n\r\n",
            b"POST /callback HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            b"GARBAGE\r\n\r\n",
            b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
        ):
            answer = raw_request(port, request)
            assert b"</h1>" in answer
            assert b"GARBAGE" not in answer and b"aaaa" not in answer and b"::1" not in answer
        with pytest.raises(RedirectTimeout):
            running.wait(0.2)
        assert get(f"{running.redirect_uri}?code=ok&state={STATE}").status == 200
        assert running.wait(BOUND).endswith("code=ok&state=" + STATE)


def test_idle_connections_do_not_block_the_redirect() -> None:
    with receiver(connection_timeout=60) as running:
        idle = [socket.create_connection(("127.0.0.1", port_of(running)), timeout=BOUND) for _ in range(8)]
        try:
            assert get(f"{running.redirect_uri}?code=abc&state={STATE}").status == 200
            assert running.wait(BOUND).endswith("code=abc&state=" + STATE)
        finally:
            for sock in idle:
                sock.close()


def test_an_idle_connection_is_dropped_after_the_connection_timeout() -> None:
    with (
        receiver(connection_timeout=0.5) as running,
        socket.create_connection(("127.0.0.1", port_of(running)), timeout=BOUND) as sock,
    ):
        assert sock.recv(1) == b""  # closed by the receiver, well within the hang guard


def test_stop_returns_at_once_with_idle_and_half_sent_requests_open() -> None:
    running = RedirectReceiver(STATE, connection_timeout=60).start()
    port = port_of(running)
    socks = [socket.create_connection(("127.0.0.1", port), timeout=BOUND) for _ in range(4)]
    socks[0].sendall(b"GET /callback?state=")  # never finished
    time.sleep(0.2)  # let the receiver accept them
    stopper = threading.Thread(target=running.stop)
    stopper.start()
    stopper.join(timeout=5)
    assert not stopper.is_alive()
    for sock in socks:
        sock.settimeout(BOUND)
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(1) == b""  # the receiver dropped it
        sock.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=BOUND).close()


def test_a_connection_flood_is_refused_beyond_the_cap_and_the_redirect_still_arrives() -> None:
    with receiver(connection_timeout=60) as running:
        port = port_of(running)
        flood = [socket.create_connection(("127.0.0.1", port), timeout=BOUND) for _ in range(MAX_CONNECTIONS + 16)]
        try:
            time.sleep(0.3)
            closed = 0
            for sock in flood[MAX_CONNECTIONS:]:
                sock.settimeout(BOUND)
                with contextlib.suppress(ConnectionResetError):
                    closed += sock.recv(1) == b""
            assert closed >= 1
        finally:
            for sock in flood:
                sock.close()
        deadline = time.monotonic() + BOUND
        while True:  # slots come back as the flood's handlers see their sockets closed
            try:
                page = get(f"{running.redirect_uri}?code=abc&state={STATE}")
                break
            except urllib3.exceptions.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert page.status == 200
        assert running.wait(BOUND).endswith("code=abc&state=" + STATE)


def test_wait_times_out_with_a_typed_error() -> None:
    with receiver() as running, pytest.raises(RedirectTimeout, match=r"within 0\.2 s"):
        running.wait(0.2)


def test_a_port_in_use_or_out_of_range_is_a_receiver_error() -> None:
    with receiver() as running, pytest.raises(ReceiverError, match="cannot listen"):
        RedirectReceiver(STATE, port=port_of(running)).start()
    with pytest.raises(ReceiverError, match="out of range"):
        RedirectReceiver(STATE, port=70000).start()


def test_bad_arguments_are_argument_errors() -> None:
    with pytest.raises(ArgumentError):
        RedirectReceiver("")
    with pytest.raises(ArgumentError):
        RedirectReceiver(STATE, path="callback")
    with pytest.raises(ArgumentError):
        RedirectReceiver(STATE, port="80")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        RedirectReceiver(STATE, host="")
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ArgumentError):
            RedirectReceiver(STATE, connection_timeout=bad)


def test_the_state_never_shows_in_repr() -> None:
    with receiver() as running:
        assert STATE not in repr(running)
        assert running.redirect_uri in repr(running)


def test_a_huge_wait_is_capped_not_an_overflow() -> None:
    with receiver() as running:
        pages: list[int] = []
        browser = threading.Timer(0.2, lambda: pages.append(get(f"{running.redirect_uri}?code=a&state={STATE}").status))
        browser.start()
        assert running.wait(1e300).endswith("code=a&state=" + STATE)
        browser.join(timeout=BOUND)
        assert pages == [200]  # the page was sent before the wait ended


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), "5", True])
def test_a_wait_that_is_not_a_positive_number_is_an_argument_error(timeout: object) -> None:
    with receiver() as running, pytest.raises(ArgumentError, match="positive number of seconds"):
        running.wait(timeout)  # type: ignore[arg-type]
