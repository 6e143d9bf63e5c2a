"""Issue 10, the CLI's part: a new user's first hour. Every test runs `retently-oauth` as a user types it (a
subprocess) against real loopback servers (the embedded Retently server); nothing is mocked.

1. login listens where the redirect URI points; 2. token/refresh never ignore a flag; 3. each command asks only for
what it uses; 6. feedback while waiting, outcome pages, Ctrl-C; 7. help and errors; 8. status, logout, serve; and
no secret in any command's output, in any encoding.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, urlencode, urlsplit

import pytest
import urllib3

from retently_oauth import FileStore, OAuthClient, TokenManager
from retently_oauth.store_url import open_store
from retently_oauth.testing import RetentlyServer

from .dbservers import redis_url_fixture, unique_key

__all__ = ["redis_url_fixture"]

SECRET = "first/hour+Secret=7&x"
"""The client secret: with characters that percent-encoding and JSON escaping change."""
BOUND = 30.0
"""Hang guard for each step."""
OUTPUTS: list[str] = []
"""Everything the commands of this module printed, for the secret sweep at the end."""

pytestmark = pytest.mark.xdist_group("test_cli_first_hour")
"""One xdist worker runs the whole module (tests/conftest.py): the sweep at the end reads every test's OUTPUTS, and
`serve` uses one store path (under the temporary directory) for every run."""


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETENTLY_", "SSL_CERT", "REQUESTS_CA"))}
    env["BROWSER"] = "true"  # never a real browser
    env.update(extra or {})
    return env


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "retently_oauth", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(env),
        input=stdin,
        check=False,
    )
    OUTPUTS.append(done.stdout + done.stderr)
    return done


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http() -> urllib3.PoolManager:
    return urllib3.PoolManager(retries=False, timeout=BOUND)


def server_args(server: RetentlyServer, store: Path) -> list[str]:
    return [
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
    ]


class Login:
    """`retently-oauth login --no-browser` in a subprocess; stdout and stderr read line by line with bounded waits."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "retently_oauth", "login", "--no-browser", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(env),
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self.seen = {"out": 0, "err": 0}
        self.threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    @staticmethod
    def _pump(stream: object, sink: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            sink.append(line)

    def expect(self, name: str, pattern: str) -> str:
        """The next line on `name` (out/err) matching `pattern`; fails after BOUND seconds."""
        lines = self.out if name == "out" else self.err
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            while self.seen[name] < len(lines):
                line = lines[self.seen[name]]
                self.seen[name] += 1
                if re.search(pattern, line):
                    return line.rstrip("\n")
            if self.proc.poll() is not None and all(not t.is_alive() for t in self.threads):
                break
            time.sleep(0.01)
        pytest.fail(f"login printed no line matching {pattern!r} on std{name}: {''.join(self.err)}")

    def url(self) -> str:
        return self.expect("out", r"^https?://")

    def finish(self) -> tuple[int, str, str]:
        try:
            self.proc.wait(timeout=BOUND)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=BOUND)
            pytest.fail(f"login still running {BOUND:g} s later: {''.join(self.err)}")
        for thread in self.threads:
            thread.join(BOUND)
        out, err = "".join(self.out), "".join(self.err)
        OUTPUTS.append(out + err)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=BOUND)


@contextlib.contextmanager
def login(args: list[str], env: dict[str, str] | None = None) -> Iterator[Login]:
    running = Login(args, env)
    try:
        yield running
    finally:
        running.kill()


def redirect_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["redirect_uri"][0]


def browse(url: str) -> urllib3.BaseHTTPResponse:
    """What a browser does with the authorization URL (auto consent): follow to the receiver, read its page."""
    location = http().request("GET", url, redirect=False).headers["Location"]
    return http().request("GET", location, redirect=False)


def heading(page: urllib3.BaseHTTPResponse) -> str:
    match = re.search(r"<h1>(.*?)</h1>", page.data.decode())
    assert match is not None, page.data
    return match.group(1)


def logged_in_store(server: RetentlyServer, store: Path) -> dict[str, object]:
    """A store holding credentials, as after a login (saved through the library)."""
    client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
    TokenManager(client, FileStore(store)).store_token(client.refresh(server.issue_refresh_token()))
    document: dict[str, object] = json.loads(store.read_text())
    return document


# 1. login listens where the redirect URI points ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "env"])
def test_login_listens_on_the_port_and_path_of_the_redirect_uri(how: str, tmp_path: Path) -> None:
    store = tmp_path / "creds.json"
    redirect = f"http://127.0.0.1:{free_port()}/oauth/retently/done"
    with RetentlyServer(client_secret=SECRET) as server:
        args = [*server_args(server, store), "--timeout", "60"]
        env = {}
        if how == "flag":
            args += ["--redirect-uri", redirect]
        else:
            env["RETENTLY_REDIRECT_URI"] = redirect
        with login(args, env) as running:
            url = running.url()
            assert redirect_of(url) == redirect  # sent as registered...
            assert http().request("GET", redirect.rsplit("/", 1)[0] + "/other").status == 404
            page = browse(url)  # ...and received there
            assert page.status == 200 and heading(page) == "Logged in"
            status, _, err = running.finish()
    assert status == 0, err
    assert f"Listening on {redirect} " in err
    assert json.loads(store.read_text())["redirect_uri"] == redirect


@pytest.mark.parametrize(
    "redirect",
    [
        "https://app.example.com/oauth/callback",
        "http://app.example.com/oauth/callback",
        "https://127.0.0.1:8769/callback",
        "http://10.0.0.8:8769/callback",
    ],
)
def test_login_refuses_a_redirect_uri_it_cannot_receive_and_says_what_to_use(redirect: str, tmp_path: Path) -> None:
    done = run("login", "--no-browser", "--client-id", "c", "--client-secret", SECRET, "--redirect-uri", redirect,
               "--store", str(tmp_path / "s.json"), timeout=BOUND)  # fmt: skip
    assert done.returncode == 2
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "authorize-url" in message and "exchange" in message
    assert not (tmp_path / "s.json").exists()


def test_login_port_disagreeing_with_the_redirect_uri_is_a_usage_error(tmp_path: Path) -> None:
    port = free_port()
    done = run("login", "--no-browser", "--client-id", "c", "--client-secret", SECRET,
               "--redirect-uri", f"http://127.0.0.1:{port}/callback", "--port", str(port + 1),
               "--store", str(tmp_path / "s.json"), timeout=BOUND)  # fmt: skip
    assert done.returncode == 2
    assert "--port" in done.stderr and f"port {port}" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "x-value" not in done.stderr


def test_login_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = run("login", "--no-browser", "--client-id", "c", "--client-secret", SECRET,
                   "--redirect-uri", f"http://127.0.0.1:{port}/callback", "--store", str(tmp_path / "s.json"),
                   timeout=BOUND)  # fmt: skip
    assert done.returncode == 2
    assert f"127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_login_without_a_redirect_uri_listens_on_port_and_says_so(tmp_path: Path) -> None:
    port = free_port()
    with RetentlyServer() as server, login([*server_args(server, tmp_path / "c.json"), "--port", str(port)]) as running:
        url = running.url()
        assert redirect_of(url) == f"http://127.0.0.1:{port}/callback"
        assert browse(url).status == 200
        status, _, err = running.finish()
    assert status == 0, err


# 2. token and refresh never ignore a flag ------------------------------------------------------------------------


def test_refresh_with_a_wrong_client_secret_fails_and_leaves_the_store(tmp_path: Path) -> None:
    store = tmp_path / "creds.json"
    with RetentlyServer(client_secret=SECRET) as server:
        logged_in_store(server, store)
        before = store.read_bytes()
        done = run("refresh", "--store", str(store), "--client-secret", "wrong-secret-value")
        assert done.returncode == 1, done.stdout
        assert "refused the client credentials" in done.stderr and "--client-secret" in done.stderr
        assert "refreshed" not in done.stdout
        assert store.read_bytes() == before
        done = run("token", "--store", str(store), "--client-secret", "wrong-secret-value")
        assert done.returncode == 1 and done.stdout == ""
        assert store.read_bytes() == before


@pytest.mark.parametrize("command", ["token", "refresh"])
def test_an_explicit_client_secret_and_token_url_win_over_the_store_and_are_saved(command: str, tmp_path: Path) -> None:
    store = tmp_path / "creds.json"
    with RetentlyServer(client_secret=SECRET) as server:
        document = logged_in_store(server, store)
        document["client_secret"] = "rotated-away-old-secret"
        document["token_url"] = f"http://127.0.0.1:{free_port()}/gone"  # nothing listens there
        store.write_text(json.dumps(document))
        store.chmod(0o600)
        done = run("refresh", "--store", str(store))
        assert done.returncode == 1  # the stored values no longer work
        done = run(command, "--store", str(store), "--client-secret", SECRET, "--token-url",
                   server.endpoints.token_url)  # fmt: skip
        assert done.returncode == 0, done.stderr
        saved = json.loads(store.read_text())
        assert saved["client_secret"] == SECRET and saved["token_url"] == server.endpoints.token_url
        assert server.counts["refresh_token"] == 2  # the seed above, then this command: checked by a refresh
        if command == "token":
            assert done.stdout.strip() == saved["access_token"]
        done = run("token", "--store", str(store))  # from now on the store is enough
        assert done.returncode == 0 and done.stdout.strip() == saved["access_token"]


def test_a_client_id_other_than_the_stored_one_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "creds.json"
    with RetentlyServer() as server:
        logged_in_store(server, store)
        before = store.read_bytes()
        for command in ("token", "refresh"):
            done = run(command, "--store", str(store), "--client-id", "someone-else")
            assert done.returncode == 2
            assert "--client-id" in done.stderr and "login" in done.stderr
        assert store.read_bytes() == before and server.counts["refresh_token"] == 1


@pytest.mark.parametrize(
    ("command", "flag"),
    [("token", "--authorize-url"), ("refresh", "--scope"), ("authorize-url", "--client-secret"),
     ("status", "--client-secret"), ("authorize-url", "--store")],
)  # fmt: skip
def test_a_flag_a_command_does_not_use_is_refused_not_ignored(command: str, flag: str, tmp_path: Path) -> None:
    done = run(command, flag, "x-value", "--store", str(tmp_path / "s.json"), timeout=BOUND)
    assert done.returncode == 2
    assert flag in done.stderr and f"see retently-oauth {command} --help" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# 3. each command asks only for what it uses ----------------------------------------------------------------------


def test_authorize_url_needs_no_client_secret() -> None:
    done = run("authorize-url", "--client-id", "cid", "--redirect-uri", "https://app.example.com/cb", "--pkce")
    assert done.returncode == 0, done.stderr
    url, state, verifier = done.stdout.splitlines()
    assert url.startswith("https://app.retently.com/api/oauth/authorize?client_id=cid&")
    assert "client_secret" not in url and f"state={state}" in url and len(verifier) >= 43


def test_status_token_and_logout_need_only_the_store(tmp_path: Path) -> None:
    store = tmp_path / "creds.json"
    with RetentlyServer() as server:
        logged_in_store(server, store)
        for command in ("status", "token", "refresh", "logout"):
            done = run(command, "--store", str(store))
            assert done.returncode == 0, (command, done.stderr)


# 6. feedback while waiting, outcome pages, Ctrl-C ----------------------------------------------------------------


def test_login_says_where_it_listens_how_long_and_how_to_cancel(tmp_path: Path) -> None:
    with RetentlyServer() as server, login([*server_args(server, tmp_path / "c.json"), "--timeout", "45"]) as running:
        url = running.url()
        line = running.expect("err", "Listening")
        assert line == f"Listening on {redirect_of(url)} for up to 45 s (Ctrl-C to cancel)"
        assert browse(url).status == 200
        status, _, err = running.finish()
    assert status == 0 and "logged in; saved credentials to" in err


def test_the_browser_page_says_access_was_not_granted(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    with RetentlyServer() as server, login([*server_args(server, store), "--timeout", "60"]) as running:
        server.deny = True
        page = browse(running.url())
        assert page.status == 200 and heading(page) == "Access not granted"
        assert b"nothing was saved" in page.data and b"access_denied" not in page.data
        status, _, err = running.finish()
    assert status == 1
    assert "denied" in err.strip().splitlines()[-1] and "AuthorizationDenied" not in err
    assert not store.exists()


def test_the_browser_page_says_the_exchange_failed(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    with RetentlyServer() as server, login([*server_args(server, store), "--timeout", "60"]) as running:
        server.inject("html_500")
        page = browse(running.url())
        assert page.status == 200 and heading(page) == "Login failed"
        assert b"nothing was saved" in page.data
        status, _, err = running.finish()
    assert status == 1
    last = err.strip().splitlines()[-1]
    assert "HTTP 500" in last and "ResponseFormatError" not in last
    assert not store.exists()


def test_the_browser_page_says_logged_in_only_after_the_exchange(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    pages: list[urllib3.BaseHTTPResponse] = []
    with RetentlyServer() as server, login([*server_args(server, store), "--timeout", "60"]) as running:
        url = running.url()
        with server.hold_token_requests():
            location = http().request("GET", url, redirect=False).headers["Location"]
            browser = threading.Thread(target=lambda: pages.append(http().request("GET", location)), daemon=True)
            browser.start()
            assert server.wait_for("held", 1, timeout=BOUND)
            browser.join(0.5)
            assert not pages  # the page waits while the exchange is under way
        browser.join(BOUND)
        status, _, err = running.finish()
    assert status == 0, err
    assert pages and heading(pages[0]) == "Logged in"


def test_the_browser_page_says_not_this_login_for_another_state(tmp_path: Path) -> None:
    with RetentlyServer() as server, login([*server_args(server, tmp_path / "c.json"), "--timeout", "60"]) as running:
        url = running.url()
        page = http().request("GET", f"{redirect_of(url)}?{urlencode({'code': 'x', 'state': 'forged'})}")
        assert page.status == 400 and heading(page) == "Not this login"
        assert browse(url).status == 200
        status, _, _ = running.finish()
    assert status == 0


def test_ctrl_c_while_waiting_for_the_browser_exits_130_with_one_line(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    with RetentlyServer() as server:
        logged_in_store(server, store)
        before = store.read_bytes()
        with login([*server_args(server, store), "--timeout", "120"]) as running:
            running.url()
            running.expect("err", "Listening")
            running.proc.send_signal(signal.SIGINT)
            status, _, err = running.finish()
    assert status == 130
    lines = err.strip().splitlines()
    assert lines[-1] == "retently-oauth login: interrupted (Ctrl-C)"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert store.read_bytes() == before


def test_ctrl_c_during_the_exchange_leaves_the_store_and_tells_the_browser(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    pages: list[urllib3.BaseHTTPResponse] = []
    with RetentlyServer() as server:
        logged_in_store(server, store)
        before = store.read_bytes()
        with login([*server_args(server, store), "--timeout", "120"]) as running:
            url = running.url()
            with server.hold_token_requests():
                location = http().request("GET", url, redirect=False).headers["Location"]
                browser = threading.Thread(target=lambda: pages.append(http().request("GET", location)), daemon=True)
                browser.start()
                assert server.wait_for("held", 1, timeout=BOUND)
                running.proc.send_signal(signal.SIGINT)
                status, _, err = running.finish()
                browser.join(BOUND)
    assert status == 130
    assert err.strip().splitlines()[-1] == "retently-oauth login: interrupted (Ctrl-C)"
    assert "Traceback" not in err
    assert store.read_bytes() == before
    assert pages and heading(pages[0]) == "Login cancelled"


def test_a_retry_says_what_it_waits_for_and_quiet_says_nothing(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    with RetentlyServer() as server:
        logged_in_store(server, store)
        server.inject("retry_after_503")
        done = run("refresh", "--store", str(store))
        assert done.returncode == 0, done.stderr
        assert re.search(r"POST \S+/api/oauth/token -> 503; retrying in 1\.00 s", done.stderr), done.stderr
        server.inject("retry_after_503")
        done = run("refresh", "--store", str(store), "--quiet")
        assert done.returncode == 0 and done.stderr == ""


def test_a_slow_server_gets_a_still_waiting_line(tmp_path: Path) -> None:
    stores = [tmp_path / "c.json", tmp_path / "quiet.json"]
    with RetentlyServer(slow_seconds=5) as server:
        for store in stores:
            logged_in_store(server, store)
        server.inject("slow", "slow")  # both refreshes below wait 5 s for their answer, side by side
        with ThreadPoolExecutor(2) as pool:
            plain = pool.submit(run, "refresh", "--store", str(stores[0]))
            quiet = pool.submit(run, "refresh", "--store", str(stores[1]), "-q")
            done, quiet_done = plain.result(), quiet.result()
        assert server.counts["refresh_token"] == 4  # the two setups' and the two slow ones
        assert done.returncode == 0, done.stderr
        assert "still waiting for the token endpoint" in done.stderr and "Ctrl-C" in done.stderr
        assert quiet_done.returncode == 0 and quiet_done.stderr == ""


def test_verbose_logs_each_request_with_its_timing_and_masks_secrets(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    with RetentlyServer(client_secret=SECRET) as server:
        logged_in_store(server, store)
        done = run("refresh", "--store", str(store), "--verbose")
    assert done.returncode == 0, done.stderr
    assert re.search(r"POST \S+/api/oauth/token -> 200 \(\d+ bytes, [\d.]+ ms\)", done.stderr), done.stderr
    assert re.search(r"refresh: done in [\d.]+ s", done.stderr)


def fetch_into(pages: list[urllib3.BaseHTTPResponse], url: str) -> None:
    pages.append(http().request("GET", url))


def test_the_receiver_shows_the_reported_outcome_and_cancelled_when_stopped_without_one() -> None:
    from retently_oauth.exceptions import ArgumentError
    from retently_oauth.receiver import RedirectReceiver

    state = "st4te-0123456789abcdef"
    with pytest.raises(ArgumentError):
        RedirectReceiver(state, outcome_timeout=-1)
    for outcome, title in (("success", "Logged in"), ("failed", "Login failed"), (None, "Login cancelled")):
        pages: list[urllib3.BaseHTTPResponse] = []
        receiver = RedirectReceiver(state, outcome_timeout=BOUND).start()
        try:
            with pytest.raises(ArgumentError):
                receiver.report("maybe")
            target = f"{receiver.redirect_uri}?code=c&state={state}"
            browser = threading.Thread(target=fetch_into, args=(pages, target), daemon=True)
            browser.start()
            assert receiver.wait(BOUND) == target
            if outcome is not None:
                receiver.report(outcome)
        finally:
            receiver.stop()  # without a report: the waiting page says cancelled, and goes out before the stop
        browser.join(BOUND)
        assert pages and pages[0].status == 200 and heading(pages[0]) == title


# 7. help and errors ----------------------------------------------------------------------------------------------

COMMANDS = ["login", "token", "refresh", "status", "logout", "authorize-url", "exchange", "serve", "demo", "validate"]
ENV_OF = {
    "--client-id": "RETENTLY_CLIENT_ID",
    "--client-secret": "RETENTLY_CLIENT_SECRET",
    "--redirect-uri": "RETENTLY_REDIRECT_URI",
    "--authorize-url": "RETENTLY_AUTHORIZE_URL",
    "--token-url": "RETENTLY_TOKEN_URL",
    "--store": "RETENTLY_OAUTH_STORE",
    "--store-key": "RETENTLY_OAUTH_STORE_KEY",
}


def options_of(help_text: str) -> dict[str, str]:
    """Each option's help entry, keyed by its long flag."""
    section = help_text.split("\noptions:\n", 1)[1].split("\n\n", 1)[0]
    entries: dict[str, str] = {}
    current = ""
    for line in section.splitlines():
        if re.match(r"^  -", line):
            current = re.findall(r"--[a-z-]+", line)[0] if "--" in line else line.split()[0]
            entries[current] = line
        else:
            entries[current] += " " + line.strip()
    return entries


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_description_an_example_and_option_defaults(command: str) -> None:
    done = run(command, "--help", env={"RETENTLY_CLIENT_SECRET": SECRET, "RETENTLY_OAUTH_STORE": "/x/" + SECRET})
    assert done.returncode == 0
    text = done.stdout
    description = text.split("\n\n", 2)[1]
    assert len(description.split()) >= 8, text
    assert "\nexample:\n  retently-oauth " in text or "\nexample:\n  echo " in text or "\nexample:\n  curl " in text
    for flag, entry in options_of(text).items():
        if flag == "--help":
            continue
        assert re.search(r"\[(env [A-Z_]+; )?(default: .+|required)\]", entry), (flag, entry)
        if (flag in ENV_OF and command not in ("token", "refresh")) or flag in ("--store", "--store-key"):
            assert f"env {ENV_OF[flag]}" in entry, (flag, entry)
    assert SECRET not in text  # --help shows defaults, never a value read from the environment


def test_version() -> None:
    from retently_oauth import __version__

    done = run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"retently-oauth {__version__}"


def test_validate_lists_the_valid_model_names_and_reads_stdin(tmp_path: Path) -> None:
    done = run("validate", "-", "--model", "TokenResonse", stdin="{}")
    assert done.returncode == 2
    assert "TokenResponse" in done.stderr and "StoredCredentials" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    done = run("validate", "-", "--model", "TokenResponse", stdin='{"access_token": "a"}')
    assert done.returncode == 0 and "valid TokenResponse" in done.stdout
    done = run("validate", "-", "--model", "TokenResponse", stdin='{"refresh_token": "' + SECRET + '"}')
    assert done.returncode == 1 and done.stdout.splitlines() == ["$.access_token: required field missing"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["authorize-url", "--client-id", "c", "--redirect-uri", "https://a.example/cb", "--authorize-url",
          "http://example.com/authorize"], "--authorize-url must use https://"),
        (["exchange", "--code", "c0de", "--client-id", "c", "--client-secret", SECRET, "--redirect-uri",
          "https://a.example/cb", "--token-url", "http://example.com/token"], "--token-url must use https://"),
        (["authorize-url", "--redirect-uri", "https://a.example/cb"], "missing --client-id"),
        (["token", "--store", "{tmp}/none.json"], "run `retently-oauth login`"),
    ],
)  # fmt: skip
def test_usage_errors_are_one_line_in_the_users_terms(args: list[str], expected: str, tmp_path: Path) -> None:
    done = run(*[a.replace("{tmp}", str(tmp_path)) for a in args], timeout=BOUND)
    assert done.returncode == 2
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1 and expected in message, message
    assert not re.search(r"authorize_url|token_url|client_id|[A-Z][a-z]+Error\b", message)


def test_an_oauth_error_is_plain_words_without_a_class_name(tmp_path: Path) -> None:
    with RetentlyServer(client_secret=SECRET) as server:
        done = run("exchange", "--code", "not-a-code-123456", "--redirect-uri", server.redirect_uri,
                   *server_args(server, tmp_path / "s.json"))  # fmt: skip
        assert done.returncode == 1
        message = done.stderr.strip()
        assert len(message.splitlines()) == 1
        assert "refused the grant" in message and "login" in message
        assert not re.search(r"\b(InvalidGrant|OAuthError|RetentlyOAuthError)\b", message)
        done = run("exchange", "--code", "not-a-code-123456", "--redirect-uri", server.redirect_uri,
                   *server_args(server, tmp_path / "s.json"), "--client-secret", "wrong-secret")  # fmt: skip
        assert done.returncode == 1
        assert "refused the client credentials" in done.stderr and "InvalidClient" not in done.stderr


# 8. status, logout, serve ----------------------------------------------------------------------------------------


def test_status_shows_client_token_url_expiry_refresh_token_and_permissions(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    with RetentlyServer(client_secret=SECRET, expires_in=7200) as server:
        logged_in_store(server, store)
        done = run("status", "--store", str(store))
        endpoints = server.endpoints
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert f"client id:      {server.client_id}" in text
    assert f"token URL:      {endpoints.token_url}" in text
    assert re.search(r"access token:   expires \S+ \((1 h 59 min|2 h 0 min) left\)", text), text
    assert "refresh token:  held" in text
    assert "mode 0600: only you can read it" in text
    store.chmod(0o644)
    done = run("status", "--store", str(store))
    assert "OTHER USERS" in done.stdout and "chmod 600" in done.stderr
    done = run("status", "--store", str(tmp_path / "none.json"))
    assert done.returncode == 1 and "credentials:    none" in done.stdout


def test_logout_removes_the_credentials_and_says_the_grant_stays_valid(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    with RetentlyServer() as server:
        document = logged_in_store(server, store)
        done = run("logout", "--store", str(store))
        assert done.returncode == 0, done.stderr
        assert not store.exists()
        assert "no token revocation endpoint" in done.stdout and "revoke" in done.stdout
        assert server.refresh_token_valid(str(document["refresh_token"]))  # it says so because it is so
        assert run("status", "--store", str(store)).returncode == 1
        done = run("logout", "--store", str(store))
        assert done.returncode == 0 and "nothing to remove" in done.stdout


def test_serve_prints_a_login_command_that_works_against_it(tmp_path: Path) -> None:
    serve = subprocess.Popen(
        [sys.executable, "-m", "retently_oauth", "serve", "--for", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        assert serve.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline and not any(
            line.strip().startswith("retently-oauth login") for line in lines
        ):
            lines.append(serve.stdout.readline())
        printed = "".join(lines)
        secret = re.search(r"client secret:\s+(\S+)", printed)
        redirect = re.search(r"redirect URI:\s+(\S+)", printed)
        assert secret and redirect and re.search(r"client id:\s+\S+", printed), printed
        command = shlex.split(next(line for line in lines if line.strip().startswith("retently-oauth login")))
        assert f"--client-secret={secret.group(1)}" in command  # one token: a secret may start with "-"
        assert command[command.index("--redirect-uri") + 1] == redirect.group(1)
        store = tmp_path / "c.json"
        command[command.index("--store") + 1] = str(store)
        with login([*command[2:], "--timeout", "60"]) as running:
            url = running.url()
            assert redirect_of(url) == redirect.group(1)
            consent = http().request("GET", url, redirect=False)
            assert consent.status == 200 and b"Allow" in consent.data  # a consent page, as a person sees it
            ticket = re.search(r'name="ticket" value="([^"]+)"', consent.data.decode())
            assert ticket
            base = url.split("/api/", 1)[0]
            answer = http().request(
                "POST",
                f"{base}/api/oauth/authorize",
                body=urlencode({"ticket": ticket.group(1), "decision": "allow"}),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                redirect=False,
            )
            page = http().request("GET", answer.headers["Location"])
            assert heading(page) == "Logged in"
            status, _, err = running.finish()
        assert status == 0, err
        done = run("token", "--store", str(store))
        assert done.returncode == 0 and done.stdout.strip()
        serve.send_signal(signal.SIGINT)
        _, err = serve.communicate(timeout=BOUND)
        assert serve.returncode == 0, err
        assert "stopped" in err and "Traceback" not in err
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(timeout=BOUND)


def test_serve_stops_after_for_seconds() -> None:
    done = run("serve", "--for", "1", timeout=BOUND)
    assert done.returncode == 0 and "retently-oauth login --client-id" in done.stdout


def test_a_redis_store_url_with_a_key_never_prints_its_password(redis_url_fixture: str, tmp_path: Path) -> None:
    url = redis_url_fixture
    password = urlsplit(url).password
    assert password, "the test Redis has a password"
    key = unique_key("cli")
    with RetentlyServer() as server:
        client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
        TokenManager(client, open_store(url, key=key)).store_token(client.refresh(server.issue_refresh_token()))
        done = run("status", "--store", url, "--store-key", key)
        assert done.returncode == 0, done.stderr
        assert f"client id:      {server.client_id}" in done.stdout and f"(key {key})" in done.stdout
        assert ":***@" in done.stdout
        done = run("token", env={"RETENTLY_OAUTH_STORE": url, "RETENTLY_OAUTH_STORE_KEY": key})
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == open_store(url, key=key).load().access_token  # type: ignore[union-attr]
        done = run("refresh", "--store", url, "--store-key", key, "-v")
        assert done.returncode == 0, done.stderr
        done = run("status", "--store", url, "--store-key", unique_key("none"))
        assert done.returncode == 1 and "none" in done.stdout
        done = run("status", "--store", str(tmp_path / "c.json"), "--store-key", key)
        assert done.returncode == 2 and "--store" in done.stderr  # a file holds one set of credentials
    for form in forms(password):
        assert form not in "\n".join(OUTPUTS[-5:])


# no secrets in any output ----------------------------------------------------------------------------------------


def forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1], quote(secret)}


def test_no_command_prints_a_secret_in_any_encoding(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    outputs: list[str] = []

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        done = run(*args, stdin=stdin)
        OUTPUTS.pop()  # checked here: a `token` prints the token, by design
        outputs.append(done.stdout + done.stderr)
        return done

    with RetentlyServer(client_secret=SECRET, rotate_refresh_tokens=True) as server:
        seen: set[str] = {SECRET}
        with login([*server_args(server, store), "--timeout", "60", "--verbose"]) as running:
            url = running.url()
            location = http().request("GET", url, redirect=False).headers["Location"]
            seen.add(parse_qs(urlsplit(location).query)["code"][0])
            assert http().request("GET", location).status == 200
            status, out, err = running.finish()
            assert status == 0, err
            outputs.append(out + err)
        document = json.loads(store.read_text())
        seen |= {document["access_token"], document["refresh_token"]}
        for args in (["status"], ["refresh", "-v"], ["token", "-v"], ["refresh", "--client-secret", SECRET, "-v"]):
            done = cli(*args, "--store", str(store))
            assert done.returncode == 0
            document = json.loads(store.read_text())
            if args[0] == "token":  # its output is the access token, by design: that and nothing else
                assert done.stdout == document["access_token"] + "\n"
                outputs[-1] = done.stderr
            seen |= {document["access_token"], document["refresh_token"]}
        cli("refresh", "--store", str(store), "--client-secret", SECRET + "-wrong", "-v")
        cli("exchange", "--code", "used-or-unknown-code", "--redirect-uri", server.redirect_uri, "-v",
            *server_args(server, tmp_path / "x.json"))  # fmt: skip
        cli("validate", "-", "--model", "StoredCredentials", stdin=json.dumps({"client_secret": SECRET}))
        cli("authorize-url", "--client-id", server.client_id, "--redirect-uri", server.redirect_uri)
        cli("logout", "--store", str(store))
        cli("demo")
    printed = "\n".join(outputs + OUTPUTS)
    for secret in seen:
        for form in forms(secret):
            assert form not in printed, f"a secret was printed ({len(secret)} characters)"
