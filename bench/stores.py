"""Shared stores: one coordinated refresh across 8 processes, per store (file, PostgreSQL, Redis), and the cached
`access_token()` path per store.

1. A coordinated refresh: 8 processes, each with its own manager on one store holding a due token, ask for a token
   at the same moment (a go file); timed from the go to the last process holding the new token (CLOCK_MONOTONIC is
   one clock for every process on Linux), process start-up excluded. Checked each round: one refresh request
   reached the token endpoint, every process got the same token. The server rotates refresh tokens.
2. The cached path: `access_token()` on a manager whose token is not due, per store: it reads one attribute and
   the clock, so the store must not matter (no store I/O on it).

PostgreSQL and Redis are started from the machine's binaries as in the tests (tests/dbservers.py), or taken from
`RETENTLY_OAUTH_TEST_POSTGRES_DSN` / `RETENTLY_OAUTH_TEST_REDIS_URL`. A store whose server cannot be had is reported
as skipped.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from retently_oauth import FileStore, MemoryStore, OAuthClient, Token, TokenManager
from retently_oauth.store import CredentialStore
from retently_oauth.store_url import open_store
from retently_oauth.testing import RetentlyServer
from retently_oauth.tokens import utcnow

from ._timing import fmt, per_call

PROCESSES = 8
ROOT = Path(__file__).resolve().parent.parent


def _token(server: RetentlyServer, *, due: bool) -> Token:
    client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
    token = client.refresh(server.issue_refresh_token())
    if not due:
        return token
    now = utcnow()
    return Token(
        access_token=token.access_token,
        refresh_token=token.refresh_token,
        expires_at=now - timedelta(seconds=1),
        issued_at=now - timedelta(hours=6),
    )


def _seed(server: RetentlyServer, store: CredentialStore, *, due: bool) -> TokenManager:
    client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
    manager = TokenManager(client, store)
    manager.store_token(_token(server, due=due))
    return manager


def _locations(directory: Path) -> list[tuple[str, Callable[[], str]]]:
    def postgres() -> str:
        sys.path.insert(0, str(ROOT))
        from tests.dbservers import postgres_dsn

        return postgres_dsn()

    def redis() -> str:
        sys.path.insert(0, str(ROOT))
        from tests.dbservers import redis_url

        return redis_url()

    return [("file", lambda: str(directory / "creds.json")), ("PostgreSQL", postgres), ("Redis", redis)]


def _round(server: RetentlyServer, location: str, directory: Path) -> float:
    """Seconds from the go to the last of PROCESSES processes holding the refreshed token."""
    key = "default" if "://" not in location else f"bench-{uuid.uuid4().hex[:8]}"
    _seed(server, open_store(location, key=key), due=True)
    before = server.counts["refresh_token"]
    go = directory / f"go-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.stores", "--worker", location, key, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a worker failed: {proc.communicate(timeout=30)[1]}")
        started = time.monotonic()
        go.touch()
        outputs = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    if any(proc.returncode for proc in procs):
        raise RuntimeError(f"a worker failed: {[err for _, err in outputs if err]}")
    tokens = {out.split()[0] for out, _ in outputs}
    finished = max(float(out.split()[1]) for out, _ in outputs)
    if len(tokens) != 1 or server.counts["refresh_token"] - before != 1:
        raise RuntimeError("the fleet did not share one refresh")
    return finished - started


def coordinated_refresh(rounds: int) -> str:
    lines = [
        f"one coordinated refresh across {PROCESSES} processes (go -> last process holds the token; median of {rounds})"
    ]
    with tempfile.TemporaryDirectory() as tmp, RetentlyServer(rotate_refresh_tokens=True) as server:
        directory = Path(tmp)
        for name, locate in _locations(directory):
            try:
                location = locate()
            except BaseException as exc:  # pytest.skip (no binary) is a BaseException
                lines.append(f"  {name:<12} skipped: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
                continue
            samples = [_round(server, location, directory) for _ in range(rounds)]
            lines.append(
                f"  {name:<12} {fmt(statistics.median(samples))}   (min {fmt(min(samples)).strip()},"
                f" max {fmt(max(samples)).strip()}; 1 refresh request each round)"
            )
    return "\n".join(lines)


def cached_path() -> str:
    lines = ["cached access_token() by store (token not due; median of 7 repeats)"]
    with tempfile.TemporaryDirectory() as tmp, RetentlyServer() as server:
        stores: list[tuple[str, CredentialStore]] = [
            ("MemoryStore", MemoryStore()),
            ("FileStore", FileStore(Path(tmp) / "creds.json")),
        ]
        for (name, locate), label in zip(_locations(Path(tmp))[1:], ("PostgresStore", "RedisStore"), strict=True):
            try:
                stores.append((label, open_store(locate(), key=f"bench-{uuid.uuid4().hex[:8]}")))
            except BaseException as exc:
                lines.append(f"  {name:<16} skipped: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        base = None
        for name, store in stores:
            manager = _seed(server, store, due=False)
            seconds = per_call(manager.access_token)
            base = base or seconds
            lines.append(f"  {name:<16} {fmt(seconds)}   x{seconds / base:5.2f} vs MemoryStore")
    return "\n".join(lines)


def run() -> str:
    rounds = 3 if os.environ.get("BENCH_QUICK") else 7
    return coordinated_refresh(rounds) + "\n\n" + cached_path()


def _worker(location: str, key: str, go: str) -> int:
    manager = TokenManager.from_store(open_store(location, key=key))
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            return 1
        time.sleep(0.0005)
    token = manager.access_token()
    print(token, time.monotonic(), flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.exit(_worker(*sys.argv[2:5]))
    print(run())
