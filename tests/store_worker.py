"""A process of a fleet sharing a database store: `python tests/store_worker.py COMMAND LOCATION KEY OPTIONS [GO]`.

OPTIONS is a JSON object of store options (lock_timeout, lock_ttl for Redis, hold_timeout for PostgreSQL).

fleet ... GO THREADS   prints "ready", waits for the file GO, then THREADS threads ask access_token() at once;
                       prints each token, one a line
refresh ... POINT      prints "ready", refreshes once and prints the token; at POINT (after-load: the lock held and
                       the store read, before the token request; before-save: the server answered, before the save)
                       prints "at POINT" and stops itself with SIGSTOP, for the test to SIGKILL or SIGCONT it
Errors end the process with status 1 and the error's type and message on stderr.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from retently_oauth import RetentlyOAuthError, TokenManager
from retently_oauth.models import StoredCredentials
from retently_oauth.store import CredentialStore


def open_with(location: str, key: str, options: dict[str, Any]) -> CredentialStore:
    if location.startswith("redis"):
        from retently_oauth.store_redis import RedisStore

        return RedisStore(location, key=key, **options)
    from retently_oauth.store_postgres import PostgresStore

    return PostgresStore(location, key=key, **options)


class Stopping:
    """The real store, with a stop (SIGSTOP to this process) at one point of the refresh."""

    def __init__(self, store: CredentialStore, point: str) -> None:
        self.store = store
        self.point = ""
        self.armed = point
        """The point becomes active with `arm()`, once the manager has read the store to start."""

    def arm(self) -> None:
        self.point = self.armed

    def __repr__(self) -> str:
        return repr(self.store)

    def _stop(self, point: str) -> None:
        if point == self.point:
            self.point = ""
            print(f"at {point}", flush=True)
            os.kill(os.getpid(), signal.SIGSTOP)

    def load(self) -> StoredCredentials | None:
        loaded = self.store.load()
        self._stop("after-load")
        return loaded

    def save(self, credentials: StoredCredentials) -> None:
        self._stop("before-save")
        self.store.save(credentials)

    def locked(self) -> AbstractContextManager[None]:
        return self.store.locked()


def main(argv: list[str]) -> int:
    command, location, key, options = argv[0], argv[1], argv[2], json.loads(argv[3])
    store = open_with(location, key, options)
    if command == "fleet":
        go, threads = Path(argv[4]), int(argv[5])
        manager = TokenManager.from_store(store)
        print("ready", flush=True)
        deadline = time.monotonic() + 30
        while not go.exists():
            if time.monotonic() > deadline:
                print("no go signal within 30 s", file=sys.stderr)
                return 1
            time.sleep(0.001)
        results: list[str] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(threads)

        def ask() -> None:
            barrier.wait(30)
            try:
                results.append(manager.access_token())
            except BaseException as exc:
                errors.append(exc)

        pool = [threading.Thread(target=ask) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(60)
        if errors:
            raise errors[0]
        print("\n".join(results), flush=True)
        return 0
    if command == "refresh":
        stopping = Stopping(store, argv[4])
        manager = TokenManager.from_store(stopping)
        stopping.arm()
        print("ready", flush=True)
        print(manager.refresh().access_token, flush=True)
        return 0
    print(f"unknown command {command!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RetentlyOAuthError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
