"""open_store(): file paths, postgresql:// and redis:// URLs, a key within a database store, passwords never shown;
`import retently_oauth` imports neither psycopg nor redis."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from retently_oauth import FileStore
from retently_oauth.exceptions import ArgumentError
from retently_oauth.store_url import open_store, redact_location


def test_a_path_opens_a_file_store(tmp_path: Path) -> None:
    store = open_store(tmp_path / "creds.json", lock_timeout=3)
    assert isinstance(store, FileStore) and store.path == tmp_path / "creds.json" and store.lock_timeout == 3
    assert isinstance(open_store(str(tmp_path / "c.json")), FileStore)
    with pytest.raises(ArgumentError, match="a file store holds one set"):
        open_store(tmp_path / "creds.json", key="tenant-2")


def test_database_urls_open_database_stores_with_the_key_and_no_password_shown() -> None:
    psycopg = pytest.importorskip("psycopg")
    pytest.importorskip("redis")
    del psycopg
    from retently_oauth.store_postgres import PostgresStore
    from retently_oauth.store_redis import RedisStore

    pg = open_store("postgresql://app:pg-secret-pw@db.internal:5433/creds", key="tenant-2", lock_timeout=7)
    assert isinstance(pg, PostgresStore) and pg.key == "tenant-2" and pg.lock_timeout == 7
    assert (
        repr(pg) == "PostgresStore('postgresql://app:***@db.internal:5433/creds', key='tenant-2',"
        " table='retently_oauth_credentials')"
    )
    assert isinstance(open_store("postgres://db.internal/creds"), PostgresStore)
    rd = open_store("redis://:rd-secret-pw@cache.internal:6380/2")
    assert isinstance(rd, RedisStore) and rd.key == "default"
    assert repr(rd) == "RedisStore('redis://:***@cache.internal:6380/2', key='default')"
    assert "secret" not in repr(open_store("rediss://user:rd-secret-pw@cache.internal/0"))


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("postgresql://app:s3cret-value@h:5432/db", "postgresql://app:***@h:5432/db"),
        ("redis://:s3cret-value@h/0", "redis://:***@h/0"),
        ("postgresql://h/db?password=s3cret-value&sslmode=require", "postgresql://h/db?password=***&sslmode=require"),
        ("host=h password='s3 cret' dbname=x", "host=h password=*** dbname=x"),
        ("/var/lib/creds.json", "/var/lib/creds.json"),
    ],
)
def test_redact_location(location: str, expected: str) -> None:
    assert redact_location(location) == expected


def test_locations_and_keys_that_cannot_work_are_argument_errors() -> None:
    for location in ("", "mysql://h/db", "file:///tmp/creds.json", 5):
        with pytest.raises(ArgumentError):
            open_store(location)  # type: ignore[arg-type]
    for key in ("", "a\x00b", "\ud800", "k" * 201, None):
        with pytest.raises(ArgumentError):
            open_store("redis://h/0", key=key)  # type: ignore[arg-type]


def test_importing_the_package_imports_no_database_driver() -> None:
    code = (
        "import sys, retently_oauth, retently_oauth.store, retently_oauth.store_url, retently_oauth.manager;"
        "print(sorted(m for m in ('psycopg', 'redis') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
