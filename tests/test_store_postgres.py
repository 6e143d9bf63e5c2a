"""PostgresStore against a real PostgreSQL on loopback (tests/dbservers.py): the CredentialStore protocol, the
advisory lock across connections, fenced saves, bounded and typed failures, no password or secret in any text."""

from __future__ import annotations

import functools
import time

import pytest

from retently_oauth import TokenManager
from retently_oauth.exceptions import ArgumentError, StoreError
from retently_oauth.testing import RetentlyServer

from .dbservers import free_port, pg_dsn, unique_key
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

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (extra retently-oauth[postgres])")

from retently_oauth.store_postgres import PostgresStore  # noqa: E402

# The fixture, and the tests this store shares with the other database store (tests/helpers.py).
__all__ = [
    "pg_dsn",
    "test_load_save_and_the_version_grows",
    "test_a_due_token_is_refreshed_and_saved_before_the_caller_sees_it",
    "test_a_failed_refresh_leaves_the_stored_document_unchanged",
    "test_the_lock_excludes_other_holders_and_a_wait_past_lock_timeout_is_a_store_error",
    "test_threads_of_one_process_take_turns",
]


def store(dsn: str, key: str | None = None, **options: float) -> PostgresStore:
    return PostgresStore(dsn, key=key or unique_key(), **options)  # type: ignore[arg-type]


@pytest.fixture
def make(pg_dsn: str) -> StoreFactory:
    return functools.partial(store, pg_dsn)


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
    check_each_action_fails_within_10_s(
        (s.load, s.version, lambda: s.locked().__enter__()), "cannot connect", secret="hunter2"
    )


def test_a_server_that_never_answers_is_a_store_error_within_connect_timeout() -> None:
    with RawServer(silent) as raw:
        s = PostgresStore(
            f"postgresql://u:silent-secret-pw@127.0.0.1:{raw.port}/db", key=unique_key(), connect_timeout=1
        )
        check_each_action_fails_within_10_s([s.load], "cannot connect", secret="silent-secret-pw")


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
