"""A separate process sharing a file store with the tests: `python tests/worker.py COMMAND STORE [GO_FILE]`.

token STORE GO_FILE   prints "ready", waits for GO_FILE to exist, then prints a valid access token
refresh-loop STORE    prints "ready", then refreshes and saves again and again until killed
Errors end the process with status 1 and the error's type and message on stderr.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from retently_oauth import FileStore, RetentlyOAuthError, TokenManager


def main(argv: list[str]) -> int:
    command, store_path = argv[0], argv[1]
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
    if command == "refresh-loop":
        while True:
            manager.refresh()
    print(f"unknown command {command!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RetentlyOAuthError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
