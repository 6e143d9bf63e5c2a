"""Issue 9, transport and URLs: parser-consistent URL checks, a total deadline, retries only where nothing was
processed, header values checked by us, any Retry-After survived, proxies from the environment, named TLS failures.

Every test talks to real loopback servers (raw sockets from `rawservers` where a server must misbehave)."""

from __future__ import annotations

import math
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import attrs
import pytest
import urllib3
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.util import Timeout

from retently_oauth.deadline import Deadline
from retently_oauth.endpoints import Endpoints, check_url
from retently_oauth.exceptions import ArgumentError, ResponseFormatError, RetentlyOAuthError, TransportError
from retently_oauth.flows import OAuthClient
from retently_oauth.headers import check_header_value, check_headers
from retently_oauth.proxies import ProxySettings, bypasses
from retently_oauth.transport import Transport, TransportConfig, parse_retry_after
from retently_oauth.watchdog import current_deadline, deadline_scope

from .rawservers import (
    Handler,
    RawServer,
    dribble_headers,
    drip_body,
    never_answer,
    recording_proxy,
    respond,
    sequence,
    token_ok,
)

FAST = TransportConfig(connect_timeout=1.0, read_timeout=2.0, retries=2, backoff_factor=0.01, retry_after_max=0.2)
SECRET = "Rt-SECRET-refresh-0123456789"
CLIENT_SECRET = "Cs-SECRET-client-9876543210"


def client(url: str, config: TransportConfig = FAST, **transport_kw: object) -> OAuthClient:
    return OAuthClient(
        "cid",
        CLIENT_SECRET,
        "http://127.0.0.1/cb",
        endpoints=Endpoints(url, url),
        transport=Transport(config, **transport_kw),  # type: ignore[arg-type]
    )


# item 1: URLs ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "http://evil.example:80\\@127.0.0.1:{port}/t",
        "http://127.0.0.1:{other}\\@localhost:{port}/t",
        "http://user:pw@127.0.0.1:{port}/t",
        "http://127.0.0.1:{port}/t\r\nX-Injected: 1",
        "http://127.0.0.1:{port}/t x",
        "http://127.0.0.1:{port}/t\x00",
        "https://bücher.example/t",
        "http://:{port}/t",
        "https:///t",
    ],
)
def test_urls_parsers_could_disagree_on_are_refused(template: str) -> None:
    with RawServer(token_ok()) as target, RawServer(token_ok()) as other:
        url = template.format(port=target.port, other=other.port)
        with pytest.raises(ArgumentError) as info:
            Endpoints(authorize_url="https://example.com/a", token_url=url)
        message = str(info.value)
        assert "token_url" in message
        assert "evil" not in message and "pw" not in message and str(target.port) not in message
        with pytest.raises(ArgumentError):
            Transport(FAST).request("POST", url, body=b"refresh_token=" + SECRET.encode())
        assert target.requests == [] and other.requests == []


def test_check_url_keeps_the_loopback_rule() -> None:
    assert check_url("http://127.0.0.1:8/t", "u") == "http://127.0.0.1:8/t"
    assert check_url("http://localhost/t", "u") == "http://localhost/t"
    assert check_url("http://[::1]:8/t", "u") == "http://[::1]:8/t"
    assert check_url("https://api.example/a@b?x=%20", "u")
    for url in ("http://example.com/", "http://127.0.0.2/", "ftp://example.com/", "//example.com/", 5):
        with pytest.raises(ArgumentError, match=r"^u "):
            check_url(url, "u")  # type: ignore[arg-type]


# item 2: total timeout --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("handler", [drip_body(0.5), dribble_headers(0.5), never_answer()], ids=lambda h: "")
def test_total_timeout_bounds_slow_servers(handler: object) -> None:
    config = attrs.evolve(FAST, read_timeout=2.0, total_timeout=3.0)
    with RawServer(handler) as server:  # type: ignore[arg-type]
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            client(server.url(), config).refresh(SECRET)
        assert time.monotonic() - started < 5
        assert SECRET not in str(info.value)
        assert len(server.requests) == 1  # a slow answer is not a reason to send the token again


def test_drip_fed_body_through_the_transport_names_the_total_timeout() -> None:
    config = attrs.evolve(FAST, total_timeout=1.5)
    with RawServer(drip_body(0.3)) as server:
        started = time.monotonic()
        with pytest.raises(TransportError, match=r"total timeout of 1\.5 s"):
            Transport(config).request("GET", server.url("/x"))
        assert time.monotonic() - started < 4


def test_total_timeout_with_a_callers_used_pool() -> None:
    """A pool already in use keeps its own connection classes (no watchdog): the body is read in chunks, each read
    cut to the time left, and the deadline still holds."""
    pool = urllib3.PoolManager()
    with RawServer(drip_body(0.3)) as server, RawServer(respond(204)) as warmup:
        pool.request("GET", warmup.url("/"))
        transport = Transport(attrs.evolve(FAST, total_timeout=1.5, read_timeout=30.0), pool=pool)
        started = time.monotonic()
        with pytest.raises(TransportError, match="total timeout"):
            transport.request("GET", server.url("/x"))
        assert time.monotonic() - started < 4


def test_retry_waits_count_against_the_total_timeout() -> None:
    config = attrs.evolve(FAST, retries=5, retry_after_max=30.0, total_timeout=2.0)
    with RawServer(respond(503, headers={"Retry-After": "20"})) as server:
        started = time.monotonic()
        with pytest.raises(ResponseFormatError) as info:
            client(server.url(), config).refresh(SECRET)
        assert time.monotonic() - started < 4
        assert info.value.status == 503
        assert len(server.requests) == 1  # a 20 s wait does not fit in 2 s: the 503 is the answer


def test_an_enclosing_deadline_scope_wins_when_it_ends_sooner() -> None:
    with RawServer(drip_body(0.3)) as server:
        started = time.monotonic()
        with deadline_scope(Deadline.after(1.5)), pytest.raises(TransportError, match=r"total timeout of 1\.5 s"):
            Transport(attrs.evolve(FAST, total_timeout=60)).request("GET", server.url("/x"))
        assert time.monotonic() - started < 4
        assert current_deadline() is None


def test_host_names_resolve_within_the_deadline() -> None:
    """A host name (not an IP) goes through the bounded resolver, trying each address it gives in turn."""
    with RawServer(sequence(token_ok(), respond(200, body=b"{}"))) as server:
        url = f"http://localhost:{server.port}/token"
        assert client(url).refresh(SECRET).access_token == "raw-access-token"
        assert Transport(FAST).request("GET", url).status == 200
        assert len(server.requests) == 2


def test_deadline_value() -> None:
    deadline = Deadline.after(5)
    assert 0 < deadline.remaining() <= 5 and not deadline.expired()
    capped = deadline.timeout_for(Timeout(connect=30, read=30))
    assert isinstance(capped.connect_timeout, float) and capped.connect_timeout <= 5
    assert deadline.cap(100) <= 5 and deadline.cap(0.5) == 0.5
    assert Deadline.after(math.inf).remaining() == math.inf
    past = Deadline(at=time.monotonic() - 1, total=1)
    assert past.expired() and past.remaining() == 0 and past.cap(3) > 0
    with pytest.raises(TransportError, match="total timeout of 1 s"):
        past.check("thing")
    for bad in (0, -1, math.nan, "5", True):
        with pytest.raises(ArgumentError):
            Deadline.after(bad)  # type: ignore[arg-type]
        with pytest.raises(ArgumentError):
            TransportConfig(total_timeout=bad)  # type: ignore[arg-type]


# item 4: retry only what provably was not processed -------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_errors_after_the_body_was_read_are_not_retried(status: int) -> None:
    with RawServer(sequence(respond(status, body=b"<html>gateway</html>"), token_ok())) as server:
        with pytest.raises(ResponseFormatError) as info:
            client(server.url()).refresh(SECRET)
        assert info.value.status == status
        assert f"HTTP {status}" in str(info.value)
        assert len(server.requests) == 1
        assert SECRET.encode() in server.requests[0].body  # it was spent once, and only once


def test_read_timeout_is_not_retried() -> None:
    with RawServer(never_answer()) as server:
        with pytest.raises(TransportError, match="timed out"):
            client(server.url(), attrs.evolve(FAST, read_timeout=0.3)).refresh(SECRET)
        assert len(server.requests) == 1


@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_with_retry_after_zero_are_retried(status: int) -> None:
    with RawServer(sequence(respond(status, headers={"Retry-After": "0"}), token_ok())) as server:
        assert client(server.url()).refresh(SECRET).access_token == "raw-access-token"
        assert len(server.requests) == 2


def test_dropped_connection_after_sending_is_not_retried() -> None:
    def drop(conn: object) -> None:
        conn.read_request()  # type: ignore[attr-defined]

    with RawServer(sequence(drop, token_ok())) as server:
        with pytest.raises(TransportError, match="dropped"):
            client(server.url()).refresh(SECRET)
        assert len(server.requests) == 1


# item 5: header values -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [f"Bearer {SECRET}\n", f"api_key={SECRET}\r\nX: y", f"{SECRET}\x00", f"{SECRET}\x7f"])
def test_bad_header_values_are_refused_without_repeating_them(value: str) -> None:
    with RawServer(token_ok()) as server:
        with pytest.raises(ArgumentError) as info:
            Transport(FAST).request("GET", server.url("/api"), headers={"Authorization": value})
        message = str(info.value)
        assert SECRET not in message and "Authorization" in message
        assert info.value.__cause__ is None and info.value.__context__ is None
        assert server.requests == []
    with pytest.raises(ArgumentError) as info:
        check_header_value(value, "api_key")
    assert SECRET not in str(info.value)


def test_header_checks() -> None:
    assert check_header_value("Bearer abc\tdef ÿ", "h") == "Bearer abc\tdef ÿ"
    with pytest.raises(ArgumentError, match="outside Latin-1"):
        check_header_value("€", "h")
    with pytest.raises(ArgumentError, match="header name"):
        check_headers({"Bad Name": "v"})
    with pytest.raises(ArgumentError, match="must be a string"):
        check_header_value(b"x", "h")


# item 6: Retry-After of any shape --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["9" * 5000, "-5", "soon", "", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 1900 00:00:00 GMT", "1e9", "³"],
)
def test_any_retry_after_is_survived(value: str) -> None:
    with RawServer(sequence(respond(503, headers={"Retry-After": value}), token_ok())) as server:
        started = time.monotonic()
        token = client(server.url()).refresh(SECRET)
        assert token.access_token == "raw-access-token"
        assert time.monotonic() - started < 5
        assert len(server.requests) == 2


def test_parse_retry_after() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("9" * 5000) == math.inf
    assert parse_retry_after("-1") is None
    assert parse_retry_after("x" * 10_000) is None
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT") > 1e9  # type: ignore[operator]
    assert parse_retry_after("Mon, 01 Jan 1900 00:00:00 GMT") == 0.0
    assert parse_retry_after(None) is None


# also: proxies -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_proxy_from_the_environment_receives_the_token_request(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
    with RawServer(recording_proxy()) as proxy, RawServer(token_ok()) as target:
        monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")
        assert client(target.url()).refresh(SECRET).access_token == "raw-access-token"
        assert [r.target for r in proxy.requests] == [target.url()]
        assert target.requests == []


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", "localhost,127.0.0.0/8", "127.0.0.1:{port}"])
def test_no_proxy_sends_direct(monkeypatch: pytest.MonkeyPatch, no_proxy: str) -> None:
    with RawServer(recording_proxy()) as proxy, RawServer(token_ok()) as target:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", no_proxy.format(port=target.port))
        assert client(target.url()).refresh(SECRET).access_token == "raw-access-token"
        assert proxy.requests == []
        assert len(target.requests) == 1


def test_explicit_proxy_with_credentials_and_trust_env_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with RawServer(recording_proxy()) as proxy, RawServer(token_ok()) as target:
        assert client(target.url(), attrs.evolve(FAST, trust_env=False)).refresh(SECRET).access_token
        assert proxy.requests == [] and len(target.requests) == 1
        config = attrs.evolve(FAST, proxy_url=f"http://user:pr0xy-pw@127.0.0.1:{proxy.port}")
        assert "pr0xy-pw" not in repr(config) and "pr0xy-pw" not in repr(Transport(config))
        assert client(target.url(), config).refresh(SECRET).access_token
        assert proxy.requests[0].headers["proxy-authorization"].startswith("Basic ")
        assert len(target.requests) == 1


def test_unreachable_proxy_is_a_transport_error_without_its_credentials() -> None:
    config = attrs.evolve(FAST, proxy_url="http://user:pr0xy-pw@127.0.0.1:9", retries=0)
    with pytest.raises(TransportError) as info:
        client("http://127.0.0.1:9/t", config).refresh(SECRET)
    assert "pr0xy-pw" not in str(info.value) and "refused" in str(info.value)


def test_no_proxy_matching() -> None:
    entries = ("example.com", ".corp", "10.0.0.0/8", "api.test:8443", "[::1]")
    assert bypasses(entries, "example.com", 443) and bypasses(entries, "a.example.com", 443)
    assert not bypasses(entries, "badexample.com", 443)
    assert bypasses(entries, "x.corp", 80) and bypasses(entries, "10.1.2.3", 80)
    assert bypasses(entries, "api.test", 8443) and not bypasses(entries, "api.test", 443)
    assert bypasses(entries, "[::1]", 80) and not bypasses(entries, "11.0.0.1", 80)
    assert bypasses(("*",), "anything", 1)
    settings = ProxySettings.from_environ({"HTTPS_PROXY": "proxy:3128", "no_proxy": "internal"})
    assert settings is not None
    assert settings.proxy_for("https", "api.example", 443) == "http://proxy:3128"
    assert settings.proxy_for("http", "api.example", 80) is None
    assert settings.proxy_for("https", "internal", 443) is None
    assert ProxySettings.from_environ({"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"}) is None
    for bad in ("socks5://p:1", "http://p:99999", "http://p\\@q"):
        with pytest.raises(ArgumentError):
            TransportConfig(proxy_url=bad)


# also: CA bundles and TLS failures ---------------------------------------------------------------------------------


@attrs.frozen
class Certs:
    ca: Path
    good: tuple[Path, Path]
    expired: tuple[Path, Path]
    wrong_host: tuple[Path, Path]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


OPENSSL = shutil.which("openssl") or "openssl"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    d = tmp_path_factory.mktemp("tls")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    ca_ext = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=t", *ca_ext, cwd=d)
    _openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    made = {}
    for name, san, days in (
        ("good", "IP:127.0.0.1,DNS:localhost", "2"),
        ("expired", "IP:127.0.0.1,DNS:localhost", "-1"),
        ("wrong", "DNS:other.example", "2"),
    ):
        (d / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        _openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", days, "-extfile", f"{name}.ext", cwd=d)  # fmt: skip
        made[name] = (d / f"{name}.pem", d / "leaf.key")
    return Certs(ca=d / "ca.pem", good=made["good"], expired=made["expired"], wrong_host=made["wrong"])


@pytest.fixture
def tls_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    yield


def _tls_server(pair: tuple[Path, Path], handler: Handler | None = None) -> RawServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(pair[0]), str(pair[1]))
    return RawServer(handler or token_ok(), tls=context)


def test_total_timeout_over_tls(certs: Certs, tls_env: None) -> None:
    config = attrs.evolve(FAST, ca_certs=str(certs.ca), total_timeout=2.0)
    for handler in (drip_body(0.3), dribble_headers(0.3)):
        with _tls_server(certs.good, handler) as server:
            started = time.monotonic()
            with pytest.raises(TransportError, match="total timeout"):
                client(server.url(), config).refresh(SECRET)
            assert time.monotonic() - started < 4
            assert len(server.requests) == 1


def test_https_goes_through_the_proxy_as_a_tunnel(certs: Certs, tls_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with RawServer(recording_proxy()) as proxy, _tls_server(certs.good) as target:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with pytest.raises(TransportError, match=r"proxy refused the tunnel \(HTTP 403\)") as info:
            client(target.url(), attrs.evolve(FAST, ca_certs=str(certs.ca))).refresh(SECRET)
        assert SECRET not in str(info.value)
        assert [(r.method, r.target) for r in proxy.requests] == [("CONNECT", f"127.0.0.1:{target.port}")]
        assert target.requests == []  # the stand-in proxy refuses tunnels: nothing went around it


def test_ca_bundle_from_config_and_environment(certs: Certs, tls_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with _tls_server(certs.good) as server:
        assert client(server.url(), attrs.evolve(FAST, ca_certs=str(certs.ca))).refresh(SECRET).access_token
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certs.ca))
        assert client(server.url()).refresh(SECRET).access_token
        with pytest.raises(TransportError, match="unknown issuer"):
            client(server.url(), attrs.evolve(FAST, trust_env=False)).refresh(SECRET)
    with pytest.raises(ArgumentError, match="ca_certs"):
        Transport(attrs.evolve(FAST, ca_certs="/nonexistent/ca.pem"))


@pytest.mark.parametrize(
    ("which", "words"),
    [("good", "unknown issuer"), ("expired", "expired"), ("wrong_host", "does not match its")],
)
def test_tls_failures_say_what_failed(certs: Certs, tls_env: None, which: str, words: str) -> None:
    config = FAST if which == "good" else attrs.evolve(FAST, ca_certs=str(certs.ca))
    with _tls_server(getattr(certs, which)) as server:
        with pytest.raises(TransportError, match=words) as info:
            client(server.url(), config).refresh(SECRET)
        assert SECRET not in str(info.value)
        assert server.requests == []  # nothing was sent over a connection we could not trust


def test_every_error_is_ours(tls_env: None) -> None:
    bad_config = TransportConfig(connect_timeout=0.5, retries=0, total_timeout=2)
    for url in ("http://127.0.0.1:9/t", "https://127.0.0.1:9/t"):
        with pytest.raises(RetentlyOAuthError):
            Transport(bad_config).request("GET", url)


# fuzz: hostile URLs, headers, Retry-After values and proxy settings end in our errors, or are safe -------------------

PIECES = [*"htps:/\\@[]%.:?#&=x1270 \t\r\n\x00é", "127.0.0.1", "localhost", "http://", "https://", "[::1]"]
URLISH = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(URLISH, st.text(max_size=60), st.from_regex(r"https?://[^/]{0,20}/[^ ]{0,10}", fullmatch=True)))
def test_fuzz_check_url(url: str) -> None:
    try:
        accepted = check_url(url, "u")
    except ArgumentError as exc:
        assert str(exc).startswith("u ")
        return
    parts = urllib3.util.parse_url(accepted)
    assert parts.auth is None and parts.host
    assert parts.scheme == "https" or parts.host in ("127.0.0.1", "localhost", "[::1]")
    assert urlsplit(accepted).hostname == parts.host.strip("[]").lower()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_retry_after_and_headers(value: str) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or seconds >= 0
    try:
        check_header_value(value, "h")
    except ArgumentError as exc:
        assert value not in str(exc) or value in ("h", "")


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["HTTP_PROXY", "https_proxy", "NO_PROXY", "ALL_PROXY"]), st.text(max_size=30)))
def test_fuzz_proxy_environment(environ: dict[str, str]) -> None:
    try:
        settings_ = ProxySettings.from_environ(environ)
    except ArgumentError:
        return
    if settings_ is not None:
        for host in ("127.0.0.1", "example.com", "[::1]"):
            settings_.proxy_for("https", host, 443)
