"""Removing credentials (issue 12): `delete()` on every store and `retently-oauth logout --store URL` for the
database stores, against real PostgreSQL and Redis servers (tests/dbservers.py) and files.

A database store's removal is versioned like a save: the version grows (the record keeps no credentials, only the
version), a holder whose lock lapsed and who read the credentials before they were removed cannot write them back,
and a removal is refused rather than delete credentials newer than the ones its holder read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from retently_oauth import OAuthClient, ReauthorizationRequired, TokenManager
from retently_oauth.exceptions import StoreError
from retently_oauth.store import MemoryStore
from retently_oauth.store_url import open_store
from retently_oauth.testing import RetentlyServer

from . import dbservers
from .dbservers import restartable_postgres, restartable_redis
from .support import fresh_token, manager_with, stored
from .test_manager_unsaved_save import Backend, backend, postgres_backend, redis_backend, refresh_while

__all__ = ["backend", "restartable_postgres", "restartable_redis"]

BOUND = 60.0
"""Hang guard for each command."""


def version_of(store: object) -> int | None:
    version = getattr(store, "version", None)
    return version() if callable(version) else None


def test_delete_removes_the_credentials_and_the_version_keeps_growing(backend: Backend) -> None:
    with RetentlyServer() as server:
        store = backend.open()
        assert store.delete() is False  # type: ignore[attr-defined]  # nothing stored: nothing to remove
        first = stored(server, fresh_token(server))
        store.save(first)
        before = version_of(store)
        assert store.delete() is True  # type: ignore[attr-defined]
        assert store.load() is None and backend.open().load() is None
        assert store.delete() is False  # type: ignore[attr-defined]
        if before is not None:
            assert version_of(store) == before + 1  # removal is a write: the version never goes back
        with store.locked():  # removed under the lock as well (what logout does)
            assert store.load() is None
            assert store.delete() is False  # type: ignore[attr-defined]
        again = stored(server, fresh_token(server))  # a new login after the logout
        store.save(again)
        assert backend.open().load() == again
        if before is not None:
            assert version_of(store) == before + 2
        with store.locked():
            assert store.load() == again
            assert store.delete() is True  # type: ignore[attr-defined]
            assert store.load() is None
        assert backend.open().load() is None
    memory = MemoryStore()
    assert memory.delete() is False
    memory.save(first)
    assert memory.delete() is True and memory.load() is None


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_a_removal_never_deletes_credentials_newer_than_its_holder_read(
    name: str, request: pytest.FixtureRequest
) -> None:
    """The remover's lock lapses after it read; another holder saves newer credentials; the removal is refused
    (StoreError, nothing removed) and the newer credentials stay."""
    lapse = {"hold_timeout": 0.5} if name == "postgres" else {"lock_ttl": 0.5}
    backend = (
        postgres_backend(request.getfixturevalue("restartable_postgres"))
        if name == "postgres"
        else redis_backend(request.getfixturevalue("restartable_redis"))
    )
    with RetentlyServer() as server:
        remover = backend.open(**lapse)
        remover.save(stored(server, fresh_token(server)))
        other = backend.open(lock_timeout=30.0)
        newer = stored(server, fresh_token(server))
        with remover.locked():
            assert remover.load() is not None
            with other.locked():  # waits until the remover's lock lapses
                other.load()
                other.save(newer)
            with pytest.raises(StoreError, match="changed since this holder read") as caught:
                remover.delete()  # type: ignore[attr-defined]
        assert newer.refresh_token not in str(caught.value) and newer.client_secret not in str(caught.value)
        assert all(secret not in str(caught.value) for secret in backend.secrets)
        assert backend.open().load() == newer


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_a_refresh_in_flight_does_not_bring_removed_credentials_back(name: str, request: pytest.FixtureRequest) -> None:
    """A manager's lock lapses while its refresh is held at the server; logout (through the Python API) removes the
    credentials meanwhile; the manager's save is refused, and its later calls find the store empty
    (ReauthorizationRequired) instead of saving the token it kept."""
    lapse = {"hold_timeout": 0.5} if name == "postgres" else {"lock_ttl": 0.5}
    backend = (
        postgres_backend(request.getfixturevalue("restartable_postgres"))
        if name == "postgres"
        else redis_backend(request.getfixturevalue("restartable_redis"))
    )
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        manager = manager_with(server, backend.open(**lapse))
        remover = backend.open(lock_timeout=30.0)

        def logout() -> None:
            with remover.locked():  # waits until the manager's lock lapses
                assert remover.load() is not None
                assert remover.delete() is True  # type: ignore[attr-defined]

        error = refresh_while(server, manager, logout)
        assert isinstance(error, StoreError) and "changed since" in str(error), error
        removed = version_of(remover)
        for _ in range(2):
            with pytest.raises(ReauthorizationRequired):
                manager.access_token()
        assert remover.load() is None and version_of(remover) == removed


def test_a_token_kept_after_a_failed_save_is_not_saved_over_a_logout(backend: Backend) -> None:
    """The store breaks during a refresh (the token is kept in memory); once it is back, the credentials are
    removed; the manager's next call drops the kept token instead of bringing the credentials back."""
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        manager = manager_with(server, backend.open())
        error = refresh_while(server, manager, backend.break_)
        assert isinstance(error, StoreError), error
        backend.repair()
        assert backend.open().delete() is True  # type: ignore[attr-defined]
        with pytest.raises(ReauthorizationRequired):
            manager.access_token()
        assert backend.open().load() is None


# the CLI ----------------------------------------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETENTLY_")}
    return subprocess.run(
        [sys.executable, "-m", "retently_oauth", *args],
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_logout_removes_credentials_from_a_database_store(name: str, tmp_path: Path) -> None:
    if name == "postgres":
        pytest.importorskip("psycopg", reason="psycopg is not installed (extra retently-oauth[postgres])")
        url = dbservers.postgres_dsn()
    else:
        pytest.importorskip("redis", reason="redis-py is not installed (extra retently-oauth[redis])")
        url = dbservers.redis_url()
    password = urlsplit(url).password
    assert password, "the test server has a password"
    key = dbservers.unique_key("logout")
    neighbour = dbservers.unique_key("logout-neighbour")
    outputs: list[str] = []

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = cli(*args)
        outputs.append(done.stdout + done.stderr)
        return done

    with RetentlyServer() as server:
        client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
        token = client.refresh(server.issue_refresh_token())
        TokenManager(client, open_store(url, key=key)).store_token(token)
        TokenManager(client, open_store(url, key=neighbour)).store_token(fresh_token(server))
        assert run("status", "--store", url, "--store-key", key).returncode == 0
        done = run("logout", "--store", url, "--store-key", key)
        assert done.returncode == 0, done.stderr
        assert "removed the credentials from" in done.stdout and f"(key {key})" in done.stdout
        assert "no token revocation endpoint" in done.stdout
        assert open_store(url, key=key).load() is None
        assert open_store(url, key=neighbour).load() is not None  # another key is another set of credentials
        assert server.refresh_token_valid(token.refresh_token or "")  # not revoked, as logout says
        done = run("status", "--store", url, "--store-key", key)
        assert done.returncode == 1 and "credentials:    none" in done.stdout
        done = run("logout", "--store", url, "--store-key", key)
        assert done.returncode == 0 and "nothing to remove" in done.stdout, done.stdout + done.stderr
        done = run("token", "--store", url, "--store-key", key)
        assert done.returncode != 0 and "login" in done.stderr
        # a new login after the logout is stored and read again
        TokenManager(client, open_store(url, key=key)).store_token(fresh_token(server))
        assert run("status", "--store", url, "--store-key", key).returncode == 0
        assert run("logout", "--store", url, "--store-key", key).returncode == 0
        assert open_store(url, key=key).load() is None
    printed = "\n".join(outputs)
    for secret in (password, quote(password, safe=""), server.client_secret, token.access_token):
        assert secret not in printed
    assert token.refresh_token and token.refresh_token not in printed


def test_logout_waits_for_a_refresh_holding_the_lock(tmp_path: Path) -> None:
    """`logout` takes the store's lock: a refresh that holds it finishes and saves first, then the credentials are
    removed (never written back by that refresh)."""
    pytest.importorskip("redis", reason="redis-py is not installed (extra retently-oauth[redis])")
    url = dbservers.redis_url()
    key = dbservers.unique_key("logout-wait")
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        manager = manager_with(server, open_store(url, key=key))
        proc: list[subprocess.Popen[str]] = []

        def start_logout() -> None:
            env = {k: v for k, v in os.environ.items() if not k.startswith("RETENTLY_")}
            proc.append(
                subprocess.Popen(
                    [sys.executable, "-m", "retently_oauth", "logout", "--store", url, "--store-key", key],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                )
            )
            time.sleep(0.5)  # gives it time to reach the lock; the outcome is the same if it comes later

        try:
            assert refresh_while(server, manager, start_logout) is None
            out, err = proc[0].communicate(timeout=BOUND)
        finally:
            if proc and proc[0].poll() is None:
                proc[0].kill()
                proc[0].communicate()
        assert proc[0].returncode == 0, err
        assert "removed the credentials" in out
        assert open_store(url, key=key).load() is None
        with pytest.raises(ReauthorizationRequired):
            manager.refresh()
