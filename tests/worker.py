"""A separate process sharing a file store with the tests: `python tests/worker.py COMMAND STORE [GO_FILE]`.

token STORE GO_FILE   prints "ready", waits for GO_FILE to exist, then prints a valid access token
refresh-loop STORE    prints "ready", then refreshes and saves again and again until killed
fork-refresh-loops STORE
                      a refresh-loop per line "start" on stdin, in a child forked from this interpreter (no new
                      interpreter to start for each): the child prints "ready PID" and loops until killed; a line
                      "reap" waits for that child and prints "exited STATUS" (a negative STATUS: killed by that
                      signal). The child is reaped only when asked, so its PID stays its own until then.
Errors end the process with status 1 and the error's type and message on stderr.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from retently_oauth import FileStore, RetentlyOAuthError, TokenManager


def refresh_forever(store_path: str, ready: str) -> None:
    manager = TokenManager.from_store(FileStore(store_path))
    print(ready, flush=True)
    while True:
        manager.refresh()


def fork_refresh_loops(store_path: str) -> int:
    print("ready", flush=True)
    child = 0
    for line in sys.stdin:
        if line.strip() == "start":
            sys.stdout.flush()
            child = os.fork()
            if child == 0:  # the child never returns into this loop
                try:
                    refresh_forever(store_path, f"ready {os.getpid()}")
                except BaseException as exc:
                    print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                finally:
                    os._exit(1)
        elif line.strip() == "reap" and child:
            _, status = os.waitpid(child, 0)
            print(f"exited {os.waitstatus_to_exitcode(status)}", flush=True)
            child = 0
        else:
            print(f"unknown line {line.strip()!r}", file=sys.stderr)
            return 2
    return 0


def main(argv: list[str]) -> int:
    command, store_path = argv[0], argv[1]
    if command == "fork-refresh-loops":
        return fork_refresh_loops(store_path)
    if command == "refresh-loop":
        refresh_forever(store_path, "ready")
    manager = TokenManager.from_store(FileStore(store_path))
    print("ready", flush=True)
    if command == "token":
        go = Path(argv[2])
        deadline = time.monotonic() + 30
        while not go.exists():
            if time.monotonic() > deadline:
                print("no go signal within 30 s", file=sys.stderr)
                return 1
            time.sleep(0.001)
        print(manager.access_token(), flush=True)
        return 0
    print(f"unknown command {command!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RetentlyOAuthError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
