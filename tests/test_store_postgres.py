"""PostgresStore against a real PostgreSQL on loopback (tests/dbservers.py): the CredentialStore protocol, the
advisory lock across connections, fenced saves, bounded and typed failures, no password or secret in any text."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import pytest

from retently_oauth import TokenManager
from retently_oauth.exceptions import ArgumentError, StoreError
from retently_oauth.testing import RetentlyServer

from .dbservers import free_port, pg_dsn, unique_key
from .rawservers import RawConnection, RawServer
from .support import client_for, due, fresh_token, manager_with, stored

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (extra retently-oauth[postgres])")

from retently_oauth.store_postgres import PostgresStore  # noqa: E402

__all__ = ["pg_dsn"]


def password_of(url: str) -> str:
    return urlsplit(url).password or "<no password>"


def store(dsn: str, key: str | None = None, **options: float) -> PostgresStore:
    return PostgresStore(dsn, key=key or unique_key(), **options)  # type: ignore[arg-type]


def test_load_save_and_the_version_grows(pg_dsn: str) -> None:
    with RetentlyServer() as server:
        s = store(pg_dsn)
        assert s.load() is None and s.version() == 0
        first, second = stored(server, fresh_token(server)), stored(server, fresh_token(server))
        s.save(first)
        assert s.load() == first and s.version() == 1
        s.save(second)
        assert s.load() == second and s.version() == 2
        other = PostgresStore(pg_dsn, key=s.key + "-other")
        assert other.load() is None  # one row per key


def test_a_due_token_is_refreshed_and_saved_before_the_caller_sees_it(pg_dsn: str) -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        s = store(pg_dsn)
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
        assert TokenManager.from_store(PostgresStore(pg_dsn, key=s.key)).access_token() == token
        assert server.counts["refresh_token"] == before


def test_a_failed_refresh_leaves_the_stored_document_unchanged(pg_dsn: str) -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        s = store(pg_dsn)
        manager = manager_with(server, s)
        before, version = s.load(), s.version()
        server.inject("html_500")
        with pytest.raises(Exception, match="500"):
            manager.access_token()
        assert s.load() == before and s.version() == version


def test_the_lock_excludes_other_connections_and_a_wait_past_lock_timeout_is_a_store_error(pg_dsn: str) -> None:
    holder = store(pg_dsn)
    waiter = PostgresStore(pg_dsn, key=holder.key, lock_timeout=0.3)
    neighbour = PostgresStore(pg_dsn, key=holder.key + "-n", lock_timeout=0.3)
    with holder.locked():
        started = time.monotonic()
        with pytest.raises(StoreError, match=r"stayed locked by another holder for 0\.3 s"), waiter.locked():
            pass
        assert time.monotonic() - started < 10
        with neighbour.locked():  # another key is another lock
            pass
    with waiter.locked():  # released on exit
        pass


def test_threads_of_one_process_take_turns(pg_dsn: str) -> None:
    s = store(pg_dsn)
    inside = 0
    most = 0
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


def test_a_holder_idle_past_hold_timeout_loses_the_lock_and_its_save_is_refused(pg_dsn: str) -> None:
    """A stalled holder (here: idle in locked() longer than hold_timeout) is cut off by the server; another holder
    takes over; the stalled one's save is a StoreError and the newer document stays."""
    with RetentlyServer() as server:
        key = unique_key()
        stale = PostgresStore(pg_dsn, key=key, hold_timeout=0.5)
        fresh = PostgresStore(pg_dsn, key=key, lock_timeout=10)
        stale.save(stored(server, fresh_token(server)))
        newer = stored(server, fresh_token(server))
        with stale.locked():
            stale.load()
            with fresh.locked():  # within the server's idle_session_timeout: the stalled session is ended
                fresh.save(newer)
            with pytest.raises(StoreError) as caught:
                stale.save(stored(server, fresh_token(server)))
        assert password_of(pg_dsn) not in str(caught.value)
        assert fresh.load() == newer and fresh.version() == 2


def test_save_under_the_lock_is_a_compare_and_set_on_the_version_read(pg_dsn: str) -> None:
    with RetentlyServer() as server:
        s = store(pg_dsn)
        s.save(stored(server, fresh_token(server)))
        # simulate a writer that bypassed the lock (an older client, a hand edit): the version moved on
        with s.locked():
            s.load()
            with psycopg.connect(pg_dsn, autocommit=True) as connection:
                connection.execute(
                    "UPDATE retently_oauth_credentials SET version = version + 1 WHERE key = %s", (s.key,)
                )
            with pytest.raises(StoreError, match="changed since this holder read version 1"):
                s.save(stored(server, fresh_token(server)))
        assert s.version() == 2


def test_connection_refused_is_a_store_error_naming_no_password(pg_dsn: str) -> None:
    dsn = f"postgresql://postgres:hunter2-secret-pw@127.0.0.1:{free_port()}/postgres"
    s = PostgresStore(dsn, key=unique_key(), connect_timeout=2)
    assert "hunter2" not in repr(s) and "postgres:***@127.0.0.1" in repr(s)
    for action in (s.load, s.version, lambda: s.locked().__enter__()):
        started = time.monotonic()
        with pytest.raises(StoreError, match="cannot connect") as caught:
            action()
        assert time.monotonic() - started < 10
        assert "hunter2" not in str(caught.value)


def test_a_server_that_never_answers_is_a_store_error_within_connect_timeout() -> None:
    def silent(conn: RawConnection) -> None:
        conn.server.stopped.wait(30)

    with RawServer(silent) as raw:
        s = PostgresStore(
            f"postgresql://u:silent-secret-pw@127.0.0.1:{raw.port}/db", key=unique_key(), connect_timeout=1
        )
        started = time.monotonic()
        with pytest.raises(StoreError, match="cannot connect") as caught:
            s.load()
        assert time.monotonic() - started < 10
        assert "silent-secret-pw" not in str(caught.value)


def test_a_wrong_password_is_a_store_error_naming_neither_password(pg_dsn: str) -> None:
    s = PostgresStore(pg_dsn.replace("@", "-wrong-pw-x@", 1), key=unique_key(), connect_timeout=5)
    with pytest.raises(StoreError, match="cannot connect") as caught:
        s.load()
    text = str(caught.value) + repr(s)
    assert "-wrong-pw-x" not in text
    password = password_of(pg_dsn)
    assert password not in text


def test_a_corrupt_row_is_a_store_error_masking_its_secrets(pg_dsn: str) -> None:
    s = store(pg_dsn)
    s.create_table()
    leaked = '{"client_id": 5, "refresh_token": "rt-very-secret-value", "access_token": "at-very-secret-value"}'
    with psycopg.connect(pg_dsn, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO retently_oauth_credentials (key, document, version) VALUES (%s, %s, 1)", (s.key, leaked)
        )
    with pytest.raises(StoreError, match="is corrupt") as caught:
        s.load()
    assert "very-secret-value" not in str(caught.value)


def test_a_table_is_created_when_missing_and_arguments_are_checked(pg_dsn: str) -> None:
    table = "t_" + unique_key().replace("-", "_")
    with RetentlyServer() as server:
        s = PostgresStore(pg_dsn, key="default", table=table)
        s.save(stored(server, due(fresh_token(server))))
        assert s.load() is not None
        assert TokenManager(client_for(server), s).access_token()
    for bad in ("a;drop", "", "a.b.c", "1abc", 'x"y'):
        with pytest.raises(ArgumentError):
            PostgresStore(pg_dsn, table=bad)
    for key in ("", "a\nb", "x" * 201, 5):
        with pytest.raises(ArgumentError):
            PostgresStore(pg_dsn, key=key)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError) as caught:
        PostgresStore("host=127.0.0.1 password='no-close-quote-secret")
    assert "no-close-quote-secret" not in str(caught.value)
    with pytest.raises(ArgumentError):
        PostgresStore(pg_dsn, lock_timeout=float("inf"))
    with pytest.raises(StoreError, match="already held by this thread"):
        s = store(pg_dsn)
        with s.locked(), s.locked():
            pass


def test_a_holder_cut_off_by_hold_timeout_saves_when_no_one_wrote_meanwhile(pg_dsn: str) -> None:
    """The session ended under a stalled holder that had refreshed: it takes the lock again on a new connection
    and its compare-and-set succeeds, as the version is still the one it read (the rotation is not lost)."""
    with RetentlyServer() as server:
        key = unique_key()
        stalled = PostgresStore(pg_dsn, key=key, hold_timeout=0.3)
        stalled.save(stored(server, fresh_token(server)))
        newer = stored(server, fresh_token(server))
        with stalled.locked():
            stalled.load()
            time.sleep(1.0)  # past hold_timeout: the server ends the session
            stalled.save(newer)
            assert stalled.load() == newer
        assert PostgresStore(pg_dsn, key=key).load() == newer and stalled.version() == 2


def test_a_row_over_the_size_cap_is_refused_as_corrupt(pg_dsn: str) -> None:
    s = store(pg_dsn)
    s.create_table()
    with psycopg.connect(pg_dsn, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO retently_oauth_credentials (key, document, version) VALUES (%s, repeat('x', 3000000), 1)",
            (s.key,),
        )
    with pytest.raises(StoreError, match="larger than 1048576 bytes"):
        s.load()
