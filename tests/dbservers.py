"""Real PostgreSQL and Redis servers for the store tests: on 127.0.0.1, on free ports, in temporary directories.

`RETENTLY_OAUTH_TEST_POSTGRES_DSN` / `RETENTLY_OAUTH_TEST_REDIS_URL` point the tests at an existing server instead
(the restart tests then skip: they cannot restart a server they did not start). Without either, PostgreSQL starts
from the binaries under /usr/lib/postgresql/*/bin (`initdb` and `pg_ctl`, run as the `postgres` user when we are
root: initdb refuses root) and Redis from `redis-server` on PATH (append-only file on, fsync always). A test skips,
naming the missing binary, only when neither an environment variable nor the binary gives a server.

One server of each kind serves the whole test session (started on first use, stopped at exit); tests keep apart by
credentials key (`unique_key()`).
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

POSTGRES_ENV = "RETENTLY_OAUTH_TEST_POSTGRES_DSN"
REDIS_ENV = "RETENTLY_OAUTH_TEST_REDIS_URL"
START_TIMEOUT = 30.0


def unique_key(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepting(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


# PostgreSQL ---------------------------------------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostgresServer:
    """A throwaway cluster: `dsn` has a password (scram-sha-256 over TCP), so the tests see it is never printed."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.password = "pg-" + secrets.token_urlsafe(12)
        self.directory = Path(tempfile.mkdtemp(prefix="retently-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        pwfile = self.directory / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as_postgres:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        pwfile.unlink()
        self.start()

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.directory}"
            " -c fsync=off -c full_page_writes=off -c max_connections=60 -c shared_buffers=16MB"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.directory / "log"), "-o", options, "-w", "-t", "30", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """`immediate` is a crash as far as the cluster knows (WAL recovery at the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


# Redis --------------------------------------------------------------------------------------------------------------


class RedisServer:
    """redis-server with a password, the append-only file on and fsynced on every write."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.password = "rd-" + secrets.token_urlsafe(12)
        self.directory = Path(tempfile.mkdtemp(prefix="retently-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self) -> None:
        config = self.directory / "redis.conf"  # the password in a file, not on a command line others can read
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.directory}\nappendonly yes\nappendfsync always\n"
            f'save ""\ndaemonize no\nrequirepass {self.password}\nlogfile {self.directory / "log"}\n'
        )
        config.chmod(0o600)
        self.process = subprocess.Popen(
            [self.binary, str(config)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not _accepting(self.port):
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"redis-server exited: {err}")
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not accept connections within 30 s")
            time.sleep(0.02)
        self._wait_loaded()

    def _wait_loaded(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=5)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.exceptions.BusyLoadingError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: what survives is what the append-only file holds."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


# shared, lazily started servers ---------------------------------------------------------------------------------

_started: dict[str, PostgresServer | RedisServer] = {}


def _close_all() -> None:
    for server in _started.values():
        server.close()
    _started.clear()


atexit.register(_close_all)


def _unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine without the server; under CI (which installs it) fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the store tests (.ci/run installs redis-server and postgresql)")
    pytest.skip(reason)


def own_postgres() -> PostgresServer:
    """The session's own PostgreSQL (skips when the binaries are missing)."""
    server = _started.get("postgres")
    if server is None:
        bindir = postgres_bindir()
        if bindir is None:
            _unavailable("PostgreSQL binaries not found (initdb, pg_ctl under /usr/lib/postgresql/*/bin)")
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            _unavailable("runuser not found: initdb refuses root, and there is no way to run it as postgres")
        server = _started["postgres"] = PostgresServer(bindir)
    assert isinstance(server, PostgresServer)
    return server


def own_redis() -> RedisServer:
    """The session's own Redis (skips when redis-server is missing)."""
    server = _started.get("redis")
    if server is None:
        binary = shutil.which("redis-server") or (
            "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
        )
        if binary is None:
            _unavailable("redis-server not found (Debian package redis-server)")
        server = _started["redis"] = RedisServer(binary)
    assert isinstance(server, RedisServer)
    return server


def postgres_dsn() -> str:
    return os.environ.get(POSTGRES_ENV) or own_postgres().dsn


def redis_url() -> str:
    return os.environ.get(REDIS_ENV) or own_redis().url


@pytest.fixture
def pg_dsn() -> str:
    pytest.importorskip("psycopg", reason="psycopg is not installed (extra retently-oauth[postgres])")
    return postgres_dsn()


@pytest.fixture
def redis_url_fixture() -> str:
    pytest.importorskip("redis", reason="redis-py is not installed (extra retently-oauth[redis])")
    return redis_url()


@pytest.fixture
def restartable_postgres() -> Iterator[PostgresServer]:
    """The session's own PostgreSQL, which the test may stop and start (running again when the test ends)."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (extra retently-oauth[postgres])")
    if os.environ.get(POSTGRES_ENV):
        pytest.skip(f"{POSTGRES_ENV} names an existing server: a restart test needs its own")
    server = own_postgres()
    yield server
    if not _accepting(server.port):
        server.start()


@pytest.fixture
def restartable_redis() -> Iterator[RedisServer]:
    """The session's own Redis, which the test may kill and start (running again when the test ends)."""
    pytest.importorskip("redis", reason="redis-py is not installed (extra retently-oauth[redis])")
    if os.environ.get(REDIS_ENV):
        pytest.skip(f"{REDIS_ENV} names an existing server: a restart test needs its own")
    server = own_redis()
    yield server
    if server.process is None:
        server.start()
