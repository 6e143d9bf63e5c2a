"""A fleet of processes sharing one database store (PostgreSQL and Redis, real servers from tests/dbservers.py),
against the embedded server with rotating refresh tokens: one refresh among 4 processes x 8 threads; a leader
SIGKILLed before and after the server answered; a leader SIGSTOPped past its lock's bound then continued; the
database restarted mid-run.

Lock release bounds these tests show: PostgreSQL frees a killed holder's lock when its connection closes (at once
on one host; the test allows 5 s); Redis when the lock's TTL runs out (`lock_ttl`, 1 s here; the test allows
TTL + 5 s).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from retently_oauth import ReauthorizationRequired, TokenManager
from retently_oauth.exceptions import StoreError
from retently_oauth.store import CredentialStore
from retently_oauth.testing import RetentlyServer

from . import dbservers
from .dbservers import restartable_postgres, restartable_redis
from .store_worker import open_with
from .support import client_for, manager_with, reaped

__all__ = ["restartable_postgres", "restartable_redis"]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and SIGSTOP are POSIX")

WORKER = Path(__file__).with_name("store_worker.py")
BACKENDS = ["postgres", "redis"]
KILL_TTL = 1.0
"""Redis: the lock TTL of the SIGKILL tests, the bound on a dead holder's lock."""
STALL = 0.5
"""Redis lock_ttl / PostgreSQL hold_timeout of a holder the SIGSTOP tests stop."""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    pytest.importorskip("psycopg" if name == "postgres" else "redis", reason=f"the {name} extra is not installed")
    return name


def location_of(backend: str) -> str:
    return dbservers.postgres_dsn() if backend == "postgres" else dbservers.redis_url()


def short_lock(backend: str, bound: float) -> dict[str, Any]:
    """Options making a stalled or dead holder lose the lock after `bound` seconds."""
    return {"hold_timeout": bound} if backend == "postgres" else {"lock_ttl": bound}


def spawn(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def readline(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        raise AssertionError(f"worker said nothing: {proc.communicate(timeout=10)[1]}")
    return line


def wait_stopped(proc: subprocess.Popen[str], timeout: float = 10.0) -> None:
    """Until the kernel reports the process stopped (state T), so a lock it holds is held by a stopped process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{proc.pid}/stat") as handle:
            if handle.read().rpartition(")")[2].split()[0] in ("T", "t"):
                return
        time.sleep(0.005)
    raise AssertionError("the worker did not stop")


def pair(store: CredentialStore) -> tuple[str, str]:
    saved = store.load()
    assert saved is not None
    return saved.access_token, saved.refresh_token


def version(store: CredentialStore) -> int:
    value = getattr(store, "version")()  # noqa: B009 (both database stores have it; the protocol does not)
    assert isinstance(value, int)
    return value


# a fleet: one refresh -----------------------------------------------------------------------------------------------


def test_four_processes_of_eight_threads_refresh_once(backend: str, tmp_path: Path) -> None:
    location, key = location_of(backend), dbservers.unique_key("fleet")
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        store = open_with(location, key, {})
        manager_with(server, store)  # a due token in the store
        before = server.counts["refresh_token"]
        go = tmp_path / "go"
        procs = [spawn("fleet", location, key, json.dumps({"lock_timeout": 60}), str(go), "8") for _ in range(4)]
        with reaped(*procs):
            for proc in procs:
                assert readline(proc) == "ready"
            go.touch()
            outputs = [proc.communicate(timeout=90) for proc in procs]
        for proc, (_out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err
            assert "invalid_grant" not in err and "Reauthorization" not in err
        tokens = [line for out, _ in outputs for line in out.split()]
        assert len(tokens) == 32 and len(set(tokens)) == 1
        assert server.counts["refresh_token"] - before == 1
        access, refresh = pair(store)
        assert access == tokens[0] and server.refresh_token_valid(refresh)
        response = urllib3.request("GET", server.api_url, headers={"Authorization": f"Bearer {access}"})
        assert response.status == 200
        assert version(store) == 2


# a leader killed mid-refresh ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("point", ["after-load", "before-save"], ids=["before-the-answer", "after-the-answer"])
def test_a_leader_killed_mid_refresh_frees_the_lock_and_leaves_one_consistent_pair(backend: str, point: str) -> None:
    location, key = location_of(backend), dbservers.unique_key("kill")
    options = {"lock_timeout": 30.0, **({"lock_ttl": KILL_TTL} if backend == "redis" else {})}
    bound = 5.0 if backend == "postgres" else KILL_TTL + 5.0
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        store = open_with(location, key, options)
        manager_with(server, store)
        old, old_version = pair(store), version(store)
        before = server.counts["refresh_token"]
        proc = spawn("refresh", location, key, json.dumps(options), point)
        with reaped(proc):
            assert readline(proc) == "ready"
            assert readline(proc) == f"at {point}"
            wait_stopped(proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        started = time.monotonic()
        with store.locked():  # the dead leader's lock is free again
            freed = time.monotonic() - started
        assert freed < bound, f"the lock took {freed:.1f} s to come free"
        print(f"\n{backend}, killed {point}: lock free after {freed:.2f} s")
        assert pair(store) == old and version(store) == old_version  # the old pair whole: nothing half-written
        assert old in server.issued_pairs()
        successor = TokenManager(client_for(server), store)
        if point == "after-load":  # the server never saw the leader: the next holder carries on
            token = successor.access_token()
            assert server.counts["refresh_token"] - before == 1
            assert pair(store)[0] == token and server.refresh_token_valid(pair(store)[1])
            assert version(store) == old_version + 1
        else:  # the server rotated for a dead process: the unavoidable window, reported as such
            with pytest.raises(ReauthorizationRequired):
                successor.access_token()
            assert pair(store) == old and version(store) == old_version


# a leader stalled past its lock -------------------------------------------------------------------------------------


@pytest.mark.parametrize("rotate", [True, False], ids=["rotating", "same-refresh-token"])
def test_a_stalled_leader_never_takes_the_store_backwards(backend: str, rotate: bool) -> None:
    """SIGSTOP after the server answered, past the lock's TTL (Redis) or the session's hold_timeout (PostgreSQL);
    another holder goes ahead; SIGCONT. The version only grows, and the stalled process ends with the stored
    token or a typed error."""
    location, key = location_of(backend), dbservers.unique_key("stall")
    options = {"lock_timeout": 30.0, **short_lock(backend, STALL)}
    with RetentlyServer(rotate_refresh_tokens=rotate) as server:
        store = open_with(location, key, options)
        manager_with(server, store)
        versions = [version(store)]
        proc = spawn("refresh", location, key, json.dumps(options), "before-save")
        with reaped(proc):
            assert readline(proc) == "ready"
            assert readline(proc) == "at before-save"
            wait_stopped(proc)
            successor = TokenManager(client_for(server), store)
            if rotate:  # the stalled leader spent the refresh token: the other holder cannot refresh
                with pytest.raises(ReauthorizationRequired):
                    successor.access_token()
            else:
                successor.access_token()
            versions.append(version(store))
            proc.send_signal(signal.SIGCONT)
            out, err = proc.communicate(timeout=60)
        versions.append(version(store))
        assert versions == sorted(versions), versions
        access, refresh = pair(store)
        if proc.returncode == 0:
            assert out.strip() == access, "the stalled leader ended with a token the store does not hold"
        else:
            assert err.startswith("StoreError:"), err
        assert server.refresh_token_valid(refresh), "a rotation was lost"
        # rotating: nobody else could write, so the stalled leader's compare-and-set saved its token;
        # same refresh token: the other holder wrote, so the stalled leader's save was refused
        assert (proc.returncode == 0) is rotate, err


# the database restarted mid-run -------------------------------------------------------------------------------------


@pytest.fixture
def restartable(
    backend: str, request: pytest.FixtureRequest
) -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """(location, stop, start) of a database this test may restart."""
    if backend == "postgres":
        pg: dbservers.PostgresServer = request.getfixturevalue("restartable_postgres")
        yield pg.dsn, lambda: pg.stop("immediate"), pg.start
    else:
        rd: dbservers.RedisServer = request.getfixturevalue("restartable_redis")
        yield rd.url, rd.kill, rd.start


def test_the_database_restarted_mid_run(
    backend: str, restartable: tuple[str, Callable[[], None], Callable[[], None]]
) -> None:
    """A manager refreshing in a loop (rotating refresh tokens) while the database crashes and comes back: only
    StoreErrors while it is down, refreshes again after, and no rotation lost (the last token is the stored one and
    the stored refresh token is valid)."""
    location, stop, start = restartable
    store = open_with(
        location,
        dbservers.unique_key("restart"),
        {"lock_timeout": 30.0, "connect_timeout": 2.0, **short_lock(backend, 1.0)},
    )
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        manager = manager_with(server, store)
        tokens: list[str] = []
        store_errors: list[StoreError] = []
        others: list[BaseException] = []
        done = threading.Event()

        def loop() -> None:
            while not done.is_set():
                try:
                    tokens.append(manager.refresh().access_token)
                except StoreError as exc:
                    store_errors.append(exc)
                    time.sleep(0.05)
                except BaseException as exc:
                    others.append(exc)
                    return

        def until(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
            deadline = time.monotonic() + timeout
            while not predicate():
                assert not others, others
                assert time.monotonic() < deadline, f"no {what} within {timeout:g} s"
                time.sleep(0.01)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            until(lambda: len(tokens) >= 1, "first refresh")
            stop()
            down = len(store_errors)
            until(lambda: len(store_errors) >= down + 3, "StoreError while the database is down")
            start()
            up = len(tokens)
            until(lambda: len(tokens) >= up + 2, "refresh after the restart")
        finally:
            done.set()
            thread.join(30)
        assert not thread.is_alive() and not others, others
        access, refresh = pair(store)
        assert access == tokens[-1] and server.refresh_token_valid(refresh)
        kinds = sorted({match.group(0) for e in store_errors if (match := re.search(r"cannot [a-z ]+", str(e)))})
        print(f"\n{backend} restarted: {len(tokens)} refreshes, {len(store_errors)} StoreErrors ({'; '.join(kinds)})")
        for error in store_errors:
            text = str(error)
            assert "***" in text or "@" not in text
            assert refresh not in text and all(token not in text for token in tokens)
