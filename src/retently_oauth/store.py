"""Credential stores: where the StoredCredentials document lives between runs.

The file store writes atomically (temp file in the same directory, fsync, rename, fsync of the directory) with
0600 permissions, so a crash leaves the old document or the new one, never a mix. A corrupt file is an error,
never silently replaced.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from . import documents
from .exceptions import DocumentError, RetentlyOAuthError
from .models import StoredCredentials


class StoreError(RetentlyOAuthError):
    """The store cannot be read or written (permissions, a corrupt document, a full disk)."""


class CredentialStore(Protocol):
    """What a token manager needs from a store.

    `locked()` must exclude every other holder of the same credentials (threads and, for a shared store, other
    processes) for the whole read-refresh-write, so that a rotated refresh token is spent once.
    """

    def load(self) -> StoredCredentials | None: ...
    def save(self, credentials: StoredCredentials) -> None: ...
    def locked(self) -> AbstractContextManager[None]: ...


class MemoryStore:
    """Keeps the document in memory (tests, short-lived processes); its lock covers the threads of one process."""

    def __init__(self, credentials: StoredCredentials | None = None) -> None:
        self._credentials = credentials
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryStore({'empty' if self._credentials is None else 'holding credentials'})"

    def load(self) -> StoredCredentials | None:
        return self._credentials

    def save(self, credentials: StoredCredentials) -> None:
        self._credentials = credentials

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield


class FileStore:
    """A JSON file holding one StoredCredentials document.

    `lock_timeout` bounds the wait for another holder of the lock (a refresh takes at most the transport's
    timeouts; a holder stuck longer than this, such as a stopped process, is reported, not waited for forever).
    """

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = 120.0) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout

    def __repr__(self) -> str:
        return f"FileStore({str(self.path)!r})"

    def load(self) -> StoredCredentials | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read credentials store {self.path}: {exc.strerror}") from None
        try:
            return documents.loads(data, StoredCredentials)
        except DocumentError as exc:
            problems = "; ".join(str(p) for p in exc.problems)
            raise StoreError(f"credentials store {self.path} is corrupt: {problems}") from None

    def save(self, credentials: StoredCredentials) -> None:
        """Replaces the document atomically. Hold `locked()` when other writers may share the file."""
        data = documents.dumps(credentials).encode("utf-8")
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    os.fchmod(handle.fileno(), 0o600)
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise StoreError(f"cannot write credentials store {self.path}: {exc.strerror}") from None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Holds an exclusive cross-process lock (flock on a side file) for read-refresh-write."""
        import fcntl

        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot open lock file {lock_path}: {exc.strerror}") from None
        try:
            deadline = time.monotonic() + self.lock_timeout
            pause = 0.002
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise StoreError(
                            f"credentials store {self.path} stayed locked by another holder for {self.lock_timeout:g} s"
                        ) from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.05)
            try:
                self._remove_leftovers()
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _remove_leftovers(self) -> None:
        """Temp files of writers that died mid-save. Only under the lock: a live writer would be holding it."""
        for leftover in self.path.parent.glob(f".{glob.escape(self.path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def default_store_path() -> Path:
    """`$XDG_CONFIG_HOME/retently-oauth/credentials.json` (or under ~/.config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "retently-oauth" / "credentials.json"
