"""A credentials store in PostgreSQL (psycopg 3, extra `retently-oauth[postgres]`): one fleet, one refresh.

One row per credentials key: the `StoredCredentials` document as JSON text and a version that grows by one with
every save. The table is created when missing (`create_table=False` to manage it yourself; the DDL is
`PostgresStore.ddl()`):

    CREATE TABLE retently_oauth_credentials (
        key text PRIMARY KEY, document text NOT NULL, version bigint NOT NULL, updated_at timestamptz NOT NULL
    )

`locked()` opens a connection and takes a session-level advisory lock on (table, key) for the whole load, refresh
and save, so exactly one holder across every host refreshes. Each save commits before it returns (saved before
any caller sees the token) and is a compare-and-set on the version this holder last read, so it can never
overwrite a newer document. `delete()` (what `retently-oauth logout` runs) is a compare-and-set too: it empties the
row's document and bumps its version, so the row keeps no credentials, the version never goes back, and a holder that
read the credentials before they were removed cannot write them back.

Bounds:
- waiting for another holder: `lock_timeout` (the server's own `lock_timeout`), then StoreError;
- a holder whose process dies: its connection closes and the server drops the lock at once; a host that vanishes
  is noticed by TCP keepalives (both ends: 10 s idle, then 3 probes 5 s apart) or `tcp_user_timeout` (30 s);
- a holder that stalls (a stopped process, a frozen VM) keeps its session open: the server ends any session that
  holds the lock idle longer than `hold_timeout` (`idle_session_timeout`, PostgreSQL 14+), and the stalled holder's
  next statement fails with a StoreError; keep `hold_timeout` above a refresh's duration (the transport's
  `total_timeout`, 60 s by default);
- connecting: `connect_timeout`; any statement: `lock_timeout` + 10 s (`statement_timeout`).

No repr, log or error names the password: the DSN is shown with it masked.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from .exceptions import ArgumentError, StoreError
from .models import StoredCredentials
from .redaction import Redactor
from .store import MAX_STORE_BYTES
from .store_url import DEFAULT_KEY, check_key, check_seconds, decode_document, encode_document, redact_location

__all__ = ["DEFAULT_TABLE", "PostgresStore"]

DEFAULT_TABLE = "retently_oauth_credentials"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_REMOVED = ""
"""The document of a row whose credentials were removed (`delete()`): the row keeps its version."""
_CREATE_LOCK = 0x72657465_6E746C79  # advisory lock serialising CREATE TABLE among first users ("retently")
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 10, 5, 3
TCP_USER_TIMEOUT_MS = 30_000


class _Hold:
    """One thread's hold of the lock: its connection and the version it last read or wrote."""

    __slots__ = ("connection", "version")

    def __init__(self, connection: psycopg.Connection[Any], version: int) -> None:
        self.connection = connection
        self.version = version


class PostgresStore:
    """Credentials under `key` in `table` of the database at `dsn` (a `postgresql://` URL or libpq keywords)."""

    def __init__(
        self,
        dsn: str,
        *,
        key: str = DEFAULT_KEY,
        table: str = DEFAULT_TABLE,
        lock_timeout: float = 120.0,
        hold_timeout: float = 120.0,
        connect_timeout: float = 10.0,
        create_table: bool = True,
    ) -> None:
        if not isinstance(dsn, str) or not dsn:
            raise ArgumentError("a PostgreSQL store needs a DSN: a postgresql:// URL or libpq keyword=value pairs")
        try:
            params = conninfo_to_dict(dsn)
        except psycopg.Error:  # its message may quote the DSN, password included
            raise ArgumentError(f"not a PostgreSQL connection string or URL: {redact_location(dsn)}") from None
        self.key = check_key(key)
        parts = table.split(".") if isinstance(table, str) else []
        if not 1 <= len(parts) <= 2 or not all(_IDENTIFIER.match(part) for part in parts):
            raise ArgumentError("table must be a plain identifier, or schema.identifier (letters, digits, _)")
        self.table = table
        self.lock_timeout = check_seconds(lock_timeout, "lock_timeout")
        self.hold_timeout = check_seconds(hold_timeout, "hold_timeout", allow_zero=False)
        self.connect_timeout = check_seconds(connect_timeout, "connect_timeout", allow_zero=False)
        self._dsn = dsn
        password = params.get("password")
        self._redact = Redactor([password if isinstance(password, str) else None])
        self._where = self._describe(params)
        self._table_sql = sql.Identifier(*parts)
        digest = hashlib.sha256(f"{table}\0{self.key}".encode()).digest()
        self._lock_id = int.from_bytes(digest[:8], "big", signed=True)
        self._create = bool(create_table)
        self._table_ready = False
        self._table_lock = threading.Lock()
        self._holds = threading.local()

    def __repr__(self) -> str:
        return f"PostgresStore({self._where!r}, key={self.key!r}, table={self.table!r})"

    @staticmethod
    def _describe(params: dict[str, Any]) -> str:
        user = params.get("user") or ""
        host = params.get("host") or params.get("hostaddr") or "localhost"
        port = f":{params['port']}" if params.get("port") else ""
        dbname = params.get("dbname") or ""
        secret = ":***" if params.get("password") else ""
        at = f"{user}{secret}@" if user or secret else ""
        return f"postgresql://{at}{host}{port}/{dbname}"

    @classmethod
    def ddl(cls, table: str = DEFAULT_TABLE) -> str:
        """The CREATE TABLE statement this store runs when its table is missing."""
        return (
            f"CREATE TABLE IF NOT EXISTS {table} (key text PRIMARY KEY, document text NOT NULL,"
            " version bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())"
        )

    # the protocol -----------------------------------------------------------------------------------------------

    def load(self) -> StoredCredentials | None:
        hold = self._hold()
        if hold is not None:
            try:
                row = self._select_raw(hold.connection)
            except psycopg.Error as exc:
                if not self._revive(hold):
                    raise self._error("cannot read", exc) from None
                row = self._select(hold.connection)
            hold.version = 0 if row is None else row[1]
        else:
            with self._connection() as connection:
                row = self._select(connection)
        if row is None or row[0] == _REMOVED:
            return None
        return decode_document(row[0], repr(self))

    def save(self, credentials: StoredCredentials) -> None:
        """Writes the document, committed when this returns. Under `locked()`, a compare-and-set on the version
        this holder last read: StoreError (nothing written) if another holder wrote meanwhile. Outside it, the
        lock is taken for the write."""
        text = encode_document(credentials, repr(self))
        hold = self._hold()
        if hold is None:
            with self.locked():
                self._write(self._hold(), text)
        else:
            self._write(hold, text)

    def delete(self) -> bool:
        """Removes the credentials (`load()` gives None after it), committed when this returns; True when there were
        credentials to remove. Under `locked()`, a compare-and-set on the version this holder last read, as a save:
        StoreError (nothing removed) if another holder wrote meanwhile. Outside it, the lock is taken for it.

        The row stays with an empty document (no secret) and the next version: a holder that read the credentials
        before they were removed (a refresh in flight elsewhere) has its save refused instead of bringing them back,
        and the version never goes back (a later login continues from it)."""
        hold = self._hold()
        if hold is None:
            with self.locked():
                return self._remove(self._hold())
        return self._remove(hold)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Holds the advisory lock of (table, key) on one connection for read-refresh-write.

        Should the server end this holder's session meanwhile (past `hold_timeout`, a restart), the next load or
        save takes the lock again on a new connection (bounded by `lock_timeout`) and a save still compares the
        version this holder last read: it writes only if no one else wrote since."""
        if self._hold() is not None:
            raise StoreError(f"{self!r}: locked() is already held by this thread")
        connection, version = self._acquire()
        hold = _Hold(connection, version)
        self._holds.hold = hold
        try:
            yield
        finally:
            self._holds.hold = None
            with contextlib.suppress(psycopg.Error):  # closing the connection releases it anyway
                hold.connection.execute("SELECT pg_advisory_unlock(%s)", (self._lock_id,))
            with contextlib.suppress(Exception):
                hold.connection.close()

    def _acquire(self) -> tuple[psycopg.Connection[Any], int]:
        """A new connection holding the lock, and the stored version."""
        connection = self._open(hold_timeout=True)
        try:
            try:
                connection.execute("SELECT set_config('lock_timeout', %s, false)", (f"{_millis(self.lock_timeout)}ms",))
                connection.execute("SELECT pg_advisory_lock(%s)", (self._lock_id,))
            except psycopg.errors.LockNotAvailable:
                raise StoreError(
                    f"credentials store {self!r} stayed locked by another holder for {self.lock_timeout:g} s"
                ) from None
            except psycopg.Error as exc:
                raise self._error("cannot take the lock", exc) from None
            row = self._select(connection, document=False)
        except BaseException:
            with contextlib.suppress(Exception):
                connection.close()
            raise
        return connection, 0 if row is None else row[1]

    def _revive(self, hold: _Hold) -> bool:
        """After a failed statement: when the hold's session is gone, takes the lock again on a new connection
        (the hold keeps the version it read) and says so; False when the session is alive (a real error)."""
        if not hold.connection.broken and not hold.connection.closed:
            return False
        with contextlib.suppress(Exception):
            hold.connection.close()
        hold.connection, _ = self._acquire()
        return True

    # administration ---------------------------------------------------------------------------------------------

    def create_table(self) -> None:
        """Creates the table when missing (run once by the first use unless `create_table=False`)."""
        with self._connection(ensure_table=False) as connection:
            self._ensure_table(connection)

    def version(self) -> int:
        """The stored version (0 when nothing is stored): grows by one with every save."""
        with self._connection() as connection:
            row = self._select(connection, document=False)
        return 0 if row is None else row[1]

    # internals --------------------------------------------------------------------------------------------------

    def _hold(self) -> _Hold | None:
        hold: _Hold | None = getattr(self._holds, "hold", None)
        return hold

    @contextlib.contextmanager
    def _connection(self, *, ensure_table: bool = True) -> Iterator[psycopg.Connection[Any]]:
        connection = self._open(ensure_table=ensure_table)
        try:
            yield connection
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def _open(self, *, hold_timeout: bool = False, ensure_table: bool = True) -> psycopg.Connection[Any]:
        """A new autocommit connection with this store's timeouts and keepalives (StoreError when it fails)."""
        try:
            connection = psycopg.connect(
                self._dsn,
                autocommit=True,
                connect_timeout=max(1, math.ceil(self.connect_timeout)),
                keepalives=1,
                keepalives_idle=KEEPALIVE_IDLE,
                keepalives_interval=KEEPALIVE_INTERVAL,
                keepalives_count=KEEPALIVE_COUNT,
                tcp_user_timeout=TCP_USER_TIMEOUT_MS,
                application_name="retently-oauth",
            )
        except psycopg.Error as exc:
            raise self._error("cannot connect", exc) from None
        try:
            try:
                settings = {
                    "statement_timeout": f"{_millis(self.lock_timeout) + 10_000}ms",
                    "tcp_keepalives_idle": str(KEEPALIVE_IDLE),
                    "tcp_keepalives_interval": str(KEEPALIVE_INTERVAL),
                    "tcp_keepalives_count": str(KEEPALIVE_COUNT),
                }
                if hold_timeout and connection.info.server_version >= 140000:
                    settings["idle_session_timeout"] = f"{_millis(self.hold_timeout)}ms"
                connection.execute(
                    sql.SQL("SELECT {}").format(
                        sql.SQL(", ").join(sql.SQL("set_config(%s, %s, false)") for _ in settings)
                    ),
                    [value for pair in settings.items() for value in pair],
                )
            except psycopg.Error as exc:
                raise self._error("cannot set up the connection", exc) from None
            if ensure_table and self._create and not self._table_ready:
                self._ensure_table(connection)
        except BaseException:
            with contextlib.suppress(Exception):
                connection.close()
            raise
        return connection

    def _ensure_table(self, connection: psycopg.Connection[Any]) -> None:
        with self._table_lock:
            if self._table_ready:
                return
            try:
                exists = connection.execute("SELECT to_regclass(%s)", (self.table,)).fetchone()
                if exists is None or exists[0] is None:
                    with connection.transaction():  # serialised: concurrent CREATE IF NOT EXISTS can collide
                        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK,))
                        connection.execute(
                            sql.SQL(
                                "CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, document text NOT NULL,"
                                " version bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())"
                            ).format(self._table_sql)
                        )
            except psycopg.Error as exc:
                raise self._error(f"cannot create table {self.table} (see PostgresStore.ddl())", exc) from None
            self._table_ready = True

    def _select(self, connection: psycopg.Connection[Any], *, document: bool = True) -> tuple[str, int] | None:
        try:
            return self._select_raw(connection, document=document)
        except psycopg.Error as exc:
            raise self._error("cannot read", exc) from None

    def _select_raw(self, connection: psycopg.Connection[Any], *, document: bool = True) -> tuple[str, int] | None:
        # at most one character past the cap is fetched: a huge row is refused as corrupt, not read whole
        query = sql.SQL("SELECT {}, version FROM {} WHERE key = %s").format(
            sql.SQL("substr(document, 1, %s)" if document else "''"), self._table_sql
        )
        params = (MAX_STORE_BYTES + 1, self.key) if document else (self.key,)
        row = connection.execute(query, params).fetchone()
        if row is None:
            return None
        text, version = row
        if not isinstance(text, str) or not isinstance(version, int):
            raise StoreError(f"credentials store {self!r} is corrupt: unexpected column types")
        return text, version

    def _write(self, hold: _Hold | None, text: str) -> None:
        assert hold is not None
        if hold.version == 0:
            query = sql.SQL(
                "INSERT INTO {} (key, document, version) VALUES (%s, %s, 1) ON CONFLICT (key) DO NOTHING"
                " RETURNING version"
            ).format(self._table_sql)
            params: tuple[object, ...] = (self.key, text)
        else:
            query = sql.SQL(
                "UPDATE {} SET document = %s, version = version + 1, updated_at = now()"
                " WHERE key = %s AND version = %s RETURNING version"
            ).format(self._table_sql)
            params = (text, self.key, hold.version)
        try:
            row = hold.connection.execute(query, params).fetchone()
        except psycopg.Error as exc:
            if not self._revive(hold):
                raise self._error("cannot write", exc) from None
            try:  # the lock is ours again; the compare-and-set decides
                row = hold.connection.execute(query, params).fetchone()
            except psycopg.Error as again:
                raise self._error("cannot write", again) from None
            if row is None and self._select(hold.connection) == (text, hold.version + 1):
                row = (hold.version + 1,)  # the first attempt had landed; its answer was lost with the session
        if row is None:
            raise StoreError(
                f"credentials store {self!r} changed since this holder read version {hold.version}:"
                " not overwriting a newer document"
            )
        hold.version = int(row[0])

    def _remove(self, hold: _Hold | None) -> bool:
        assert hold is not None
        query = sql.SQL(
            "UPDATE {} SET document = %s, version = version + 1, updated_at = now()"
            " WHERE key = %s AND version = %s AND document <> %s RETURNING version"
        ).format(self._table_sql)
        params = (_REMOVED, self.key, hold.version, _REMOVED)
        try:
            row = hold.connection.execute(query, params).fetchone()
        except psycopg.Error as exc:
            if not self._revive(hold):
                raise self._error("cannot remove the credentials", exc) from None
            try:  # the lock is ours again; the compare-and-set decides
                row = hold.connection.execute(query, params).fetchone()
            except psycopg.Error as again:
                raise self._error("cannot remove the credentials", again) from None
            if row is None and self._select(hold.connection) == (_REMOVED, hold.version + 1):
                row = (hold.version + 1,)  # the first attempt had landed; its answer was lost with the session
        if row is not None:
            hold.version = int(row[0])
            return True
        now = self._select(hold.connection, document=False)
        if now is None and hold.version == 0:
            return False  # nothing stored, as this holder read
        if now is not None and now[1] == hold.version:  # the version read, without a document: removed already
            return False
        raise StoreError(
            f"credentials store {self!r} changed since this holder read version {hold.version}:"
            " not removing a newer document"
        )

    def _error(self, what: str, exc: psycopg.Error) -> StoreError:
        if isinstance(exc, psycopg.errors.QueryCanceled):
            reason = "the statement timed out"
        else:
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            reason = lines[0] if lines else type(exc).__name__
            reason = self._redact(reason)[:300]
        return StoreError(f"PostgreSQL credentials store {self!r}: {what}: {reason}")


def _millis(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000)) if seconds > 0 else 1
