"""The CLI as a user runs it: a subprocess, exit statuses, one-line errors, no secrets in output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import urllib3
from pytest_httpserver import HTTPServer

from retently_oauth import FileStore, OAuthClient, TokenManager
from retently_oauth.testing import RetentlyServer

SECRET = "cli-secret-VALUE-93ab"


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RETENTLY_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "retently_oauth", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        check=False,
    )


def test_demo_exits_0() -> None:
    done = run("demo")
    assert done.returncode == 0, done.stderr
    assert "7. API call with the new token: HTTP 200" in done.stdout
    assert "demo-client-secret" not in done.stdout + done.stderr


def test_bad_flags_exit_2() -> None:
    assert run("nonsense").returncode == 2
    assert run("exchange").returncode == 2  # --code is required
    done = run("authorize-url", "--redirect-uri", "http://127.0.0.1/cb")
    assert done.returncode == 2
    assert "--client-id" in done.stderr
    done = run(
        "authorize-url",
        "--client-id",
        "c",
        "--client-secret",
        "s",
        "--redirect-uri",
        "x",
        "--authorize-url",
        "http://example.com/authorize",
    )
    assert done.returncode == 2


def test_authorize_url_prints_url_then_state() -> None:
    env = {"RETENTLY_CLIENT_ID": "cid", "RETENTLY_CLIENT_SECRET": SECRET, "RETENTLY_REDIRECT_URI": "https://x.test/cb"}
    done = run("authorize-url", env=env)
    assert done.returncode == 0
    url, state = done.stdout.splitlines()
    assert url.startswith("https://app.retently.com/api/oauth/authorize?client_id=cid&")
    assert f"state={state}" in url
    assert SECRET not in done.stdout


def test_server_error_exits_1_with_one_line(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/token").respond_with_data("<html>down</html>", status=500)
    done = run(
        "exchange",
        "--code",
        SECRET,
        "--client-id",
        "c",
        "--client-secret",
        SECRET,
        "--redirect-uri",
        "http://127.0.0.1/cb",
        "--token-url",
        httpserver.url_for("/token"),
        "--store",
        str(tmp_path / "s.json"),
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert "not OAuth JSON" in done.stderr and "HTTP 500" in done.stderr
    assert "ResponseFormatError" not in done.stderr  # plain words, no class names
    assert SECRET not in done.stdout + done.stderr
    assert not (tmp_path / "s.json").exists()


def test_login_no_browser_then_token_and_refresh(tmp_path: Path) -> None:
    store = tmp_path / "creds.json"
    with RetentlyServer(client_secret=SECRET) as server:
        base = [
            "--client-id",
            server.client_id,
            "--client-secret",
            SECRET,
            "--authorize-url",
            server.endpoints.authorize_url,
            "--token-url",
            server.endpoints.token_url,
            "--store",
            str(store),
        ]
        proc = subprocess.Popen(
            [sys.executable, "-m", "retently_oauth", "login", "--no-browser", "--timeout", "30", *base],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith(server.endpoints.authorize_url)
        http = urllib3.PoolManager()
        location = http.request("GET", url, redirect=False).headers["Location"]
        assert http.request("GET", location).status == 200  # the browser lands on the loopback receiver
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert store.stat().st_mode & 0o777 == 0o600
        stored = json.loads(store.read_text())
        assert stored["client_secret"] == SECRET and stored["expires_at"].endswith("Z")

        done = run("token", "--store", str(store))
        assert done.returncode == 0
        assert done.stdout.strip() == stored["access_token"]
        assert server.counts["refresh_token"] == 0

        done = run("refresh", "--store", str(store))
        assert done.returncode == 0, done.stderr
        assert server.counts["refresh_token"] == 1
        assert SECRET not in done.stdout + done.stderr + out + err
        assert json.loads(store.read_text())["access_token"] != stored["access_token"]

        # a six-hour token with 30 s left is due within the 60 s leeway: `token` refreshes first
        document = json.loads(store.read_text())
        soon = datetime.now(timezone.utc) + timedelta(seconds=30)
        document["expires_at"] = soon.isoformat()
        document["issued_at"] = (soon - timedelta(hours=6)).isoformat()
        store.write_text(json.dumps(document))
        done = run("token", "--store", str(store))
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() != document["access_token"]
        assert done.stdout.strip() == json.loads(store.read_text())["access_token"]
        assert server.counts["refresh_token"] == 2


def test_token_on_a_short_lived_token_refreshes_at_half_its_lifetime(tmp_path: Path) -> None:
    """A 30 s token is not "due within the 60 s leeway" forever: the leeway is capped at half the lifetime."""
    store = tmp_path / "creds.json"
    with RetentlyServer(expires_in=30) as server:
        client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
        TokenManager(client, FileStore(store)).store_token(client.refresh(server.issue_refresh_token()))
        first = run("token", "--store", str(store))
        second = run("token", "--store", str(store))
        assert first.returncode == second.returncode == 0
        assert first.stdout == second.stdout
        assert server.counts["refresh_token"] == 1  # the one above; neither `token` refreshed


def test_validate(tmp_path: Path) -> None:
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"credentials": {"client_id": "c", "refresh_token": SECRET}}))
    done = run("validate", str(doc), "--model", "SourceRetently")
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["$.credentials.client_secret: required field missing"]
    assert SECRET not in done.stdout + done.stderr
    doc.write_text(json.dumps({"access_token": "a"}))
    assert run("validate", str(doc), "--model", "TokenResponse").returncode == 0
    assert run("validate", str(doc), "--model", "NoSuchModel").returncode == 2
