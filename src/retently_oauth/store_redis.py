"""A credentials store in Redis (redis-py, extra `retently-oauth[redis]`): one fleet, one refresh.

Two keys per credentials key: a hash `<prefix>creds:<key>` holding the `StoredCredentials` document and a version
that grows by one with every save, and the lock `<prefix>lock:<key>`.

`locked()` sets the lock to a random token with a time to live (`lock_ttl`), retrying until `lock_timeout`
(StoreError past it); only the holder of the token deletes it (compare-and-delete in a Lua script), and a holder
that dies frees it when its TTL runs out. A TTL can run out under a holder that is merely stalled (a stopped
process), so every save is fenced: a Lua compare-and-set that writes only if the version is still the one this
holder last read and no other holder has the lock (a holder whose TTL ran out takes the lock again first). A stale
leader can never overwrite a newer token; it gets a StoreError instead. `delete()` (what `retently-oauth logout`
runs) is fenced the same way: it removes the document from the hash and bumps the version, so no credentials stay,
the version never goes back, and a holder that read the credentials before they were removed cannot write them back.

Rotating refresh tokens need Redis persistence to survive a Redis restart: run it with the append-only file on
(`appendonly yes`; `appendfsync always` to lose no acknowledged save, `everysec` risks the last second). Without
persistence a restart forgets the only valid refresh token and every host must log in again.

Bounds: connecting `connect_timeout`, every command `socket_timeout` (no retries: a retried compare-and-set could
not tell its own earlier write from another's). No repr, log or error names the password.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Iterator

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .exceptions import ArgumentError, StoreError
from .models import StoredCredentials
from .redaction import Redactor
from .store import MAX_STORE_BYTES
from .store_url import DEFAULT_KEY, check_key, check_seconds, decode_document, encode_document, redact_location

__all__ = ["DEFAULT_PREFIX", "RedisStore"]

DEFAULT_PREFIX = "retently-oauth:"

# KEYS: lock, creds; ARGV: token, ttl ms. The version (as a string) when the lock was taken, else false (nil).
_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('HGET', KEYS[2], 'version') or '0'
end
return false
"""

# KEYS: creds; ARGV: size cap. {present, version, document}: a document over the cap is not sent (only its size).
_LOAD = """
local present = redis.call('HEXISTS', KEYS[1], 'document')
local version = redis.call('HGET', KEYS[1], 'version') or '0'
local size = redis.call('HSTRLEN', KEYS[1], 'document')
if size > tonumber(ARGV[1]) then
  return {present, version, size}
end
return {present, version, redis.call('HGET', KEYS[1], 'document') or ''}
"""

# KEYS: lock; ARGV: token. Deletes the lock only if this holder's token is still in it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# KEYS: lock, creds; ARGV: token, expected version, document.
# {1, new version} when written; {0, 'locked'} when another holder has the lock; {0, version} when it moved on.
_SAVE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return {0, 'locked'}
end
local current = redis.call('HGET', KEYS[2], 'version') or '0'
if current ~= ARGV[2] then
  return {0, current}
end
local next = tostring(tonumber(current) + 1)
redis.call('HSET', KEYS[2], 'document', ARGV[3], 'version', next)
return {1, next}
"""


# KEYS: lock, creds; ARGV: token, expected version.
# {1, new version} when removed; {2, version} when there was no document; {0, 'locked'} / {0, version} as _SAVE.
_DELETE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return {0, 'locked'}
end
local current = redis.call('HGET', KEYS[2], 'version') or '0'
if current ~= ARGV[2] then
  return {0, current}
end
if redis.call('HEXISTS', KEYS[2], 'document') == 0 then
  return {2, current}
end
local next = tostring(tonumber(current) + 1)
redis.call('HDEL', KEYS[2], 'document')
redis.call('HSET', KEYS[2], 'version', next)
return {1, next}
"""


class _Hold:
    __slots__ = ("token", "version")

    def __init__(self, token: str, version: int) -> None:
        self.token = token
        self.version = version


class RedisStore:
    """Credentials under `key` in the Redis at `url` (`redis://[user:password@]host:port/db`, or `rediss://`)."""

    def __init__(
        self,
        url: str,
        *,
        key: str = DEFAULT_KEY,
        prefix: str = DEFAULT_PREFIX,
        lock_timeout: float = 120.0,
        lock_ttl: float = 120.0,
        connect_timeout: float = 10.0,
        socket_timeout: float = 10.0,
    ) -> None:
        if not isinstance(url, str) or not url:
            raise ArgumentError("a Redis store needs a redis:// or rediss:// URL")
        self.key = check_key(key)
        if not isinstance(prefix, str):
            raise ArgumentError("prefix must be a string")
        self.prefix = prefix
        self.lock_timeout = check_seconds(lock_timeout, "lock_timeout")
        self.lock_ttl = check_seconds(lock_ttl, "lock_ttl", allow_zero=False)
        self.connect_timeout = check_seconds(connect_timeout, "connect_timeout", allow_zero=False)
        self.socket_timeout = check_seconds(socket_timeout, "socket_timeout", allow_zero=False)
        self._where = redact_location(url)
        try:
            self._client = redis.Redis.from_url(
                url,
                socket_timeout=self.socket_timeout,
                socket_connect_timeout=self.connect_timeout,
                retry=Retry(NoBackoff(), 0),
                health_check_interval=0,
            )
            password = self._client.connection_pool.connection_kwargs.get("password")
        except (ValueError, TypeError, redis.RedisError):  # their messages may quote the URL
            raise ArgumentError(f"not a Redis URL: {self._where}") from None
        self._redact = Redactor([password if isinstance(password, str) else None])
        self._creds_key = f"{prefix}creds:{self.key}"
        self._lock_key = f"{prefix}lock:{self.key}"
        self._load = self._client.register_script(_LOAD)
        self._acquire = self._client.register_script(_ACQUIRE)
        self._release = self._client.register_script(_RELEASE)
        self._save = self._client.register_script(_SAVE)
        self._delete = self._client.register_script(_DELETE)
        self._holds = threading.local()

    def __repr__(self) -> str:
        return f"RedisStore({self._where!r}, key={self.key!r})"

    def close(self) -> None:
        """Closes the pooled connections (a later call opens new ones)."""
        with contextlib.suppress(redis.RedisError):
            self._client.close()

    # the protocol -----------------------------------------------------------------------------------------------

    def load(self) -> StoredCredentials | None:
        try:
            reply = self._load(keys=[self._creds_key], args=[MAX_STORE_BYTES])
        except redis.RedisError as exc:
            raise self._error("cannot read", exc) from None
        if not isinstance(reply, list) or len(reply) != 3:
            raise StoreError(f"credentials store {self!r}: unexpected reply to a read")
        present, version, document = reply
        hold = self._hold()
        if hold is not None:
            hold.version = _version(version, self)
        if present != 1:
            return None
        if isinstance(document, int):  # its size: over the cap, not fetched
            raise StoreError(f"credentials store {self!r} is corrupt: larger than {MAX_STORE_BYTES} bytes")
        if not isinstance(document, bytes):
            raise StoreError(f"credentials store {self!r} is corrupt: unexpected value type")
        return decode_document(document, repr(self))

    def save(self, credentials: StoredCredentials) -> None:
        """Writes the document. Under `locked()`, a compare-and-set on the version this holder last read (fencing):
        StoreError, nothing written, if another holder wrote or holds the lock now. Outside it, the lock is taken
        for the write."""
        text = encode_document(credentials, repr(self))
        hold = self._hold()
        if hold is None:
            with self.locked():
                self._write(self._hold(), text)
        else:
            self._write(hold, text)

    def delete(self) -> bool:
        """Removes the credentials (`load()` gives None after it); True when there were credentials to remove. Under
        `locked()`, a compare-and-set on the version this holder last read (fencing), as a save: StoreError (nothing
        removed) if another holder wrote or holds the lock now. Outside it, the lock is taken for it.

        The hash keeps only the next version (no secret): a holder that read the credentials before they were
        removed (a refresh in flight elsewhere) has its save refused instead of bringing them back, and the version
        never goes back (a later login continues from it)."""
        hold = self._hold()
        if hold is None:
            with self.locked():
                return self._remove(self._hold())
        return self._remove(hold)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Holds the lock (a random token, TTL `lock_ttl`) for read-refresh-write.

        Should the TTL run out under this holder (a stall) while another holder has the lock, a save waits to take
        the lock again (bounded by `lock_timeout`), then still compares the version this holder last read: it
        writes only if no one else wrote since."""
        if self._hold() is not None:
            raise StoreError(f"{self!r}: locked() is already held by this thread")
        hold = _Hold(*self._take())
        self._holds.hold = hold
        try:
            yield
        finally:
            self._holds.hold = None
            with contextlib.suppress(redis.RedisError):  # else its TTL frees it
                self._release(keys=[self._lock_key], args=[hold.token])

    def _take(self) -> tuple[str, int]:
        """Takes the lock with a new token: the token and the stored version then."""
        token = secrets.token_hex(16)
        ttl_ms = max(1, round(self.lock_ttl * 1000))
        deadline = time.monotonic() + self.lock_timeout
        pause = 0.002
        while True:
            try:
                version = self._acquire(keys=[self._lock_key, self._creds_key], args=[token, ttl_ms])
            except redis.RedisError as exc:
                raise self._error("cannot take the lock", exc) from None
            if version is not None:
                return token, _version(version, self)
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"credentials store {self!r} stayed locked by another holder for {self.lock_timeout:g} s"
                )
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.02)

    # administration ---------------------------------------------------------------------------------------------

    def version(self) -> int:
        """The stored version (0 when nothing is stored): grows by one with every save."""
        try:
            return _version(self._client.hget(self._creds_key, "version"), self)
        except redis.RedisError as exc:
            raise self._error("cannot read", exc) from None

    # internals --------------------------------------------------------------------------------------------------

    def _hold(self) -> _Hold | None:
        hold: _Hold | None = getattr(self._holds, "hold", None)
        return hold

    def _write(self, hold: _Hold | None, text: str) -> None:
        assert hold is not None
        written, detail = self._compare_and_set(hold, text)
        if not written and detail == b"locked":  # this holder's TTL ran out and another holder has the lock
            hold.token, _ = self._take()
            written, detail = self._compare_and_set(hold, text)
        if written:
            hold.version = _version(detail, self)
            return
        raise StoreError(
            f"credentials store {self!r} changed since this holder read version {hold.version}"
            f" (now {_version(detail, self)}): not overwriting a newer document"
        )

    def _remove(self, hold: _Hold | None) -> bool:
        assert hold is not None
        outcome, detail = self._compare_and_delete(hold)
        if outcome == 0 and detail == b"locked":  # this holder's TTL ran out and another holder has the lock
            hold.token, _ = self._take()
            outcome, detail = self._compare_and_delete(hold)
        if outcome == 1:
            hold.version = _version(detail, self)
            return True
        if outcome == 2:
            return False
        raise StoreError(
            f"credentials store {self!r} changed since this holder read version {hold.version}"
            f" (now {_version(detail, self)}): not removing a newer document"
        )

    def _compare_and_delete(self, hold: _Hold) -> tuple[int, object]:
        try:
            result = self._delete(keys=[self._lock_key, self._creds_key], args=[hold.token, hold.version])
        except redis.RedisError as exc:
            raise self._error("cannot remove the credentials", exc) from None
        if not isinstance(result, list) or len(result) != 2 or result[0] not in (0, 1, 2):
            raise StoreError(f"credentials store {self!r}: unexpected reply to a removal")
        return int(result[0]), result[1]

    def _compare_and_set(self, hold: _Hold, text: str) -> tuple[bool, object]:
        try:
            result = self._save(keys=[self._lock_key, self._creds_key], args=[hold.token, hold.version, text])
        except redis.RedisError as exc:
            raise self._error("cannot write", exc) from None
        if not isinstance(result, list) or len(result) != 2:
            raise StoreError(f"credentials store {self!r}: unexpected reply to a save")
        return result[0] == 1, result[1]

    def _error(self, what: str, exc: redis.RedisError) -> StoreError:
        kind = "timed out" if isinstance(exc, redis.TimeoutError) else type(exc).__name__
        reason = self._redact(str(exc).splitlines()[0] if str(exc) else "")[:300]
        return StoreError(f"Redis credentials store {self!r}: {what}: {kind}{': ' + reason if reason else ''}")


def _version(raw: object, store: RedisStore) -> int:
    if raw is None:
        return 0
    try:
        value = int(raw.decode("ascii") if isinstance(raw, bytes) else str(raw))
    except (ValueError, UnicodeDecodeError):
        raise StoreError(f"credentials store {store!r} is corrupt: the version is not a number") from None
    if value < 0:
        raise StoreError(f"credentials store {store!r} is corrupt: a negative version")
    return value
