"""Issue 9, AuthorizedHTTP: a total time per call, header values checked by us, no redirect to another origin,
a decoded-size cap. Real loopback servers only; raw sockets where a well-behaved server cannot misbehave enough."""

from __future__ import annotations

import functools
import gzip
import json
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from retently_oauth import (
    ApiKeyAuth,
    ArgumentError,
    AuthorizedHTTP,
    Endpoints,
    OAuthClient,
    ResponseFormatError,
    RetentlyOAuthError,
    Token,
    TokenManager,
    TransportError,
)
from retently_oauth.store import MemoryStore
from retently_oauth.testing import RetentlyServer
from retently_oauth.tokens import utcnow

from .helpers import call_within
from .rawservers import RawConnection, RawServer, dribble_headers, drip_body, respond, response_bytes, sequence
from .support import client_for, fresh_token, manager_with

SECRET_KEY = "KEY-Zq7Lm2Xv9Kp4"


# item 2: a total time for each call -----------------------------------------------------------------------------


def test_a_drip_fed_body_ends_in_transport_error_within_the_total_timeout() -> None:
    with RawServer(drip_body(0.5, body=b"x" * 1000)) as server:
        http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=server.url("/"), total_timeout=3)

        def get(preload: bool) -> object:
            return call_within(5, functools.partial(http.get, "/api/v2/customers", preload_content=preload))

        with ThreadPoolExecutor(2) as pool:  # read at once and streamed, side by side
            outcomes = list(pool.map(get, (True, False)))
        for outcome in outcomes:
            assert isinstance(outcome, TransportError), outcome
            assert "total timeout" in str(outcome)


def test_dribbled_headers_end_in_transport_error_within_the_total_timeout() -> None:
    with RawServer(dribble_headers(0.5)) as server:
        http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=server.url("/"), total_timeout=3)
        outcome = call_within(5, lambda: http.get("/api/v2/customers"))
        assert isinstance(outcome, TransportError), outcome


def test_the_401_refresh_and_retry_share_one_total_timeout() -> None:
    """A slow 401, a refresh, then a drip-fed retry: the whole call ends within the one budget."""

    def slow_401(conn: RawConnection) -> None:
        if conn.read_request() is not None and not conn.server.stopped.wait(1.5):
            conn.send(response_bytes(401))

    with RawServer(sequence(slow_401, drip_body(0.5, body=b"x" * 100))) as server, RetentlyServer() as oauth:
        manager = manager_with(oauth, token=fresh_token(oauth))
        http = AuthorizedHTTP(manager, base_url=server.url("/"), total_timeout=3)
        outcome = call_within(5, lambda: http.get("/api/v2/customers"))
        assert isinstance(outcome, TransportError), outcome
        assert oauth.counts["refresh_token"] == 2  # the setup's and the 401's
        assert len(server.requests) == 2


def test_a_drip_fed_refresh_after_a_401_ends_within_the_call_s_total_timeout(httpserver: HTTPServer) -> None:
    """The API says 401; the token endpoint then drips its answer: the transport's own budget is 60 s, the call's
    3 s, and the call's wins."""
    httpserver.expect_request("/api/v2/customers").respond_with_json({"error": "invalid_token"}, status=401)
    with RawServer(drip_body(0.5)) as token_server:
        endpoints = Endpoints(authorize_url=token_server.url("/authorize"), token_url=token_server.url("/token"))
        client = OAuthClient("client-id", "client-secret-Zq7Lm2Xv9Kp4", None, endpoints=endpoints)
        token = Token(access_token="a-Zq7Lm2Xv9Kp4", refresh_token="r-Zq7Lm2Xv9Kp4", expires_at=utcnow() + timedelta(1))
        manager = TokenManager(client, MemoryStore(), token=token)
        http = AuthorizedHTTP(manager, base_url=httpserver.url_for("/"), total_timeout=3)
        outcome = call_within(5, lambda: http.get("/api/v2/customers"))
        assert isinstance(outcome, TransportError), outcome
        assert len(token_server.requests) == 1


@pytest.mark.parametrize("retry_after", ["3600", "9" * 5000, "Fri, 31 Dec 9999 23:59:59 GMT", "soon"])
def test_retry_after_waits_stay_within_the_total_timeout(retry_after: str) -> None:
    """urllib3's default retries honour Retry-After on a 503: never beyond the call's budget, never an untyped
    error for a value of thousands of digits."""
    with RawServer(respond(503, headers={"Retry-After": retry_after})) as server:
        http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=server.url("/"), total_timeout=2)
        outcome = call_within(4, lambda: http.get("/api/v2/customers"))
        assert isinstance(outcome, TransportError) or getattr(outcome, "status", None) == 503, outcome


def test_total_timeout_is_checked() -> None:
    for bad in (0, -1, float("nan"), "3", True):
        with pytest.raises(ArgumentError, match="total_timeout"):
            AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), total_timeout=bad)  # type: ignore[arg-type]


# item 5: header values checked by us, never echoed ---------------------------------------------------------------


def _assert_no_secret(exc: BaseException, *secrets: str) -> None:
    text = f"{exc} {exc!r} {exc.args!r} {exc.__cause__!r} {exc.__context__!r}"
    for secret in secrets:
        for form in (secret, secret.encode().hex(), repr(secret.encode())):
            assert form not in text, text


def test_an_api_key_with_a_newline_is_refused_without_showing_it(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json({})
    with pytest.raises(ArgumentError) as info:
        http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY + "\n"), base_url=httpserver.url_for("/"))
        http.get("/x")
    assert "line break" in str(info.value)
    _assert_no_secret(info.value, SECRET_KEY)
    assert len(httpserver.log) == 0


def test_a_bearer_token_with_a_newline_is_refused_without_showing_it(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json({})
    with RetentlyServer() as oauth:
        secret = "tok-Zq7Lm2Xv9Kp4"
        token = Token(
            access_token=secret + "\r\nX-Evil: 1",
            refresh_token="r-Zq7Lm2Xv9Kp4",
            expires_at=utcnow() + timedelta(days=1),
        )
        manager = TokenManager(client_for(oauth), MemoryStore(), token=token)
        http = AuthorizedHTTP(manager, base_url=httpserver.url_for("/"))
        with pytest.raises(RetentlyOAuthError) as info:
            http.get("/x")
        assert "line break" in str(info.value)
        _assert_no_secret(info.value, secret, "X-Evil")
    assert len(httpserver.log) == 0


def test_a_caller_header_with_a_newline_is_refused_without_showing_it(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json({})
    http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=httpserver.url_for("/"))
    for headers in ({"X-Trace": "trace-Zq7Lm2Xv9Kp4\nX-Evil: 1"}, {"X-Bad\nName": "trace-Zq7Lm2Xv9Kp4"}):
        with pytest.raises(ArgumentError) as info:
            http.get("/x", headers=headers)
        _assert_no_secret(info.value, "trace-Zq7Lm2Xv9Kp4", SECRET_KEY)
    assert len(httpserver.log) == 0


# item 7: redirects and origins ------------------------------------------------------------------------------------


@pytest.fixture
def other_origin() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def test_a_redirect_to_another_origin_is_not_followed_and_causes_no_refresh(
    httpserver: HTTPServer, other_origin: HTTPServer
) -> None:
    other_origin.expect_request("/steal").respond_with_json({"error": "invalid_token"}, status=401)
    httpserver.expect_request("/api/v2/customers").respond_with_response(
        Response(status=307, headers={"Location": other_origin.url_for("/steal")})
    )
    with RetentlyServer() as oauth:
        manager = manager_with(oauth, token=fresh_token(oauth))
        for follow in (False, True):
            http = AuthorizedHTTP(manager, base_url=httpserver.url_for("/"), follow_redirects=follow)
            response = http.post("/api/v2/customers", body=b"payload-Zq7Lm2Xv9Kp4", headers={"X-Custom": "c"})
            assert response.status == 307
        assert len(other_origin.log) == 0
        assert oauth.counts["refresh_token"] == 1  # the setup's only


def test_redirects_are_not_followed_by_default_and_same_origin_ones_on_request(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_response(Response(status=302, headers={"Location": "/new"}))
    httpserver.expect_request("/new").respond_with_handler(
        lambda request: Response(json.dumps({"auth": request.headers.get("Authorization")}), status=200)
    )
    http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=httpserver.url_for("/"))
    assert http.get("/old").status == 302
    assert [request.path for request, _ in httpserver.log] == ["/old"]
    following = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=httpserver.url_for("/"), follow_redirects=True)
    response = following.get("/old")
    assert response.status == 200
    assert response.json() == {"auth": f"api_key={SECRET_KEY}"}


def test_a_redirect_loop_ends(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_response(Response(status=302, headers={"Location": "/loop"}))
    http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=httpserver.url_for("/"), follow_redirects=True)
    with pytest.raises(TransportError, match="redirect"):
        http.get("/loop")
    assert len(httpserver.log) <= 11


def test_an_absolute_url_to_another_origin_is_refused(httpserver: HTTPServer, other_origin: HTTPServer) -> None:
    other_origin.expect_request("/x").respond_with_json({})
    http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=httpserver.url_for("/api/"))
    for url in (other_origin.url_for("/x"), f"//127.0.0.1:{other_origin.port}/x"):
        with pytest.raises(ArgumentError, match="origin"):
            http.get(url)
    assert len(other_origin.log) == 0
    httpserver.expect_request("/api/v2/x").respond_with_json({})
    assert http.get(httpserver.url_for("/api/v2/x")).status == 200  # the same origin, spelled in full


@pytest.mark.parametrize(
    "base_url",
    [
        "http://evil.example:80\\@127.0.0.1/",
        "http://user:pw@127.0.0.1/",
        "http://127.0.0.1/\r\nX: y",
        "https://app.retently.com\t/",
    ],
)
def test_base_url_goes_through_the_hardened_check(base_url: str) -> None:
    with pytest.raises(ArgumentError):
        AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=base_url)


# item 8: decompression bombs ---------------------------------------------------------------------------------------


def _gzip_of_zeros(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(size >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _gzip_of_zeros(64 << 20)  # 64 MiB of zeros in about 64 KiB


def _serve_bytes(httpserver: HTTPServer, path: str, body: bytes, encoding: str) -> None:
    headers = {"Content-Encoding": encoding, "Content-Type": "application/json"}
    httpserver.expect_request(path).respond_with_response(Response(body, status=200, headers=headers))


@pytest.mark.parametrize("preload", [True, False])
def test_a_gzip_bomb_is_cut_at_the_cap(httpserver: HTTPServer, bomb: bytes, preload: bool) -> None:
    _serve_bytes(httpserver, "/bomb", bomb, "gzip")
    http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=httpserver.url_for("/"), max_response_bytes=1 << 20)
    with pytest.raises(ResponseFormatError, match="larger than 1048576 bytes"):
        http.get("/bomb", preload_content=preload)


def test_the_default_cap_holds_too(httpserver: HTTPServer, bomb: bytes) -> None:
    _serve_bytes(httpserver, "/bomb", bomb, "gzip")
    http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=httpserver.url_for("/"))
    with pytest.raises(ResponseFormatError, match="larger than"):
        http.get("/bomb")


def test_a_deflate_bomb_and_a_plain_oversized_body_are_cut(httpserver: HTTPServer) -> None:
    _serve_bytes(httpserver, "/deflate", zlib.compress(bytes(8 << 20)), "deflate")
    httpserver.expect_request("/plain").respond_with_data(bytes(2 << 20))
    http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=httpserver.url_for("/"), max_response_bytes=1 << 20)
    for path in ("/deflate", "/plain"):
        with pytest.raises(ResponseFormatError, match="larger than"):
            http.get(path)


def test_compressed_responses_within_the_cap_read_as_before(httpserver: HTTPServer) -> None:
    document = {"customers": [{"id": f"c-{i}", "email": f"u{i}@example.com"} for i in range(2000)]}
    raw = json.dumps(document).encode()
    _serve_bytes(httpserver, "/gzip", gzip.compress(raw), "gzip")
    _serve_bytes(httpserver, "/deflate", zlib.compress(raw), "deflate")
    _serve_bytes(httpserver, "/rawdeflate", _raw_deflate(raw), "deflate")
    _serve_bytes(httpserver, "/twice", gzip.compress(gzip.compress(raw)), "gzip, gzip")
    http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=httpserver.url_for("/"), max_response_bytes=len(raw))
    for path in ("/gzip", "/deflate", "/rawdeflate", "/twice"):
        response = http.get(path)
        assert response.status == 200
        assert response.json() == document
        streamed = http.get(path, preload_content=False)
        assert b"".join(streamed.stream(4096)) == raw
        assert http.get(path, decode_content=False).data != raw  # the caller asked for the bytes as sent


def test_a_corrupt_gzip_body_is_a_response_format_error(httpserver: HTTPServer) -> None:
    _serve_bytes(httpserver, "/bad", b"\x1f\x8b not gzip at all", "gzip")
    http = AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), base_url=httpserver.url_for("/"))
    with pytest.raises(ResponseFormatError, match="gzip"):
        http.get("/bad")


def test_max_response_bytes_is_checked() -> None:
    for bad in (0, -1, 1.5, "1", True):
        with pytest.raises(ArgumentError, match="max_response_bytes"):
            AuthorizedHTTP(ApiKeyAuth(SECRET_KEY), max_response_bytes=bad)  # type: ignore[arg-type]
