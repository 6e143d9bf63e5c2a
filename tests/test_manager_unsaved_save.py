"""A refreshed token whose save failed (issue 12): kept in memory, then settled against the store under its lock.

The save fails for real: the file store's path is replaced by a directory, PostgreSQL is stopped, Redis is killed
(append-only file on), or the holder's lock lapses and another holder writes a newer version (the compare-and-set
refuses the save). Once the store works again, the next call re-reads it under the lock:
- the store still holds the credentials the refresh started from: the kept token is saved (no second refresh, the
  spent refresh token is never sent again);
- the store holds newer credentials (another process refreshed, a new login): those are used and the kept token is
  dropped, never written over them;
- and no call raises forever once the store works.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from retently_oauth import TokenManager
from retently_oauth.exceptions import StoreError
from retently_oauth.models import StoredCredentials
from retently_oauth.store import CredentialStore, FileStore
from retently_oauth.testing import RetentlyServer

from . import dbservers
from .dbservers import restartable_postgres, restartable_redis
from .support import fresh_token, manager_with, stored

__all__ = ["restartable_postgres", "restartable_redis"]

BOUND = 60.0
"""Hang guard for each step."""
LOCK_TTL = 2.0
"""Redis: a lock left behind by a killed server's last holder lapses this long after it was taken."""


@attrs.define
class Backend:
    """A store location whose server (or file) the test breaks and repairs."""

    name: str
    open: Callable[..., CredentialStore]
    """A new store object on the same credentials, as another process would open it (keyword options passed on)."""
    break_: Callable[[], None]
    repair: Callable[[], None]
    secrets: list[str]
    """Passwords no error may name."""


def file_backend(directory: Path) -> Backend:
    path = directory / "creds.json"
    aside = directory / "creds.json.aside"

    def break_() -> None:  # a directory where the file was: reads and writes fail with EISDIR, even as root
        path.rename(aside)
        path.mkdir()

    def repair() -> None:
        path.rmdir()
        aside.rename(path)

    return Backend("file", lambda **options: FileStore(path, **options), break_, repair, [])


def postgres_backend(server: dbservers.PostgresServer) -> Backend:
    from retently_oauth.store_postgres import PostgresStore

    key = dbservers.unique_key("unsaved")

    def open_(**options: float) -> CredentialStore:
        return PostgresStore(server.dsn, key=key, connect_timeout=5.0, **options)  # type: ignore[arg-type]

    return Backend("postgres", open_, lambda: server.stop("fast"), server.start, [server.password])


def redis_backend(server: dbservers.RedisServer) -> Backend:
    from retently_oauth.store_redis import RedisStore

    key = dbservers.unique_key("unsaved")

    def open_(**options: float) -> CredentialStore:
        options = {"lock_ttl": LOCK_TTL, **options}
        return RedisStore(server.url, key=key, connect_timeout=5.0, socket_timeout=5.0, **options)  # type: ignore[arg-type]

    return Backend("redis", open_, server.kill, server.start, [server.password])


@pytest.fixture(params=["file", "postgres", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    name: str = request.param
    if name == "file":
        yield file_backend(tmp_path)
    elif name == "postgres":
        yield postgres_backend(request.getfixturevalue("restartable_postgres"))
    else:
        yield redis_backend(request.getfixturevalue("restartable_redis"))


def refresh_while(server: RetentlyServer, manager: TokenManager, act: Callable[[], None]) -> BaseException | None:
    """`manager.access_token()` in a thread; `act()` runs while its refresh request is held at the server (the lock
    taken, the refresh token not spent yet); the request is then answered. What the call raised, or None."""
    outcome: list[BaseException | None] = []

    def call() -> None:
        try:
            manager.access_token()
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=call, daemon=True)
    with server.hold_token_requests():
        thread.start()
        assert server.wait_for("held", timeout=BOUND), "the refresh never reached the server"
        act()
    thread.join(BOUND)
    assert not thread.is_alive() and outcome, "the refresh hung"
    return outcome[0]


def assert_no_secret(error: BaseException, backend: Backend, *documents: StoredCredentials | None) -> None:
    text = f"{error} {error!r}"
    for secret in backend.secrets:
        assert secret not in text
    for document in documents:
        if document is not None:
            for secret in (document.client_secret, document.access_token, document.refresh_token):
                assert secret not in text


def test_a_rotated_token_whose_save_failed_is_saved_once_the_store_is_back(backend: Backend) -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        store = backend.open()
        manager = manager_with(server, store)
        before = store.load()
        assert before is not None
        refreshes = server.counts["refresh_token"] + 1
        error = refresh_while(server, manager, backend.break_)
        assert isinstance(error, StoreError), error
        assert_no_secret(error, backend, before)
        assert server.counts["refresh_token"] == refreshes and not server.refresh_token_valid(before.refresh_token)
        with pytest.raises(StoreError) as still:  # still broken: a typed error, and no refresh (nothing replayed)
            manager.access_token()
        assert_no_secret(still.value, backend, before)
        assert server.counts["refresh_token"] == refreshes
        backend.repair()
        token = manager.access_token()
        assert server.counts["refresh_token"] == refreshes  # the kept token was saved, not refreshed again
        after = backend.open().load()
        assert after is not None and after.access_token == token
        assert server.refresh_token_valid(after.refresh_token)
        assert (after.access_token, after.refresh_token) == server.issued_pairs()[-1]
        assert manager.access_token() == token


def test_a_newer_token_written_while_the_store_was_down_is_used_not_overwritten(backend: Backend) -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        store = backend.open()
        manager = manager_with(server, store)
        error = refresh_while(server, manager, backend.break_)
        assert isinstance(error, StoreError), error
        backend.repair()
        newer = stored(server, fresh_token(server))  # another host logged in again meanwhile
        backend.open().save(newer)
        refreshes = server.counts["refresh_token"]
        token = manager.access_token()
        assert token == newer.access_token  # the store's newer credentials win
        assert server.counts["refresh_token"] == refreshes
        assert backend.open().load() == newer  # not overwritten by the kept token
        manager.refresh()  # and the manager carries on from them
        after = backend.open().load()
        assert after is not None and server.refresh_token_valid(after.refresh_token)
        assert after.refresh_token != newer.refresh_token


@pytest.mark.parametrize("name", ["postgres", "redis"])
def test_a_save_refused_by_the_version_check_gives_way_to_the_newer_token(
    name: str, request: pytest.FixtureRequest
) -> None:
    """The holder's lock lapses (PostgreSQL `hold_timeout`, Redis `lock_ttl`) while its refresh is held at the
    server; another holder takes the lock and saves newer credentials; the first holder's save is refused by the
    compare-and-set. Its next call uses the newer credentials, however often it is asked, and never writes over
    them."""
    if name == "postgres":
        backend = postgres_backend(request.getfixturevalue("restartable_postgres"))
        lapse = {"hold_timeout": 0.5}
    else:
        backend = redis_backend(request.getfixturevalue("restartable_redis"))
        lapse = {"lock_ttl": 0.5}
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        store = backend.open(**lapse)
        manager = manager_with(server, store)
        newer = stored(server, fresh_token(server))
        other = backend.open(lock_timeout=30.0)

        def another_holder_writes() -> None:
            with other.locked():  # waits until the first holder's lock lapses
                assert other.load() is not None
                other.save(newer)

        error = refresh_while(server, manager, another_holder_writes)
        assert isinstance(error, StoreError) and "changed since" in str(error), error
        assert_no_secret(error, backend, newer)
        version = other.version()  # type: ignore[attr-defined]
        refreshes = server.counts["refresh_token"]
        for _ in range(3):
            assert manager.access_token() == newer.access_token
        assert server.counts["refresh_token"] == refreshes
        assert other.load() == newer and other.version() == version  # type: ignore[attr-defined]
