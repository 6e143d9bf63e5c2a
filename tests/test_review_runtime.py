"""Review session 4 (a new user and a downstream SDK author on a fresh clone): defects found, one test each.

Each test states what a user typed and what they should have got. Run:
`.nox/ci/bin/pytest -q -p no:cacheprovider tests/test_review_runtime.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import datetime, timezone, tzinfo
from pathlib import Path

import attrs
import pytest
from retently_oauth_models import PropertyPropertyConnectionAuthMeta

import retently_oauth
from retently_oauth import ArgumentError, DocumentError, FileStore, OAuthClient, RetentlyOAuthError
from retently_oauth.models import PropertyConnectionAuth, StoredCredentials

BOUND = 60.0
"""Hang guard for one command, in seconds."""


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETENTLY_", "SSL_CERT", "REQUESTS_CA"))}
    env["BROWSER"] = "true"  # never a real browser
    return subprocess.run(
        [sys.executable, "-m", "retently_oauth", *args],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=env,
        check=False,
    )


def stored_credentials(expires_at: datetime) -> StoredCredentials:
    return StoredCredentials(
        client_id="client-1",
        client_secret="s3cret-value",
        token_url="https://app.retently.com/api/oauth/token",
        access_token="at-value",
        refresh_token="rt-value",
        expires_at=expires_at,
    )


def naive_credentials() -> StoredCredentials:
    return stored_credentials(datetime(2030, 1, 1))  # no tzinfo, as datetime.now() or .fromtimestamp(t) give


def test_what_dumps_writes_for_a_naive_datetime_can_be_read_back() -> None:
    """`dumps` of a document built with a naive datetime wrote `"2030-01-01T00:00:00"`, which `loads` rejects
    (`$.expires_at: expected an RFC 3339 date-time`): refuse it on writing (a typed error naming the path), or
    write an offset; never write what reading refuses."""
    with pytest.raises(DocumentError) as caught:  # refused, not guessed as local time
        retently_oauth.dumps(naive_credentials())
    assert "$.expires_at: a date-time needs a UTC offset (tzinfo)" in str(caught.value)
    aware = stored_credentials(datetime(2030, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(DocumentError, match=r"\$\.issued_at: a date-time needs"):
        retently_oauth.unstructure(attrs.evolve(aware, issued_at=datetime(2029, 1, 1)))
    nested = PropertyConnectionAuth(
        expiry_date=datetime(2030, 1, 1), additional_properties={"seen": [datetime(2030, 1, 1)]}
    )
    with pytest.raises(DocumentError) as caught:
        retently_oauth.dumps(nested)
    assert "$.expiry_date:" in str(caught.value) and "$.seen[0]:" in str(caught.value)
    assert retently_oauth.loads(retently_oauth.dumps(aware), StoredCredentials) == aware


class _NoOffset(tzinfo):
    """A tzinfo whose utcoffset() is None: the datetime is naive though its tzinfo is set (datetime's own rule)."""

    def utcoffset(self, dt: datetime | None) -> None:
        return None

    def dst(self, dt: datetime | None) -> None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        return "none"


def test_the_quick_look_before_writing_misses_no_naive_datetime() -> None:
    """`unstructure` looks quickly at the fields that may hold a date-time and walks the document only when one may be
    naive: a tzinfo without an offset, a naive value in a nested object's members, beside aware ones."""
    aware = datetime(2030, 1, 1, tzinfo=timezone.utc)
    cases = {
        "$.expires_at": stored_credentials(datetime(2030, 1, 1, tzinfo=_NoOffset())),
        "$.meta.when": PropertyConnectionAuth(
            expiry_date=aware, meta=_meta({"plan": "pro", "when": datetime(2030, 1, 1)})
        ),
        "$.later": PropertyConnectionAuth(
            expiry_date=aware, additional_properties={"n": 1, "later": datetime(2031, 1, 1)}
        ),
    }
    for path, document in cases.items():
        with pytest.raises(DocumentError) as caught:
            retently_oauth.unstructure(document)
        assert [p.path for p in caught.value.problems] == [path]
    fine = PropertyConnectionAuth(expiry_date=aware, meta=_meta({"plan": "pro", "seats": 3, "tags": ["a"]}))
    assert retently_oauth.structure(retently_oauth.unstructure(fine), PropertyConnectionAuth) == fine


def _meta(members: dict[str, object]) -> PropertyPropertyConnectionAuthMeta:
    return PropertyPropertyConnectionAuthMeta(additional_properties=members)


def test_a_file_store_never_saves_a_document_it_then_calls_corrupt() -> None:
    """`FileStore.save` of that document succeeded, and the next `load` raised `StoreError: credentials store
    ... is corrupt`: the store must refuse it at `save` (its file left as it was), or save it readable."""
    with tempfile.TemporaryDirectory() as home:
        store = FileStore(Path(home) / "creds.json")
        with pytest.raises(RetentlyOAuthError) as caught:
            store.save(naive_credentials())
        assert "$.expires_at" in str(caught.value) and "s3cret" not in str(caught.value)
        assert store.load() is None
        before = stored_credentials(datetime(2029, 1, 1, tzinfo=timezone.utc))
        store.save(before)
        with pytest.raises(RetentlyOAuthError):
            store.save(naive_credentials())
        assert store.load() == before  # the file left as it was


def test_login_with_a_mistyped_redirect_uri_says_it_is_not_a_url() -> None:
    """`login --redirect-uri http//127.0.0.1:8769/callback` (colon missing) said the URI "points to another host
    or uses https" and sent the user to authorize-url, which then says "--redirect-uri must be an absolute URL".
    login should say the latter at once."""
    done = cli(
        "login", "--client-id", "id", "--client-secret=secret-1", "--no-browser", "--timeout", "1",
        "--redirect-uri", "http//127.0.0.1:8769/callback",
    )  # fmt: skip
    assert done.returncode == 2
    assert "absolute URL" in done.stderr, done.stderr
    assert "another host" not in done.stderr, done.stderr


def test_a_redirect_uri_with_a_fragment_is_refused() -> None:
    """RFC 6749 3.1.2: the redirection endpoint URI MUST NOT include a fragment. `authorize-url --redirect-uri
    https://example.com/cb#frag` printed a URL with `redirect_uri=...%23frag` (exit 0)."""
    done = cli("authorize-url", "--client-id", "id", "--redirect-uri", "https://example.com/cb#frag")
    assert done.returncode == 2, done.stdout
    assert "--redirect-uri" in done.stderr and "fragment" in done.stderr, done.stderr
    exchange = ["exchange", "--client-id", "id", "--client-secret=secret-1", "--code", "code-1", "--store"]
    for args in (
        [*exchange, str(Path(tempfile.gettempdir()) / "never-written.json"), "--redirect-uri", "https://e.com/cb#"],
        ["login", "--client-id", "id", "--client-secret=secret-1", "--no-browser", "--timeout", "1",
         "--redirect-uri", "http://127.0.0.1:8769/callback#frag"],
    ):  # fmt: skip
        done = cli(*args)
        assert done.returncode == 2, done.stdout
        assert "--redirect-uri" in done.stderr and "fragment" in done.stderr, done.stderr
        assert "secret-1" not in done.stderr + done.stdout
    with pytest.raises(ArgumentError, match=r"redirect_uri.*fragment"):  # the Python API too
        OAuthClient("id", "secret-1", "https://example.com/cb#frag")


def test_a_missing_store_extra_gives_one_thing_to_do() -> None:
    """With psycopg missing, `token --store postgresql://...` said `needs psycopg: pip install
    'retently-oauth[postgres]'; check --store and its permissions`: permissions have nothing to do with it."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.modules['psycopg'] = None; from retently_oauth.cli import main; "
            "sys.exit(main(['token', '--store', 'postgresql://u:pw@127.0.0.1:1/db']))",
        ],
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    assert "retently-oauth[postgres]" in done.stderr, done.stderr
    assert "permissions" not in done.stderr, done.stderr


def test_login_says_so_when_no_browser_could_be_opened() -> None:
    """On a machine with no browser (an SSH session: `webbrowser.open` returns False), login printed "Open this URL
    to log in (opening your browser):" and nothing opened. It should say that no browser was found and to open the
    URL printed by hand (or pass --no-browser)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETENTLY_", "DISPLAY", "WAYLAND"))}
    env["BROWSER"] = "/nonexistent/browser"  # webbrowser.open() returns False, as where no browser is installed
    login = ["login", "--client-id", "id", "--client-secret=secret-1", "--timeout", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "retently_oauth", *login],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert "opening your browser" not in done.stderr, done.stderr
    assert "no browser could be opened" in done.stderr and "by hand" in done.stderr, done.stderr
    assert "secret-1" not in done.stderr + done.stdout


def test_a_store_path_with_a_tilde_from_the_environment_means_the_home_directory(tmp_path: Path) -> None:
    """`RETENTLY_OAUTH_STORE=~/creds.json` in an env file, a systemd unit or a CI variable (no shell expands the `~`
    there): `status` looked for `./~/creds.json` in the current directory ("not created yet") and `login` would
    have saved there. The help shows `--store ~/.config/...`: expand `~` (or refuse it), never a `~` directory."""
    home = tmp_path / "home"
    home.mkdir()
    FileStore(home / "creds.json").save(stored_credentials(datetime(2030, 1, 1, tzinfo=timezone.utc)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETENTLY_")}
    env.update(HOME=str(home), RETENTLY_OAUTH_STORE="~/creds.json")
    done = subprocess.run(
        [sys.executable, "-m", "retently_oauth", "status"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "client-1" in done.stdout


def test_a_store_path_with_a_tilde_on_the_command_line_means_the_home_directory(tmp_path: Path) -> None:
    """`--store '~/creds.json'` (quoted, so no shell expanded it) is the home directory too; a `~user` with no home
    is refused (exit 2), never made a directory named `~user`."""
    home = tmp_path / "home"
    home.mkdir()
    FileStore(home / "creds.json").save(stored_credentials(datetime(2030, 1, 1, tzinfo=timezone.utc)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETENTLY_")}
    env["HOME"] = str(home)
    run = ["status", "--store"]
    done = subprocess.run(
        [sys.executable, "-m", "retently_oauth", *run, "~/creds.json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=BOUND, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "client-1" in done.stdout and str(home / "creds.json") in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "retently_oauth", *run, "~no-such-user-here/creds.json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=BOUND, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "full path" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]
