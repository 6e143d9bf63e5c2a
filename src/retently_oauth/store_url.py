"""Stores by location: `open_store("creds.json")`, `open_store("postgresql://...")`, `open_store("redis://...")`.

What the CLI's `--store` takes. A file path opens a `FileStore`; a `postgresql://` (or `postgres://`) URL a
`PostgresStore` (extra `retently-oauth[postgres]`), a `redis://` or `rediss://` URL a `RedisStore` (extra
`retently-oauth[redis]`). `key` names the credentials within a database store (one database serves many
connections); a file holds one set, so a file path takes only the default key.

A password in a URL is never printed: `redact_location()` is the form every repr and message uses. Importing this
module imports neither psycopg nor redis: each is imported when a URL of its kind is opened.

Also here, shared by the database stores: the credentials document as text, and a document read back from a
database judged as strictly as a file (`decode_document`).
"""

from __future__ import annotations

import math
import os
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from . import documents
from .exceptions import ArgumentError, DocumentError, StoreError
from .models import StoredCredentials
from .redaction import Redactor, secrets_in
from .store import MAX_STORE_BYTES, FileStore

if TYPE_CHECKING:
    from .store import CredentialStore

__all__ = ["DEFAULT_KEY", "MissingExtra", "check_key", "check_seconds", "open_store", "redact_location"]

DEFAULT_KEY = "default"
MAX_KEY_LENGTH = 200
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
POSTGRES_SCHEMES = ("postgresql", "postgres")
REDIS_SCHEMES = ("redis", "rediss")


class MissingExtra(StoreError):
    """A store URL whose client library (an optional extra) is not installed: the message is the pip command."""


def open_store(
    location: str | os.PathLike[str],
    *,
    key: str = DEFAULT_KEY,
    lock_timeout: float = 120.0,
    connect_timeout: float = 10.0,
) -> CredentialStore:
    """The store at `location`: a file path, a `postgresql://...` URL or a `redis://...` URL.

    `lock_timeout` bounds the wait for another holder of the credentials (StoreError past it); `connect_timeout`
    bounds each connection to a database. ArgumentError for a location or key that cannot work; StoreError when
    the extra a URL needs is not installed.
    """
    key = check_key(key)
    if isinstance(location, os.PathLike):
        location = os.fspath(location)
    if not isinstance(location, str) or not location:
        raise ArgumentError(f"a store location must be a non-empty path or URL, got {type(location).__name__}")
    match = _SCHEME.match(location)
    if match is None:
        if key != DEFAULT_KEY:
            raise ArgumentError(
                f"store key {key!r} names credentials within a database store; a file store holds one set of"
                f" credentials: use another file instead"
            )
        return FileStore(location, lock_timeout=lock_timeout)
    scheme = match.group(1).lower()
    if scheme in POSTGRES_SCHEMES:
        try:
            from .store_postgres import PostgresStore
        except ImportError:
            raise MissingExtra("a postgresql:// store needs psycopg: pip install 'retently-oauth[postgres]'") from None
        return PostgresStore(location, key=key, lock_timeout=lock_timeout, connect_timeout=connect_timeout)
    if scheme in REDIS_SCHEMES:
        try:
            from .store_redis import RedisStore
        except ImportError:
            raise MissingExtra("a redis:// store needs redis-py: pip install 'retently-oauth[redis]'") from None
        return RedisStore(location, key=key, lock_timeout=lock_timeout, connect_timeout=connect_timeout)
    if scheme == "file":
        raise ArgumentError("give a file store as a plain path, not a file:// URL")
    raise ArgumentError(
        f"unknown store URL scheme {scheme!r}: give a file path, a postgresql://... URL or a redis://... URL"
    )


def redact_location(location: str) -> str:
    """`location` with any password replaced by `***` (a URL's userinfo password, a `password=` parameter)."""
    if not isinstance(location, str):
        return "<not a string>"
    text = location
    match = _SCHEME.match(text)
    if match is not None:
        try:
            parts = urlsplit(text)
            password = parts.password
        except ValueError:
            return f"{match.group(1)}://<unparsable URL>"
        if password is not None:
            netloc = parts.netloc
            userinfo, _, hostinfo = netloc.rpartition("@")
            user, _, _ = userinfo.partition(":")
            text = text.replace(netloc, f"{user}:***@{hostinfo}", 1)
    # libpq keyword form and URL query parameters: password=... (quoted or not)
    text = re.sub(r"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)", r"\1***", text)
    return text


def check_key(key: object) -> str:
    """A credentials key: a non-empty printable str of at most 200 characters."""
    if not isinstance(key, str) or not key:
        raise ArgumentError(f"a store key must be a non-empty string, got {type(key).__name__}")
    if len(key) > MAX_KEY_LENGTH:
        raise ArgumentError(f"a store key is at most {MAX_KEY_LENGTH} characters, got {len(key)}")
    if not key.isprintable() or any(0xD800 <= ord(ch) <= 0xDFFF for ch in key):
        raise ArgumentError("a store key must be printable text (no control characters or lone surrogates)")
    return key


MAX_STORE_WAIT = 365 * 24 * 3600.0
"""The longest timeout a store takes (a year)."""


def check_seconds(value: object, name: str, *, allow_zero: bool = True) -> float:
    """A finite, non-negative (or positive) number of seconds, as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ArgumentError(f"{name} must be a number of seconds")
    if math.isinf(value):
        raise ArgumentError(f"{name} must be finite: every wait has a bound")
    if value > MAX_STORE_WAIT:  # 1e300 is finite, yet sockets and locks refuse it with OverflowError
        raise ArgumentError(f"{name} must be at most {MAX_STORE_WAIT:g} seconds (a year)")
    if value < 0 or (not allow_zero and value == 0):
        raise ArgumentError(f"{name} must be {'non-negative' if allow_zero else 'positive'}")
    return float(value)


def encode_document(credentials: StoredCredentials, where: str) -> str:
    """The document as JSON text a database can hold (UTF-8 encodable; no NUL: JSON escapes control characters)."""
    if not isinstance(credentials, StoredCredentials):
        raise ArgumentError(f"a store saves StoredCredentials, got {type(credentials).__name__}")
    try:
        text = documents.dumps(credentials)
    except DocumentError as exc:  # such as a naive date-time, which reading back would call corrupt
        raise StoreError(f"cannot write credentials store {where}: {'; '.join(map(str, exc.problems))}") from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise StoreError(f"cannot write credentials store {where}: a value is not valid Unicode") from None
    return text


def decode_document(data: str | bytes, where: str) -> StoredCredentials:
    """A document read back from a database: size-capped and schema-checked, errors naming no secret."""
    if len(data) > MAX_STORE_BYTES:
        raise StoreError(f"credentials store {where} is corrupt: larger than {MAX_STORE_BYTES} bytes")
    try:
        return documents.loads(data, StoredCredentials)
    except DocumentError as exc:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        redact = Redactor(secrets_in(text))
        problems = redact("; ".join(str(p) for p in exc.problems))
        raise StoreError(f"credentials store {where} is corrupt: {problems}") from None
