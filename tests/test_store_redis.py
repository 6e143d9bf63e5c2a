"""RedisStore against a real redis-server on loopback (tests/dbservers.py): the CredentialStore protocol, a lock
released only by its holder, fenced saves after a TTL ran out, bounded and typed failures, no password or secret in
any text."""

from __future__ import annotations

import functools
import threading
import time

import pytest

from retently_oauth import TokenManager
from retently_oauth.exceptions import ArgumentError, StoreError
from retently_oauth.testing import RetentlyServer

from .dbservers import free_port, redis_url_fixture, unique_key
from .helpers import (
    StoreFactory,
    check_each_action_fails_within_10_s,
    password_of,
    silent,
    test_a_due_token_is_refreshed_and_saved_before_the_caller_sees_it,
    test_a_failed_refresh_leaves_the_stored_document_unchanged,
    test_load_save_and_the_version_grows,
    test_the_lock_excludes_other_holders_and_a_wait_past_lock_timeout_is_a_store_error,
    test_threads_of_one_process_take_turns,
)
from .rawservers import RawServer
from .support import client_for, due, fresh_token, stored

redis = pytest.importorskip("redis", reason="redis-py is not installed (extra retently-oauth[redis])")

from retently_oauth.store_redis import RedisStore  # noqa: E402

# The fixture, and the tests this store shares with the other database store (tests/helpers.py).
__all__ = [
    "redis_url_fixture",
    "test_load_save_and_the_version_grows",
    "test_a_due_token_is_refreshed_and_saved_before_the_caller_sees_it",
    "test_a_failed_refresh_leaves_the_stored_document_unchanged",
    "test_the_lock_excludes_other_holders_and_a_wait_past_lock_timeout_is_a_store_error",
    "test_threads_of_one_process_take_turns",
]


@pytest.fixture
def url(redis_url_fixture: str) -> str:
    return redis_url_fixture


def store(url: str, key: str | None = None, **options: float) -> RedisStore:
    return RedisStore(url, key=key or unique_key(), **options)  # type: ignore[arg-type]


@pytest.fixture
def make(url: str) -> StoreFactory:
    return functools.partial(store, url)


def test_a_holder_whose_ttl_ran_out_cannot_release_or_overwrite_the_next_holder(url: str) -> None:
    """Fencing: the stale holder's save waits for the new holder's lock (here past its lock_timeout: a StoreError),
    and once the new holder saved, the version moved on and the stale save is refused."""
    with RetentlyServer() as server:
        key = unique_key()
        stale = RedisStore(url, key=key, lock_ttl=0.2, lock_timeout=0.3)
        fresh = RedisStore(url, key=key, lock_timeout=10, lock_ttl=30)
        stale.save(stored(server, fresh_token(server)))
        newer = stored(server, fresh_token(server))
        older = stored(server, fresh_token(server))
        with stale.locked():
            stale.load()
            with fresh.locked():  # waits out the stale holder's TTL
                with pytest.raises(StoreError, match="stayed locked by another holder") as caught:
                    stale.save(older)
                assert password_of(url) not in str(caught.value)
                fresh.save(newer)
            with pytest.raises(StoreError, match="changed since this holder read version 1"):
                stale.save(older)
        assert fresh.load() == newer and fresh.version() == 2


def test_the_stale_holder_does_not_delete_the_next_holders_lock(url: str) -> None:
    key = unique_key()
    stale = RedisStore(url, key=key, lock_ttl=0.2)
    fresh = RedisStore(url, key=key, lock_timeout=10, lock_ttl=30)
    probe = RedisStore(url, key=key, lock_timeout=0.2)
    entered = threading.Event()
    leave = threading.Event()

    def next_holder() -> None:
        with fresh.locked():
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=next_holder)
    with stale.locked():
        thread.start()
        assert entered.wait(10)  # the stale holder's TTL ran out, the next holder has the lock
    # the stale holder left: the next holder's lock must still be there
    with pytest.raises(StoreError, match="stayed locked"), probe.locked():
        pass
    leave.set()
    thread.join(10)
    with probe.locked():
        pass


def test_connection_refused_is_a_store_error_naming_no_password() -> None:
    s = RedisStore(f"redis://:hunter2-secret-pw@127.0.0.1:{free_port()}/0", key=unique_key(), connect_timeout=2)
    assert "hunter2" not in repr(s) and ":***@127.0.0.1" in repr(s)
    check_each_action_fails_within_10_s(
        (s.load, s.version, lambda: s.locked().__enter__()), "Redis credentials store", secret="hunter2"
    )


def test_a_server_that_never_answers_is_a_store_error_within_the_socket_timeout() -> None:
    with RawServer(silent) as raw:
        s = RedisStore(f"redis://user:silent-secret-pw@127.0.0.1:{raw.port}/0", key=unique_key(), socket_timeout=1)
        check_each_action_fails_within_10_s([s.load], "timed out", secret="silent-secret-pw")
        assert "silent-secret-pw" not in repr(s)


def test_a_wrong_password_is_a_store_error_naming_neither_password(url: str) -> None:
    password = password_of(url)
    s = RedisStore(url.replace(password, "wrong-pw-x"), key=unique_key())
    with pytest.raises(StoreError) as caught:
        s.load()
    text = str(caught.value) + repr(s)
    assert "wrong-pw-x" not in text and password not in text


def test_a_corrupt_document_is_a_store_error_masking_its_secrets(url: str) -> None:
    s = store(url)
    client = redis.Redis.from_url(url)
    leaked = '{"client_id": 5, "refresh_token": "rt-very-secret-value", "access_token": "at-very-secret-value"}'
    client.hset(f"retently-oauth:creds:{s.key}", mapping={"document": leaked, "version": "1"})
    with pytest.raises(StoreError, match="is corrupt") as caught:
        s.load()
    assert "very-secret-value" not in str(caught.value)
    client.hset(f"retently-oauth:creds:{s.key}", mapping={"version": "x"})
    with pytest.raises(StoreError, match="version is not a number"):
        s.version()
    client.close()


def test_arguments_are_checked(url: str) -> None:
    with RetentlyServer() as server:
        s = RedisStore(url, key=unique_key(), prefix="other-app:")
        s.save(stored(server, due(fresh_token(server))))
        assert TokenManager(client_for(server), s).access_token()
    for key in ("", "a\nb", "x" * 201, 5):
        with pytest.raises(ArgumentError):
            RedisStore(url, key=key)  # type: ignore[arg-type]
    for bad in ("http://127.0.0.1:1/", "redis://:pw-in-bad-url@[::1/0"):
        with pytest.raises(ArgumentError) as caught:
            RedisStore(bad)
        assert "pw-in-bad-url" not in str(caught.value)
    for option in ("lock_ttl", "lock_timeout", "socket_timeout"):
        with pytest.raises(ArgumentError):
            RedisStore(url, **{option: float("inf")})  # type: ignore[arg-type]
    s = store(url)
    with pytest.raises(StoreError, match="already held by this thread"), s.locked(), s.locked():
        pass


def test_a_holder_whose_ttl_ran_out_saves_when_no_one_wrote_meanwhile(url: str) -> None:
    """Its compare-and-set succeeds, as the version is still the one it read (the rotation is not lost)."""
    with RetentlyServer() as server:
        key = unique_key()
        stalled = RedisStore(url, key=key, lock_ttl=0.1)
        stalled.save(stored(server, fresh_token(server)))
        newer = stored(server, fresh_token(server))
        with stalled.locked():
            stalled.load()
            time.sleep(0.3)  # past the TTL
            stalled.save(newer)
        assert RedisStore(url, key=key).load() == newer and stalled.version() == 2


def test_a_document_over_the_size_cap_is_refused_as_corrupt(url: str) -> None:
    s = store(url)
    client = redis.Redis.from_url(url)
    client.hset(f"retently-oauth:creds:{s.key}", mapping={"document": "x" * 3_000_000, "version": "1"})
    client.close()
    with pytest.raises(StoreError, match="larger than 1048576 bytes"):
        s.load()
