"""Issue 9, the CLI's part: `login` never hangs and is not spoiled by stray requests, PKCE by default, a grant
without a refresh token, HTTP total timeouts, a CA bundle and a store readable by others.

Every test runs the CLI as a user types it (a subprocess) against real loopback servers: the embedded Retently
server, pytest-httpserver, and raw sockets that misbehave on purpose.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import urllib3
from pytest_httpserver import HTTPServer

from retently_oauth.testing import RetentlyServer

SECRET = "hardening-secret-VALUE-5c1d"
BOUND = 10.0
"""Hang guard for anything that should take well under a second."""


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETENTLY_", "SSL_CERT", "REQUESTS_CA"))}
    env.update(extra or {})
    return env


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retently_oauth", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(env),
        check=False,
    )


class Login:
    """`retently-oauth login --no-browser` in a subprocess, its output read line by line with bounded waits."""

    def __init__(self, server: RetentlyServer, store: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "retently_oauth",
                "login",
                "--no-browser",
                "--client-id",
                server.client_id,
                "--client-secret",
                server.client_secret,
                "--authorize-url",
                server.endpoints.authorize_url,
                "--token-url",
                server.endpoints.token_url,
                "--store",
                str(store),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: queue.Queue[str] = queue.Queue()
        self.err_lines: list[str] = []
        self.out_lines: list[str] = []
        for stream, sink in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr)):
            threading.Thread(target=_pump, args=(stream, sink), daemon=True).start()

    def url(self) -> str:
        """The authorization URL (the first line on stdout)."""
        line = self.stdout.get(timeout=30)
        self.out_lines.append(line)
        return line.strip()

    def receiver(self, url: str) -> tuple[str, int]:
        """The receiver's redirect URI and port, read from the authorization URL (works on any version)."""
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        port = urlsplit(redirect).port
        assert port is not None
        return redirect, port

    def finish(self, timeout: float) -> tuple[int, str, str]:
        """Exit status, stdout and stderr; kills the process and fails if it outlives `timeout`."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=BOUND)
            pytest.fail(f"login still running {timeout:g} s later")
        time.sleep(0.05)  # let the pump threads drain
        return self.proc.returncode, "".join(self.out_lines + _drain(self.stdout)), "".join(_drain(self.stderr))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=BOUND)


def _pump(stream: object, sink: queue.Queue[str]) -> None:
    assert stream is not None
    for line in stream:  # type: ignore[attr-defined]
        sink.put(line)
    sink.put("")


def _drain(sink: queue.Queue[str]) -> list[str]:
    lines = []
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        try:
            line = sink.get(timeout=BOUND)
        except queue.Empty:
            break
        if line == "":
            break
        lines.append(line)
    return lines


@contextlib.contextmanager
def login(server: RetentlyServer, store: Path, *extra: str) -> Iterator[Login]:
    run_ = Login(server, store, *extra)
    try:
        yield run_
    finally:
        run_.kill()


@contextlib.contextmanager
def idle_connection(port: int) -> Iterator[socket.socket]:
    """A TCP connection that sends nothing, as a browser's preconnect."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
    try:
        yield sock
    finally:
        sock.close()


def follow_authorize(url: str) -> str:
    """What a browser does with the authorization URL: the Location the embedded server redirects to."""
    http = urllib3.PoolManager(retries=False)
    return http.request("GET", url, redirect=False, timeout=BOUND).headers["Location"]


def get(url: str) -> urllib3.BaseHTTPResponse:
    return urllib3.PoolManager(retries=False).request("GET", url, redirect=False, timeout=BOUND)


# item 3: login never hangs -------------------------------------------------------------------------------------


def test_an_idle_preconnected_socket_does_not_block_the_redirect(tmp_path: Path) -> None:
    store = tmp_path / "creds.json"
    with RetentlyServer() as server, login(server, store, "--timeout", "30") as run_:
        url = run_.url()
        _, port = run_.receiver(url)
        with idle_connection(port):
            location = follow_authorize(url)
            page = get(location)
            assert page.status == 200
            status, _, err = run_.finish(timeout=30)
        assert status == 0, err
        assert json.loads(store.read_text())["refresh_token"]
        assert server.counts["authorization_code"] == 1


def test_login_with_only_an_idle_socket_exits_within_its_timeout_plus_2s(tmp_path: Path) -> None:
    with RetentlyServer() as server, login(server, tmp_path / "creds.json", "--timeout", "3") as run_:
        url = run_.url()
        started = time.monotonic()  # the receiver is listening: the wait has begun
        _, port = run_.receiver(url)
        with idle_connection(port):
            status, _, err = run_.finish(timeout=3 + 2)
        assert time.monotonic() - started <= 3 + 2
        assert status == 1
        last = err.strip().splitlines()[-1]
        assert "no login redirect arrived within 3 s" in last
        assert not (tmp_path / "creds.json").exists()


def test_login_says_where_it_listens_and_for_how_long(tmp_path: Path) -> None:
    with RetentlyServer() as server, login(server, tmp_path / "creds.json", "--timeout", "3") as run_:
        url = run_.url()
        redirect, _ = run_.receiver(url)
        status, _, err = run_.finish(timeout=3 + 2)
        assert status == 1
        assert f"Listening on {redirect} for up to 3 s (Ctrl-C to cancel)" in err.splitlines()


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "soon"])
def test_login_wait_must_be_a_positive_finite_number(value: str, tmp_path: Path) -> None:
    with RetentlyServer() as server:
        done = run(
            "login",
            "--no-browser",
            "--timeout",
            value,
            "--client-id",
            server.client_id,
            "--client-secret",
            server.client_secret,
            "--store",
            str(tmp_path / "s.json"),
            timeout=BOUND,
        )
    assert done.returncode == 2
    assert "--timeout" in done.stderr and "positive" in done.stderr


# item 9: stray and spoofed requests do not end the wait --------------------------------------------------------


def test_stray_and_wrong_state_requests_are_answered_and_ignored(tmp_path: Path) -> None:
    store = tmp_path / "creds.json"
    with RetentlyServer() as server, login(server, store, "--timeout", "30") as run_:
        url = run_.url()
        redirect, port = run_.receiver(url)
        base = f"http://127.0.0.1:{port}"
        assert get(f"{base}/favicon.ico").status == 404
        assert get(f"{base}/callbackEVIL?state=nope&code=evil").status == 404
        assert get(f"{base}/callback/x?code=evil").status == 404
        assert get(f"{redirect}?state=nope&code=evil").status == 400
        assert get(f"{redirect}?code=evil").status == 400
        spoof = urlencode({"error": "access_denied", "error_description": "\x1b[31mPWNED\x1b[0m", "state": "nope"})
        page = get(f"{redirect}?{spoof}")
        assert page.status == 400
        assert b"PWNED" not in page.data and b"nope" not in page.data
        assert run_.proc.poll() is None  # still waiting
        location = follow_authorize(url)
        assert get(location).status == 200
        status, out, err = run_.finish(timeout=30)
        assert status == 0, err
        assert "PWNED" not in out + err
        assert server.counts["authorization_code"] == 1


def test_an_error_redirect_never_puts_raw_control_characters_on_the_terminal(tmp_path: Path) -> None:
    with RetentlyServer() as server, login(server, tmp_path / "creds.json", "--timeout", "30") as run_:
        url = run_.url()
        redirect, _ = run_.receiver(url)
        state = parse_qs(urlsplit(url).query)["state"][0]
        query = urlencode(
            {
                "error": "access_denied",
                "error_description": "denied\x1b]0;owned\x07\x1b[2J\rFAKE: logged in",
                "state": state,
            }
        )
        page = get(f"{redirect}?{query}")
        assert page.status == 200 and b"owned" not in page.data
        status, out, err = run_.finish(timeout=30)
    assert status == 1
    assert "access_denied" in err
    assert not any(ch in out + err for ch in "\x1b\x07\r")
    assert len(err.strip().splitlines()) == 3  # "Listening on ...", "Open this URL ...", the error
    assert not (tmp_path / "creds.json").exists()


# item 14: PKCE by default, a grant without a refresh token ----------------------------------------------------


def test_login_uses_pkce_s256(tmp_path: Path) -> None:
    store = tmp_path / "creds.json"
    with RetentlyServer() as server, login(server, store, "--timeout", "30") as run_:
        url = run_.url()
        params = parse_qs(urlsplit(url).query)
        assert params["code_challenge_method"] == ["S256"]
        assert len(params["code_challenge"][0]) == 43
        assert get(follow_authorize(url)).status == 200
        status, _, err = run_.finish(timeout=30)
    assert status == 0, err  # the embedded server verified the code_verifier against the challenge
    assert json.loads(store.read_text())["access_token"]


def test_an_exchange_granting_no_refresh_token_keeps_the_access_token_and_exits_1(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    access = "AT-no-refresh-0123456789abcdef"
    httpserver.expect_request("/token", method="POST").respond_with_json(
        {"access_token": access, "token_type": "Bearer", "expires_in": 3600}
    )
    store = tmp_path / "s.json"
    done = run(
        "exchange",
        "--code",
        "code-XYZ-0123456789",
        "--client-id",
        "c",
        "--client-secret",
        SECRET,
        "--redirect-uri",
        "http://127.0.0.1/cb",
        "--token-url",
        httpserver.url_for("/token"),
        "--store",
        str(store),
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.strip() == access  # kept: printed, for use until it expires
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "no refresh token" in message and "cannot be refreshed" in message
    assert access not in done.stderr
    assert SECRET not in done.stdout + done.stderr and "code-XYZ" not in done.stdout + done.stderr
    assert not store.exists()


# item 2: HTTP total timeout ------------------------------------------------------------------------------------


@contextlib.contextmanager
def drip_server() -> Iterator[tuple[str, list[float]]]:
    """A raw HTTP server that answers every request one byte every 0.3 s: each read succeeds, forever.

    Yields its URL and the `time.monotonic()` of each connection it accepted.
    """
    accepted: list[float] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(1.0)
            with contextlib.suppress(OSError):
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"a" * 10_000:
                    if stop.wait(0.3):
                        return
                    conn.sendall(bytes([byte]))

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(time.monotonic())
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/token", accepted
    finally:
        stop.set()
        thread.join(timeout=BOUND)
        listener.close()


def exchange_args(token_url: str, store: Path) -> list[str]:
    return [
        "exchange",
        "--code",
        "c0de-0123456789",
        "--client-id",
        "c",
        "--client-secret",
        SECRET,
        "--redirect-uri",
        "http://127.0.0.1/cb",
        "--token-url",
        token_url,
        "--store",
        str(store),
    ]


@pytest.mark.parametrize("how", ["flag", "env"])
def test_http_timeout_bounds_a_drip_fed_token_request(how: str, tmp_path: Path) -> None:
    with drip_server() as (url, accepted):
        args = exchange_args(url, tmp_path / "s.json")
        env: dict[str, str] = {}
        if how == "flag":
            args += ["--timeout", "3"]
        else:
            env["RETENTLY_OAUTH_TIMEOUT"] = "3"
        done = run(*args, env=env, timeout=30)
        ended = time.monotonic()
    assert done.returncode == 1, done.stderr
    assert len(accepted) == 1
    assert ended - accepted[0] <= 5  # from the request's connection to the process's exit
    assert "no answer from the server" in done.stderr and "3 s" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert SECRET not in done.stdout + done.stderr


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "1e400", "x"])
def test_http_timeout_must_be_positive_and_finite(value: str, tmp_path: Path) -> None:
    done = run(*exchange_args("http://127.0.0.1:9/token", tmp_path / "s.json"), "--timeout", value, timeout=BOUND)
    assert done.returncode == 2
    assert "--timeout" in done.stderr
    done = run(*exchange_args("http://127.0.0.1:9/token", tmp_path / "s.json"), env={"RETENTLY_OAUTH_TIMEOUT": value})
    assert done.returncode == 2
    assert "RETENTLY_OAUTH_TIMEOUT" in done.stderr


def test_login_takes_an_http_timeout_beside_its_wait(tmp_path: Path) -> None:
    with (
        RetentlyServer(slow_seconds=30) as server,
        login(server, tmp_path / "creds.json", "--timeout", "30", "--http-timeout", "2") as run_,
    ):
        server.inject("slow")
        url = run_.url()
        assert get(follow_authorize(url)).status == 200
        status, _, err = run_.finish(timeout=2 + 8)
    assert status == 1
    assert "no answer from the server" in err and "2 s" in err


# also: a CA bundle ---------------------------------------------------------------------------------------------


@pytest.fixture
def tls_token_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback https token endpoint with a self-signed certificate for 127.0.0.1, and that certificate."""
    import ssl

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        timeout=30,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip("openssl cannot make a test certificate here")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    body = json.dumps({"access_token": "at-" + "x" * 20, "refresh_token": "rt-" + "y" * 20, "expires_in": 60})
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with contextlib.suppress(OSError, ssl.SSLError):
                raw.settimeout(BOUND)
                with context.wrap_socket(raw, server_side=True) as conn:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    head, _, body_read = data.partition(b"\r\n\r\n")
                    length = next(
                        (
                            int(line.split(b":")[1])
                            for line in head.split(b"\r\n")
                            if line.lower().startswith(b"content-length:")
                        ),
                        0,
                    )
                    while len(body_read) < length:  # read it all: closing with unread bytes would reset the answer
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        body_read += chunk
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
                    )
            raw.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}/token", cert
    finally:
        stop.set()
        thread.join(timeout=BOUND)
        listener.close()


def test_ca_bundle_flag_trusts_a_private_ca(tls_token_server: tuple[str, Path], tmp_path: Path) -> None:
    url, cert = tls_token_server
    store = tmp_path / "s.json"
    done = run(*exchange_args(url, store), "--timeout", "10")
    assert done.returncode == 1  # not trusted by default
    assert "no answer from the server" in done.stderr
    assert not store.exists()
    done = run(*exchange_args(url, store), "--timeout", "10", "--ca-bundle", str(cert))
    assert done.returncode == 0, done.stderr
    assert json.loads(store.read_text())["access_token"].startswith("at-")


def test_ca_bundle_that_cannot_be_read_is_a_usage_error(tmp_path: Path) -> None:
    done = run(*exchange_args("http://127.0.0.1:9/token", tmp_path / "s.json"), "--ca-bundle", str(tmp_path / "no"))
    assert done.returncode == 2
    assert "--ca-bundle" in done.stderr


# item 13: a store readable by others ---------------------------------------------------------------------------


def test_a_store_readable_by_others_gets_one_warning_line(tmp_path: Path) -> None:
    store = tmp_path / "creds.json"
    with RetentlyServer() as server, login(server, store, "--timeout", "30") as run_:
        assert get(follow_authorize(run_.url())).status == 200
        status, _, err = run_.finish(timeout=30)
        assert status == 0, err
        done = run("token", "--store", str(store))
        assert done.returncode == 0 and done.stderr == ""
        store.chmod(0o644)
        done = run("token", "--store", str(store))
    assert done.returncode == 0, done.stderr
    warnings = done.stderr.strip().splitlines()
    assert len(warnings) == 1
    assert str(store) in warnings[0] and "other users" in warnings[0] and "chmod 600" in warnings[0]
