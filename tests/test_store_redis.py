"""RedisStore against a real redis-server on loopback (tests/dbservers.py): the CredentialStore protocol, a lock
released only by its holder, fenced saves after a TTL ran out, bounded and typed failures, no password or secret in
any text."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import pytest

from retently_oauth import TokenManager
from retently_oauth.exceptions import ArgumentError, StoreError
from retently_oauth.testing import RetentlyServer

from .dbservers import free_port, redis_url_fixture, unique_key
from .rawservers import RawConnection, RawServer
from .support import client_for, due, fresh_token, manager_with, stored

redis = pytest.importorskip("redis", reason="redis-py is not installed (extra retently-oauth[redis])")

from retently_oauth.store_redis import RedisStore  # noqa: E402

__all__ = ["redis_url_fixture"]


@pytest.fixture
def url(redis_url_fixture: str) -> str:
    return redis_url_fixture


def password_of(url: str) -> str:
    return urlsplit(url).password or "<no password>"


def store(url: str, key: str | None = None) -> RedisStore:
    return RedisStore(url, key=key or unique_key())


def test_load_save_and_the_version_grows(url: str) -> None:
    with RetentlyServer() as server:
        s = store(url)
        assert s.load() is None and s.version() == 0
        first, second = stored(server, fresh_token(server)), stored(server, fresh_token(server))
        s.save(first)
        assert s.load() == first and s.version() == 1
        s.save(second)
        assert s.load() == second and s.version() == 2
        assert RedisStore(url, key=s.key + "-other").load() is None  # one document per key


def test_a_due_token_is_refreshed_and_saved_before_the_caller_sees_it(url: str) -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        s = store(url)
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
        before = server.counts["refresh_token"]
        assert TokenManager.from_store(RedisStore(url, key=s.key)).access_token() == token
        assert server.counts["refresh_token"] == before


def test_a_failed_refresh_leaves_the_stored_document_unchanged(url: str) -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        s = store(url)
        manager = manager_with(server, s)
        before, version = s.load(), s.version()
        server.inject("html_500")
        with pytest.raises(Exception, match="500"):
            manager.access_token()
        assert s.load() == before and s.version() == version


def test_the_lock_excludes_other_clients_and_a_wait_past_lock_timeout_is_a_store_error(url: str) -> None:
    holder = store(url)
    waiter = RedisStore(url, key=holder.key, lock_timeout=0.3)
    neighbour = RedisStore(url, key=holder.key + "-n", lock_timeout=0.3)
    with holder.locked():
        started = time.monotonic()
        with pytest.raises(StoreError, match=r"stayed locked by another holder for 0\.3 s"), waiter.locked():
            pass
        assert time.monotonic() - started < 10
        with neighbour.locked():
            pass
    with waiter.locked():
        pass


def test_threads_of_one_process_take_turns(url: str) -> None:
    s = store(url)
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
    for action in (s.load, s.version, lambda: s.locked().__enter__()):
        started = time.monotonic()
        with pytest.raises(StoreError, match="Redis credentials store") as caught:
            action()
        assert time.monotonic() - started < 10
        assert "hunter2" not in str(caught.value)


def test_a_server_that_never_answers_is_a_store_error_within_the_socket_timeout() -> None:
    def silent(conn: RawConnection) -> None:
        conn.server.stopped.wait(30)

    with RawServer(silent) as raw:
        s = RedisStore(f"redis://user:silent-secret-pw@127.0.0.1:{raw.port}/0", key=unique_key(), socket_timeout=1)
        started = time.monotonic()
        with pytest.raises(StoreError, match="timed out") as caught:
            s.load()
        assert time.monotonic() - started < 10
        assert "silent-secret-pw" not in str(caught.value) and "silent-secret-pw" not in repr(s)


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
