"""`retently-oauth login` with a real browser: headless Chromium (Debian's `chromium`) driven by Playwright.

The CLI runs as a user types it (a subprocess, `--no-browser`), against the embedded Retently server showing its
consent page. The test's browser opens the printed authorization URL, clicks Allow or Deny, follows the redirect
to the CLI's loopback receiver and gets the outcome page: the browser does to the receiver what browsers do
(preconnects, `/favicon.ico`, a second tab). Each outcome page is saved as a screenshot in the test's tmp dir
and in /tmp/screens. No browser is downloaded: without /usr/bin/chromium or the playwright module the tests
skip (and fail under CI=true, where `.ci/run` installs both).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import urllib3

from retently_oauth import FileStore, OAuthClient, TokenManager
from retently_oauth.testing import RetentlyServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BOUND = 30.0
"""Hang guard, in seconds, for each step (a browser start, a page load, the CLI's exit)."""
SCREENS = Path(tempfile.gettempdir()) / "screens"
"""Where the screenshots are copied for a person to look at (/tmp/screens)."""

pytestmark = pytest.mark.timeout(180)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test (.ci/run installs chromium, the test extra playwright)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        _unavailable(f"no browser: {CHROMIUM} is missing (Debian's package `chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("no browser driver: the playwright module is missing (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=BOUND * 1000, handle_sigint=False
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 900, "height": 640})
    ctx.set_default_timeout(BOUND * 1000)
    ctx.set_default_navigation_timeout(BOUND * 1000)
    try:
        yield ctx
    finally:
        ctx.close()


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETENTLY_", "SSL_CERT", "REQUESTS_CA"))}
    env["BROWSER"] = "true"  # belt and braces: the CLI must never open a browser of its own here
    return env


class Login:
    """`retently-oauth login --no-browser` in a subprocess; its output is read by threads, with bounded waits."""

    def __init__(self, server: RetentlyServer, store: Path) -> None:
        command = [sys.executable, "-m", "retently_oauth", "login", "--no-browser", "--timeout", "120"]
        command += ["--client-id", server.client_id, "--client-secret", server.client_secret]
        command += ["--authorize-url", server.endpoints.authorize_url, "--token-url", server.endpoints.token_url]
        command += ["--store", str(store)]
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env()
        )
        self._stdout: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump_stdout, daemon=True),
            threading.Thread(target=self._pump_stderr, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self.stdout: list[str] = []

    def _pump_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._stdout.put(line)
        self._stdout.put(None)

    def _pump_stderr(self) -> None:
        assert self.proc.stderr is not None
        self._stderr.extend(self.proc.stderr)

    def authorization_url(self) -> str:
        """The first line on stdout that is a URL (the CLI prints the authorization URL there)."""
        while True:
            try:
                line = self._stdout.get(timeout=BOUND)
            except queue.Empty:
                pytest.fail(f"login printed no authorization URL within {BOUND:g} s")
            if line is None:
                pytest.fail(f"login ended without an authorization URL: {''.join(self._stderr)}")
            self.stdout.append(line)
            if line.startswith(("http://", "https://")):
                return line.strip()

    def finish(self) -> tuple[int, str, str]:
        """Exit status, stdout and stderr; fails (and kills the process) if it runs past the bound."""
        try:
            self.proc.wait(timeout=BOUND)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"login still running {BOUND:g} s later: {''.join(self._stderr)}")
        for thread in self._threads:
            thread.join(BOUND)
        while not self._stdout.empty():  # the pump has ended: what is left is all there is
            line = self._stdout.get_nowait()
            if line is not None:
                self.stdout.append(line)
        return self.proc.returncode, "".join(self.stdout), "".join(self._stderr)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=BOUND)


@pytest.fixture
def run_login() -> Iterator[Any]:
    started: list[Login] = []

    def start(server: RetentlyServer, store: Path) -> Login:
        started.append(Login(server, store))
        return started[-1]

    yield start
    for login in started:
        login.kill()


def redirect_of(url: str) -> str:
    """The receiver's redirect URI, read from the authorization URL (whatever the CLI prints around it)."""
    return parse_qs(urlsplit(url).query)["redirect_uri"][0]


def screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, SCREENS / path.name)
    return path


def heading(page: Page) -> str:
    return page.locator("h1").first.inner_text()


def consent(page: Page, url: str, tmp_path: Path, button: str, redirect: str) -> int:
    """Opens the authorization URL, checks the consent page, clicks `button`; the status of the page it lands on."""
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert "Authorize access" in heading(page)
    screenshot(page, tmp_path, "consent")
    with page.expect_navigation(url=lambda u: u.startswith(redirect)) as landed:
        page.get_by_role("button", name=button).click()
    final = landed.value
    assert final is not None
    page.wait_for_load_state("load")
    return final.status


def stored(store: Path) -> dict[str, Any]:
    doc = json.loads(store.read_text())
    assert isinstance(doc, dict)
    return doc


def api_status(server: RetentlyServer, access_token: str) -> int:
    http = urllib3.PoolManager(retries=False, timeout=BOUND)
    return http.request("GET", server.api_url, headers={"Authorization": f"Bearer {access_token}"}).status


# Allow ------------------------------------------------------------------------------------------------------------


def test_allow_logs_in_and_a_second_tab_gets_the_already_received_page(
    context: BrowserContext, run_login: Any, tmp_path: Path
) -> None:
    store = tmp_path / "creds.json"
    with RetentlyServer(consent="page") as server:
        login: Login = run_login(server, store)
        url = login.authorization_url()
        redirect = redirect_of(url)
        page = context.new_page()
        # The CLI's token request is held at the server until the tabs below are done: the first tab's outcome
        # page waits for the exchange (it shows the real outcome), and the receiver stays up meanwhile.
        with server.hold_token_requests():
            response = page.goto(url)
            assert response is not None and response.status == 200
            assert "Authorize access" in heading(page)
            screenshot(page, tmp_path, "consent")
            with page.expect_request(lambda request: request.url.startswith(redirect)) as redirected:
                page.get_by_role("button", name="Allow").click(no_wait_after=True)
            callback = redirected.value.url  # its page waits for the exchange, held below
            assert server.wait_for("held", 1, timeout=BOUND), "the CLI did not exchange the code"

            second = context.new_page()  # the same callback again: a reload, a second tab, back/forward
            # Past the HTTP cache (as with DevTools' "Disable cache"): through it, Chromium holds a request for a
            # URL another tab's request is still open for on the cache's lock for 20 s before sending it.
            devtools = context.new_cdp_session(second)
            devtools.send("Network.enable")
            devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})
            again = second.goto(callback)
            assert again is not None and again.status == 200
            assert "already received" in heading(second).lower()
            screenshot(second, tmp_path, "second-tab")

            spoof = f"{redirect}?{urlencode({'code': 'forged', 'state': 'not-ours'})}"
            wrong = context.new_page()
            answered = wrong.goto(spoof)
            assert answered is not None and answered.status == 400
            assert "not this login" in heading(wrong).lower()
            assert "forged" not in wrong.content() and "not-ours" not in wrong.content()
            screenshot(wrong, tmp_path, "wrong-state")
            assert login.proc.poll() is None  # still in its token request
        page.wait_for_url(lambda u: u.startswith(redirect))
        page.wait_for_load_state("load")
        assert heading(page) == "Logged in"  # shown once the code was exchanged and the credentials saved
        assert "close this tab" in page.content()
        screenshot(page, tmp_path, "allow")
        returncode, out, err = login.finish()

        assert returncode == 0, err
        assert "logged in" in err
        doc = stored(store)
        assert server.refresh_token_valid(doc["refresh_token"])
        assert doc["refresh_token"] not in out + err and doc["access_token"] not in out + err
        assert server.counts["consent_allowed"] == 1 and server.counts["authorization_code"] == 1

        # The store holds a working token: the CLI prints it and the API accepts it.
        token = subprocess.run(
            [sys.executable, "-m", "retently_oauth", "token", "--store", str(store)],
            capture_output=True,
            text=True,
            timeout=BOUND,
            env=clean_env(),
            check=False,
        )
        assert token.returncode == 0, token.stderr
        assert api_status(server, token.stdout.strip()) == 200
        manager = TokenManager.from_store(FileStore(store))
        assert api_status(server, manager.refresh().access_token) == 200


# Deny -------------------------------------------------------------------------------------------------------------


def test_deny_exits_1_with_a_clear_message_and_leaves_the_store_untouched(
    context: BrowserContext, run_login: Any, tmp_path: Path
) -> None:
    store = tmp_path / "creds.json"
    with RetentlyServer(consent="page") as server:
        # A store holding earlier credentials: a denied login must leave them as they were.
        client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
        TokenManager(client, FileStore(store)).store_token(client.refresh(server.issue_refresh_token()))
        before = store.read_bytes()

        login: Login = run_login(server, store)
        url = login.authorization_url()
        page = context.new_page()
        status = consent(page, url, tmp_path, "Deny", redirect_of(url))
        assert status == 200
        assert re.search(r"not completed|denied|not granted", page.content(), re.IGNORECASE)
        assert "access_denied" not in heading(page)
        screenshot(page, tmp_path, "deny")
        returncode, _, err = login.finish()

        assert returncode == 1
        last = err.strip().splitlines()[-1]
        assert "denied" in last.lower(), err
        assert "Traceback" not in err
        assert store.read_bytes() == before
        assert server.counts["consent_denied"] == 1 and server.counts["authorization_code"] == 0
