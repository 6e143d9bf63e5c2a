"""Helpers shared by test modules: a hang guard for calls that must end, and the tests that the PostgreSQL and Redis
stores pass alike. Those are collected where a store's test module imports them (and lists them in `__all__`):
each runs there with that module's `make` fixture, a factory for its own store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import pytest

from retently_oauth import TokenManager
from retently_oauth.exceptions import StoreError
from retently_oauth.testing import RetentlyServer

from .rawservers import RawConnection
from .support import fresh_token, manager_with, stored

StoreFactory = Callable[..., Any]
"""`make(key=None, **options)`: a PostgresStore or RedisStore on the test's server, a new key unless given."""


def call_within(seconds: float, fn: Callable[[], object], *, suspect: str = "") -> object:
    """fn's result or the exception it raised, in a thread joined within `seconds` (a hang guard); `suspect` is
    added to the failure message (what a hang would mean)."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s{suspect}"
    return outcome[0]


# the database stores' shared tests ------------------------------------------------------------------------------------


def password_of(url: str) -> str:
    return urlsplit(url).password or "<no password>"


def silent(conn: RawConnection) -> None:
    """A RawServer handler that accepts and never answers."""
    conn.server.stopped.wait(30)


def test_load_save_and_the_version_grows(make: StoreFactory) -> None:
    with RetentlyServer() as server:
        s = make()
        assert s.load() is None and s.version() == 0
        first, second = stored(server, fresh_token(server)), stored(server, fresh_token(server))
        s.save(first)
        assert s.load() == first and s.version() == 1
        s.save(second)
        assert s.load() == second and s.version() == 2
        assert make(key=s.key + "-other").load() is None  # one document per key


def test_a_due_token_is_refreshed_and_saved_before_the_caller_sees_it(make: StoreFactory) -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        s = make()
        seen: list[tuple[str, str | None]] = []

        def hook(token: object) -> None:
            saved = s.load()
            assert saved is not None
            seen.append((saved.access_token, saved.refresh_token))

        manager = manager_with(server, s, on_refresh=hook)
        token = manager.access_token()
        saved = s.load()
        assert saved is not None and saved.access_token == token
        assert server.refresh_token_valid(saved.refresh_token)
        assert seen == [(token, saved.refresh_token)]
        assert s.version() == 2
        # a second manager (another host) reads the store instead of refreshing
        before = server.counts["refresh_token"]
        assert TokenManager.from_store(make(key=s.key)).access_token() == token
        assert server.counts["refresh_token"] == before


def test_a_failed_refresh_leaves_the_stored_document_unchanged(make: StoreFactory) -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        s = make()
        manager = manager_with(server, s)
        before, version = s.load(), s.version()
        server.inject("html_500")
        with pytest.raises(Exception, match="500"):
            manager.access_token()
        assert s.load() == before and s.version() == version


def test_the_lock_excludes_other_holders_and_a_wait_past_lock_timeout_is_a_store_error(make: StoreFactory) -> None:
    holder = make()
    waiter = make(key=holder.key, lock_timeout=0.3)
    neighbour = make(key=holder.key + "-n", lock_timeout=0.3)
    with holder.locked():
        started = time.monotonic()
        with pytest.raises(StoreError, match=r"stayed locked by another holder for 0\.3 s"), waiter.locked():
            pass
        assert time.monotonic() - started < 10
        with neighbour.locked():  # another key is another lock
            pass
    with waiter.locked():  # released on exit
        pass


def test_threads_of_one_process_take_turns(make: StoreFactory) -> None:
    s = make()
    inside = most = 0
    guard = threading.Lock()

    def turn() -> None:
        nonlocal inside, most
        with s.locked():
            with guard:
                inside += 1
                most = max(most, inside)
            time.sleep(0.02)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=turn) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most == 1


def check_each_action_fails_within_10_s(
    actions: Iterable[Callable[[], object]], match: str, *, secret: str
) -> list[StoreError]:
    """Each action raises a StoreError matching `match` within 10 s (a bound, not a timing) naming no `secret`."""
    errors: list[StoreError] = []
    for action in actions:
        started = time.monotonic()
        with pytest.raises(StoreError, match=match) as caught:
            action()
        assert time.monotonic() - started < 10
        assert secret not in str(caught.value)
        errors.append(caught.value)
    return errors
