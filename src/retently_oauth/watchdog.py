"""Connections that keep a `Deadline`: the total time of a request, however slowly the server dribbles bytes.

Socket timeouts bound each read, not a response: a server sending one byte every half second never trips a 2 s
read timeout. Inside `deadline_scope(deadline)`, the connections of a pool made by `bounded_pool_manager` (or any
pool whose `pool_classes_by_scheme` are `BOUNDED_POOL_CLASSES`) register their socket with one shared watchdog
thread while they wait for a response; past the deadline the watchdog shuts the socket down, the blocked read ends,
and the caller sees the deadline expired. Outside a scope these connections behave exactly like urllib3's.

Name resolution (`getaddrinfo`) is not covered by any socket timeout and cannot be interrupted; inside a scope a
new connection to a host name resolves it in a helper thread and waits at most the connect timeout (itself cut to
the deadline). A lookup that hangs is left to finish in its daemon thread, but such threads never pile up: callers
asking for the same (host, port) while a lookup of it runs wait for that one, at most `MAX_LOOKUPS` run at once,
and a call that would start one more fails at once with a `TransportError` naming the host (never the URL). A
finished lookup is forgotten: the next call looks the name up afresh (no caching beyond libc's).
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from .deadline import Deadline
from .exceptions import TransportError

TICK = 0.05
"""How often the watchdog looks at the clock while a request is armed: the deadline's precision."""
IDLE_AFTER = 2.0
"""The watchdog thread sleeps without ticking after this long with nothing armed."""
MAX_LOOKUPS = 8
"""The most host-name lookups (helper threads) in flight at once, per process; one more is a TransportError."""

_local = threading.local()


class _Watchdog:
    """One daemon thread that shuts down the sockets of requests past their deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[int, tuple[float, socket.socket]] = {}
        self._keys = itertools.count(1)
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def arm(self, at: float, sock: socket.socket) -> int:
        key = next(self._keys)
        with self._lock:
            self._armed[key] = (at, sock)
            if self._thread is None:  # the thread never ends; after a fork() the child starts its own
                self._thread = threading.Thread(target=self._run, name="retently-oauth-watchdog", daemon=True)
                self._thread.start()
            if not self._wake.is_set():
                self._wake.set()
        return key

    def disarm(self, key: int) -> None:
        with self._lock:
            self._armed.pop(key, None)

    def _run(self) -> None:
        idle_since: float | None = None
        while True:
            self._wake.wait()
            time.sleep(TICK)
            now = time.monotonic()
            with self._lock:
                due = [key for key, (at, _) in self._armed.items() if at <= now]
                for key in due:  # under the lock: once disarm() returns, its socket (maybe pooled again) is safe
                    with contextlib.suppress(OSError):
                        socket.socket.shutdown(self._armed.pop(key)[1], socket.SHUT_RDWR)  # base method: TLS intact
                if self._armed:
                    idle_since = None
                elif idle_since is None:
                    idle_since = now
                elif now - idle_since > IDLE_AFTER:
                    self._wake.clear()
                    idle_since = None


WATCHDOG = _Watchdog()


def current_deadline() -> Deadline | None:
    """The deadline of the innermost `deadline_scope` on this thread, if any."""
    return getattr(_local, "deadline", None)


_Saved = tuple[Deadline | None, list[int] | None]


def enter_deadline(deadline: Deadline | None) -> _Saved:
    """Makes `deadline` this thread's current one, with its own armed sockets; returns what `leave_deadline`
    restores (scopes nest: leaving an inner one disarms only what was armed inside it)."""
    saved = (getattr(_local, "deadline", None), getattr(_local, "armed", None))
    _local.deadline = deadline
    _local.armed = None
    return saved


def leave_deadline(saved: _Saved) -> None:
    """Stops watching the sockets armed since `enter_deadline`, and restores the enclosing deadline."""
    disarm_current()
    _local.deadline, _local.armed = saved


@contextlib.contextmanager
def deadline_scope(deadline: Deadline) -> Iterator[Deadline]:
    """Within the block, bounded connections on this thread keep `deadline` (see the module docstring).

    The watchdog stays armed on the last response's socket until the block ends, so reading its body is bounded
    too; leave the block (or call `disarm_current`) before the connection goes back to its pool.
    """
    previous = enter_deadline(deadline)
    try:
        yield deadline
    finally:
        leave_deadline(previous)


def disarm_current() -> None:
    """Stops watching this thread's last armed socket (the body has been read)."""
    keys: list[int] | None = getattr(_local, "armed", None)
    if keys:
        for key in keys:
            WATCHDOG.disarm(key)
        keys.clear()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


class _Lookup:
    """One getaddrinfo call in its helper thread, shared by every caller asking for its (host, port) meanwhile."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: list[tuple[Any, ...]] | None = None


class _Lookups:
    """The lookups in flight, keyed by (host, port), at most `MAX_LOOKUPS` of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[tuple[str, int], _Lookup] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._flights)

    def start(self, host: str, port: int) -> _Lookup:
        """The lookup of (host, port) in flight, started if there is none; TransportError if none can start."""
        key = (host, port)
        with self._lock:
            lookup = self._flights.get(key)
            if lookup is not None:
                return lookup
            if len(self._flights) >= MAX_LOOKUPS:
                raise TransportError(
                    f"cannot look up host {host!r}: {MAX_LOOKUPS} host-name lookups are in flight already, none "
                    "answered yet (the limit; is the DNS server answering?)"
                )
            lookup = self._flights[key] = _Lookup()
            thread = threading.Thread(target=self._work, args=(key, lookup), name="retently-oauth-resolve", daemon=True)
            try:
                thread.start()
            except RuntimeError:  # no thread to be had: nothing left in flight under this key
                del self._flights[key]
                raise TransportError(f"cannot look up host {host!r}: no thread could be started for it") from None
        return lookup

    def _work(self, key: tuple[str, int], lookup: _Lookup) -> None:
        try:
            lookup.result = list(socket.getaddrinfo(key[0], key[1], 0, socket.SOCK_STREAM))
        except Exception:  # any failure (gaierror, UnicodeError, MemoryError...): "not resolved"
            lookup.result = None
        finally:
            with self._lock:
                if self._flights.get(key) is lookup:
                    del self._flights[key]
            lookup.done.set()


_LOOKUPS = _Lookups()


def _after_fork() -> None:
    global WATCHDOG, _LOOKUPS  # noqa: PLW0603 (a forked child has neither the watchdog nor lookup threads: afresh)
    WATCHDOG = _Watchdog()
    _LOOKUPS = _Lookups()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def lookups_in_flight() -> int:
    """How many host-name lookups (helper threads) are running now; at most `MAX_LOOKUPS`."""
    return len(_LOOKUPS)


def _resolve(host: str, port: int, timeout: float) -> list[tuple[Any, ...]]:
    """getaddrinfo in a helper thread (shared, bounded in number: see the module docstring), waited for at most
    `timeout`; socket.gaierror on failure or timeout, TransportError when `MAX_LOOKUPS` are in flight."""
    lookup = _LOOKUPS.start(host, port)
    if not lookup.done.wait(timeout):
        raise socket.gaierror(socket.EAI_AGAIN, "name resolution timed out")
    if lookup.result is None:
        raise socket.gaierror(socket.EAI_NONAME, "name not resolved")
    return list(lookup.result)


class _Bounded:
    """Mixin: arm the watchdog while waiting for a response; resolve host names within the connect timeout."""

    sock: socket.socket | None
    timeout: float | None
    port: int
    source_address: tuple[str, int] | None
    socket_options: Any
    _dns_host: str

    def getresponse(self) -> Any:
        deadline = current_deadline()
        sock = self.sock
        if deadline is None or sock is None or deadline.at == float("inf"):
            return super().getresponse()  # type: ignore[misc]
        keys: list[int] | None = getattr(_local, "armed", None)
        if keys is None:
            keys = _local.armed = []
        keys.append(WATCHDOG.arm(deadline.at, sock))
        return super().getresponse()  # type: ignore[misc]

    def _new_conn(self) -> socket.socket:
        deadline = current_deadline()
        host = self._dns_host
        if deadline is None or _is_ip(host):
            return super()._new_conn()  # type: ignore[misc, no-any-return]
        wait = deadline.cap(self.timeout if isinstance(self.timeout, (int, float)) else None)
        try:
            infos = _resolve(host, self.port, wait)
        except socket.gaierror as exc:
            raise NameResolutionError(host, self, exc) from None  # type: ignore[arg-type]
        error: Exception | None = None
        for family, _, _, _, address in infos:
            literal = f"[{address[0]}]" if family == socket.AF_INET6 else address[0]
            try:
                return urllib3_connection.create_connection(
                    (literal.strip("[]"), self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                error = ConnectTimeoutError(self, f"connecting timed out (connect timeout={self.timeout})")
                error.__cause__ = exc
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to establish a new connection: {exc}")  # type: ignore[arg-type]
        raise error or NewConnectionError(self, "no address to connect to")  # type: ignore[arg-type]


class BoundedHTTPConnection(_Bounded, HTTPConnection):
    pass


class BoundedHTTPSConnection(_Bounded, HTTPSConnection):
    pass


class BoundedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = BoundedHTTPConnection


class BoundedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = BoundedHTTPSConnection


BOUNDED_POOL_CLASSES: dict[str, type[HTTPConnectionPool]] = {
    "http": BoundedHTTPConnectionPool,
    "https": BoundedHTTPSConnectionPool,
}


def bound(pool: urllib3.PoolManager) -> urllib3.PoolManager:
    """`pool` (a PoolManager or ProxyManager not yet used) made to keep deadlines; returns it."""
    pool.pool_classes_by_scheme = dict(BOUNDED_POOL_CLASSES)
    return pool
