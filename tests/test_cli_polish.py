"""Small CLI defects a new-user review found, each checked by running `retently-oauth` as a user types it (a
subprocess) against the embedded Retently server on loopback; nothing is mocked.

1. an empty --store says so and what to give; 2. a mistyped option suggests the real one, never its value;
3. each command's -v help says what -v does there; 4. logout removes corrupt credentials; 5. a stored redirect URI
that is no longer valid is named as the store's, with how to fix it. No secret in any output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from retently_oauth import FileStore, OAuthClient, TokenManager
from retently_oauth.store_url import open_store
from retently_oauth.testing import RetentlyServer

from .dbservers import redis_url_fixture, unique_key

__all__ = ["redis_url_fixture"]

SECRET = "polish/Secret+9=zz&q"
"""A secret-looking value, with characters that percent-encoding and JSON escaping change."""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("RETENTLY_", "SSL_CERT", "REQUESTS_CA"))}
    environ["BROWSER"] = "true"  # never a real browser
    environ.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "retently_oauth", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
        check=False,
    )
    assert SECRET not in done.stdout + done.stderr
    return done


def logged_in_store(server: RetentlyServer, store: Path) -> dict[str, object]:
    client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
    TokenManager(client, FileStore(store)).store_token(client.refresh(server.issue_refresh_token()))
    document: dict[str, object] = json.loads(store.read_text())
    return document


# 1. an empty store path ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["status", "token", "logout", "refresh"])
@pytest.mark.parametrize("form", [["--store", ""], ["--store="]])
def test_an_empty_store_path_says_it_is_empty_and_what_to_give(command: str, form: list[str]) -> None:
    done = run(command, *form)
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert "got str" not in line and "\n" not in line
    assert "--store is empty" in line, line
    assert "file path" in line and "postgresql://" in line and "redis://" in line


@pytest.mark.parametrize("command", ["status", "token", "logout"])
@pytest.mark.parametrize("blank", [" ", "\t  "])
def test_a_blank_store_path_is_refused_as_empty(command: str, blank: str, tmp_path: Path) -> None:
    done = subprocess.run(  # in an empty directory: a blank path must not become a file named by spaces there
        [sys.executable, "-m", "retently_oauth", command, "--store", blank],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("RETENTLY_")},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "--store is empty" in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("form", [["--store-key", ""], ["--store-key="]])
def test_an_empty_store_key_says_it_is_empty_and_what_to_give(form: list[str]) -> None:
    done = run("status", *form)
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert "got str" not in line and "\n" not in line
    assert "--store-key is empty" in line and "default" in line, line


def test_an_empty_store_environment_variable_means_the_default_store(tmp_path: Path) -> None:
    """An empty variable counts as unset, as for every RETENTLY_* variable: the default store, no 'got str'."""
    done = run("status", env={"RETENTLY_OAUTH_STORE": "", "HOME": str(tmp_path)})
    assert "got str" not in done.stderr
    assert str(tmp_path / ".config" / "retently-oauth" / "credentials.json") in done.stdout, done.stdout


# 2. a mistyped option ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "typed", "meant"),
    [
        ("token", "--client-secert", "--client-secret"),
        ("refresh", "--toekn-url", "--token-url"),
        ("login", "--redirect-url", "--redirect-uri"),
        ("status", "--stroe", "--store"),
    ],
)
@pytest.mark.parametrize("joined", [False, True])
def test_a_mistyped_option_suggests_the_real_one_without_its_value(
    command: str, typed: str, meant: str, joined: bool
) -> None:
    args = [f"{typed}={SECRET}"] if joined else [typed, SECRET]
    done = run(command, *args)
    assert done.returncode == 2
    line = done.stderr.strip()
    assert "\n" not in line
    assert f"did you mean {meant}?" in line, line
    assert typed in line


def test_an_option_like_nothing_real_gets_no_suggestion() -> None:
    done = run("status", "--zzzzqqqq", SECRET)
    assert done.returncode == 2
    assert "did you mean" not in done.stderr and "--zzzzqqqq" in done.stderr


# 3. what -v does -------------------------------------------------------------------------------------------------


def verbose_help(command: str) -> str:
    done = run(command, "--help")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    match = re.search(r"-v, --verbose (.*?\])", text)
    assert match, text
    return match.group(1)


@pytest.mark.parametrize("command", ["validate", "status", "logout", "serve", "authorize-url"])
def test_verbose_help_does_not_promise_http_requests_a_command_never_makes(command: str) -> None:
    text = verbose_help(command)
    assert "log each HTTP request" not in text and "no HTTP request" in text, text
    assert "how long" in text, text


@pytest.mark.parametrize("command", ["login", "token", "refresh", "exchange", "demo"])
def test_verbose_help_of_a_command_that_makes_requests_says_it_logs_them(command: str) -> None:
    assert "HTTP request" in verbose_help(command)


def test_verbose_on_status_does_what_its_help_says(tmp_path: Path) -> None:
    done = run("status", "--store", str(tmp_path / "none.json"), "-v")
    assert done.returncode == 1
    assert re.search(r"status: done in [0-9.]+ s", done.stderr), done.stderr


# 4. logout of corrupt credentials --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        '{"client_id": "a", "client_secret": "' + SECRET + '", "refresh_token": ',  # cut off
        '{"client_secret": "' + SECRET + '"}',  # valid JSON, not credentials
        "\x00\xff" + SECRET,
    ],
)
def test_logout_removes_corrupt_credentials_and_says_they_were_unreadable(content: str, tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    store.write_text(content, encoding="utf-8")
    store.chmod(0o600)
    assert run("token", "--store", str(store)).returncode == 1  # what the user ran into
    done = run("logout", "--store", str(store))
    assert done.returncode == 0, done.stderr
    assert not store.exists()
    assert "unreadable" in done.stdout and "removed" in done.stdout and str(store) in done.stdout, done.stdout
    assert "no token revocation endpoint" in done.stdout
    done = run("logout", "--store", str(store))
    assert done.returncode == 0 and "nothing to remove" in done.stdout


def test_logout_of_good_credentials_still_says_the_grant_stays_valid(tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    with RetentlyServer(client_secret=SECRET) as server:
        logged_in_store(server, store)
        done = run("logout", "--store", str(store))
    assert done.returncode == 0, done.stderr
    assert not store.exists()
    assert "unreadable" not in done.stdout and "removed the credentials from" in done.stdout
    assert "no token revocation endpoint" in done.stdout


# 5. a stored redirect URI that is no longer accepted -------------------------------------------------------------


@pytest.mark.parametrize("command", ["token", "refresh"])
def test_a_stored_redirect_uri_with_a_fragment_names_the_store_and_the_fix(command: str, tmp_path: Path) -> None:
    store = tmp_path / "c.json"
    with RetentlyServer(client_secret=SECRET) as server:
        document = logged_in_store(server, store)
        document["redirect_uri"] = f"{server.redirect_uri}#{SECRET}"
        store.write_text(json.dumps(document), encoding="utf-8")
        done = run(command, "--store", str(store))
        line = done.stderr.strip()
        assert done.returncode == 1, line
        assert "\n" not in line
        assert not line.startswith(f"retently-oauth {command}: --redirect-uri"), line
        assert f"redirect URI stored in {store}" in line and "fragment" in line, line
        assert "pass --redirect-uri" in line and "retently-oauth login" in line, line
        # the fix it names works: the given redirect URI replaces the stored one once the refresh works
        done = run(command, "--store", str(store), "--redirect-uri", server.redirect_uri)
        assert done.returncode == 0, done.stderr
        assert json.loads(store.read_text())["redirect_uri"] == server.redirect_uri
        assert run(command, "--store", str(store)).returncode == 0


@pytest.mark.parametrize(
    ("key", "named", "fix"),
    [
        ("token_url", "token URL", "pass --token-url"),
        ("authorize_url", "authorization URL", "run `retently-oauth login` again"),
    ],
)
def test_a_stored_endpoint_url_that_is_refused_names_the_store_and_the_fix(
    key: str, named: str, fix: str, tmp_path: Path
) -> None:
    store = tmp_path / "c.json"
    with RetentlyServer(client_secret=SECRET) as server:
        document = logged_in_store(server, store)
        document[key] = "http://user:pw-Zq9Kx7w2@127.0.0.1:1/x"
        store.write_text(json.dumps(document), encoding="utf-8")
        done = run("token", "--store", str(store))
    line = done.stderr.strip()
    assert done.returncode == 1, line
    assert "\n" not in line
    assert not line.startswith("retently-oauth token: --"), line
    assert f"the {named} stored in {store} must not carry userinfo" in line and fix in line, line
    assert "Zq9Kx7w2" not in done.stdout + done.stderr


def test_logout_removes_corrupt_credentials_from_a_redis_store(redis_url_fixture: str) -> None:
    import redis

    url, key = redis_url_fixture, unique_key("polish")
    with RetentlyServer(client_secret=SECRET) as server:
        client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
        TokenManager(client, open_store(url, key=key)).store_token(client.refresh(server.issue_refresh_token()))
    with redis.Redis.from_url(url, socket_timeout=10) as raw:
        raw.hset(f"retently-oauth:creds:{key}", "document", b'{"client_secret": "' + SECRET.encode() + b'"')
    assert run("token", "--store", url, "--store-key", key).returncode == 1
    done = run("logout", "--store", url, "--store-key", key)
    assert done.returncode == 0, done.stderr
    assert "removed the unreadable credentials" in done.stdout and f"(key {key})" in done.stdout, done.stdout
    assert open_store(url, key=key).load() is None
    password = urlsplit(url).password
    assert password and password not in done.stdout + done.stderr
    done = run("logout", "--store", url, "--store-key", key)
    assert done.returncode == 0 and "nothing to remove" in done.stdout


@pytest.mark.parametrize("flag", ["-v", "--quiet", f"--client-secret={SECRET}"])
def test_an_option_given_before_the_command_says_to_give_it_after(flag: str, tmp_path: Path) -> None:
    done = run(flag, "token", "--store", str(tmp_path / "c.json"))
    assert done.returncode == 2
    line = done.stderr.strip()
    shown = flag.split("=", 1)[0]
    assert "does not take" not in line, line
    assert f"give {shown} after the command" in line, line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--client-secret", SECRET, "token"], "give --client-secret after the command"),
        (["--store", "/srv/" + SECRET, "status"], "give --store after the command"),
        (["tokne"], "unknown command (did you mean token?)"),
        ([SECRET], "unknown command; the commands are: login, token,"),
    ],
)
def test_a_word_in_the_command_position_is_never_echoed(args: list[str], expected: str) -> None:
    done = run(*args)  # run() checks the secret is nowhere in the output
    assert done.returncode == 2
    line = done.stderr.strip()
    assert "\n" not in line
    assert expected in line, line
    assert "tokne" not in line
