"""Credential stores: where the StoredCredentials document lives between runs.

The file store writes atomically (temp file in the same directory, fsync, rename, fsync of the directory) with
0600 permissions, so a crash leaves the old document or the new one, never a mix. A corrupt file is an error,
never silently replaced.

Directories it creates are 0700 whatever the umask. Directories that already exist are left as they are (they may
be shared on purpose, and tightening /tmp would be wrong): `FileStore.permission_warning()` says, in one line,
when the file is readable by others or its directory writable by others, and the CLI prints that on stderr. The
lock file is opened without following links (`O_NOFOLLOW`): a planted `creds.json.lock` symlink is a StoreError
and its target is never created or touched.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import math
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from . import documents
from .exceptions import ArgumentError, DocumentError, StoreError
from .models import StoredCredentials
from .redaction import Redactor, secrets_in

__all__ = ["MAX_STORE_BYTES", "CredentialStore", "FileStore", "MemoryStore", "StoreError", "default_store_path"]

MAX_STORE_BYTES = 1 << 20
"""A store file larger than this (1 MiB) is refused as corrupt rather than read into memory."""


class CredentialStore(Protocol):
    """What a token manager needs from a store.

    `locked()` must exclude every other holder of the same credentials (threads and, for a shared store, other
    processes) for the whole read-refresh-write, so that a rotated refresh token is spent once.

    Every store here also has `delete() -> bool` (what `retently-oauth logout` runs: True when there were
    credentials to remove); the manager needs only these three.
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

    def delete(self) -> bool:
        """Forgets the document; True when there was one."""
        removed, self._credentials = self._credentials is not None, None
        return removed

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
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise ArgumentError(f"a store path must be a non-empty str or path, got {type(path).__name__}")
        if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, (int, float)) or not lock_timeout >= 0:
            raise ArgumentError("lock_timeout must be a non-negative number of seconds")
        if math.isinf(lock_timeout):
            raise ArgumentError("lock_timeout must be finite: a stuck holder must not make every caller wait forever")
        self.path = Path(path)
        self.lock_timeout = float(lock_timeout)

    def __repr__(self) -> str:
        return f"FileStore({str(self.path)!r})"

    def load(self) -> StoredCredentials | None:
        try:
            with open(self.path, "rb") as handle:
                data = handle.read(MAX_STORE_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read credentials store {self.path}: {exc.strerror}") from None
        if len(data) > MAX_STORE_BYTES:
            raise StoreError(f"credentials store {self.path} is corrupt: larger than {MAX_STORE_BYTES} bytes")
        try:
            return documents.loads(data, StoredCredentials)
        except DocumentError as exc:
            # problem paths name the file's keys: mask any secret value the file holds, should a key repeat one
            redact = Redactor(secrets_in(data.decode("utf-8", "replace")))
            problems = redact("; ".join(str(p) for p in exc.problems))
            raise StoreError(f"credentials store {self.path} is corrupt: {problems}") from None

    def permission_warning(self) -> str | None:
        """One line saying why the store is exposed to other users, or None.

        The file owned by another user, the file readable or writable by group or others (it holds the client
        secret and the tokens), or its directory writable by group or others without the sticky bit (anyone
        could replace the file). Never raises: a store that cannot be inspected gives None (reading it will
        report the error). The CLI prints it on stderr.
        """
        try:
            info = os.stat(self.path)
        except OSError:
            info = None
        mode = None if info is None else stat.S_IMODE(info.st_mode)
        if info is not None and hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            return (
                f"warning: credentials store {self.path} belongs to another user (uid {info.st_uid}):"
                " it may not hold your credentials"
            )
        if mode is not None and mode & 0o077:
            return (
                f"warning: credentials store {self.path} is accessible by other users (mode {mode:04o});"
                f" run: chmod 600 {self.path}"
            )
        try:
            dir_mode = os.stat(self.path.parent).st_mode
        except OSError:
            return None
        if stat.S_IMODE(dir_mode) & 0o022 and not dir_mode & stat.S_ISVTX:
            return (
                f"warning: the directory of credentials store {self.path} is writable by other users"
                f" (mode {stat.S_IMODE(dir_mode):04o}): anyone there can replace it; run: chmod 700 {self.path.parent}"
            )
        return None

    def save(self, credentials: StoredCredentials) -> None:
        """Replaces the document atomically. Hold `locked()` when other writers may share the file."""
        try:
            data = documents.dumps(credentials).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, as a JSON escape like "\ud800" can carry
            raise StoreError(f"cannot write credentials store {self.path}: a value is not valid Unicode") from None
        except DocumentError as exc:  # such as a naive date-time, which reading would call corrupt: file untouched
            problems = "; ".join(str(p) for p in exc.problems)
            raise StoreError(f"cannot write credentials store {self.path}: {problems}") from None
        directory = self.path.parent
        try:
            _make_private_dirs(directory)
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

    def delete(self) -> bool:
        """Removes the file (`load()` gives None after it), durably (the directory is fsynced); True when there was
        one. Hold `locked()` when other writers may share the file: a refresh waiting for the lock then finds the
        store empty instead of writing the credentials back. The lock file stays (removing it would let two holders
        lock two different files)."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StoreError(f"cannot remove credentials store {self.path}: {exc.strerror}") from None
        try:
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise StoreError(
                f"removed credentials store {self.path}, but cannot sync its directory: {exc.strerror}"
            ) from None
        return True

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Holds an exclusive cross-process lock (flock on a side file) for read-refresh-write."""
        import fcntl

        lock_path = self.path.with_name(self.path.name + ".lock")
        flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            _make_private_dirs(lock_path.parent)
            fd = os.open(lock_path, flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP and lock_path.is_symlink():
                raise StoreError(f"lock file {lock_path} is a symbolic link: refusing to follow it") from None
            raise StoreError(f"cannot open lock file {lock_path}: {exc.strerror}") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise StoreError(f"lock file {lock_path} is not a regular file")
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


def _make_private_dirs(directory: Path) -> None:
    """Creates `directory` and its missing parents as 0700, whatever the umask; existing ones are left alone."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        if current.is_symlink():  # a dangling link: creating through it would make its target
            raise OSError(errno.ELOOP, f"{current} is a dangling symbolic link")
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue  # made by another process meanwhile: theirs, as it is
        os.chmod(path, 0o700)  # the umask may have taken owner bits away


def default_store_path() -> Path:
    """`$XDG_CONFIG_HOME/retently-oauth/credentials.json` (or under ~/.config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "retently-oauth" / "credentials.json"
