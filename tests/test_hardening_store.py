"""Issue 9 regressions in the file store: a planted lock symlink, directories under umask 0, exposed files and
directories, huge numbers and huge files."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

import retently_oauth
from retently_oauth import FileStore, StoreError
from retently_oauth.models import StoredCredentials

DOCUMENT = {
    "client_id": "cid",
    "client_secret": "store-secret-value",
    "token_url": "https://app.retently.com/api/oauth/token",
    "access_token": "store-access-token",
    "refresh_token": "store-refresh-token",
    "expires_at": "2030-01-01T00:00:00Z",
}


def credentials() -> StoredCredentials:
    return retently_oauth.structure(DOCUMENT, StoredCredentials)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_zero() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_a_planted_lock_symlink_is_refused_and_its_target_never_created(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "victim"
    target.parent.mkdir()
    lock = tmp_path / "creds.json.lock"
    lock.symlink_to(target)
    with pytest.raises(StoreError, match="symbolic link"), FileStore(tmp_path / "creds.json").locked():
        pass
    assert not target.exists()
    existing = tmp_path / "elsewhere" / "existing"
    existing.write_bytes(b"keep")
    before = existing.stat()
    lock.unlink()
    lock.symlink_to(existing)
    with pytest.raises(StoreError, match="symbolic link"), FileStore(tmp_path / "creds.json").locked():
        pass
    assert existing.read_bytes() == b"keep" and existing.stat().st_mtime_ns == before.st_mtime_ns


def test_a_lock_file_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "creds.json.lock")
    with pytest.raises(StoreError, match="not a regular file"), FileStore(tmp_path / "creds.json").locked():
        pass
    (tmp_path / "other.json.lock").mkdir()
    with pytest.raises(StoreError), FileStore(tmp_path / "other.json").locked():
        pass


def test_directories_we_create_are_0700_even_under_umask_0(tmp_path: Path, umask_zero: None) -> None:
    path = tmp_path / "a" / "b" / "c" / "creds.json"
    FileStore(path).save(credentials())
    for directory in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert mode(directory) == 0o700, directory
    assert mode(path) == 0o600
    locked = tmp_path / "x" / "y" / "creds.json"
    with FileStore(locked).locked():
        pass
    assert mode(tmp_path / "x") == 0o700 and mode(tmp_path / "x" / "y") == 0o700
    assert mode(tmp_path / "x" / "y" / "creds.json.lock") == 0o600


def test_directories_we_create_keep_owner_access_under_a_hostile_umask(tmp_path: Path) -> None:
    old = os.umask(0o777)
    try:
        FileStore(tmp_path / "p" / "q" / "creds.json").save(credentials())
    finally:
        os.umask(old)
    assert mode(tmp_path / "p") == 0o700 and mode(tmp_path / "p" / "q") == 0o700
    assert FileStore(tmp_path / "p" / "q" / "creds.json").load() == credentials()


def test_an_existing_directory_is_left_as_it_is(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    FileStore(shared / "creds.json").save(credentials())
    assert mode(shared) == 0o755


def test_permission_warning_for_an_exposed_file_or_directory(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    store = FileStore(directory / "creds.json")
    assert store.permission_warning() is None  # nothing there yet
    store.save(credentials())
    assert store.permission_warning() is None  # 0600 in a 0700 directory
    (directory / "creds.json").chmod(0o644)
    warning = store.permission_warning()
    assert warning is not None and "\n" not in warning
    assert str(directory / "creds.json") in warning and "0644" in warning and "chmod 600" in warning
    (directory / "creds.json").chmod(0o600)
    directory.chmod(0o777)
    try:
        warning = store.permission_warning()
        assert warning is not None and "\n" not in warning and "chmod 700" in warning
        directory.chmod(0o1777)  # sticky, as /tmp: others cannot replace our file
        assert store.permission_warning() is None
    finally:
        directory.chmod(0o700)
    for secret in ("store-secret-value", "store-access-token", "store-refresh-token"):
        assert secret not in (warning or "")


def test_a_json_integer_over_4300_digits_in_the_store_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    huge = "9" * 5000
    for text in (huge, '{"client_id": ' + huge + "}", '{"client_id": "c", "x": [' + huge + "]}"):
        path.write_text(text)
        with pytest.raises(StoreError, match="corrupt"):
            FileStore(path).load()


def test_a_huge_store_file_is_a_store_error_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    with path.open("wb") as handle:
        handle.write(b'{"client_id": "' + b"a" * (2 << 20) + b'"}')
    with pytest.raises(StoreError, match="larger than"):
        FileStore(path).load()


def test_a_corrupt_store_error_does_not_repeat_secrets_from_its_keys(tmp_path: Path) -> None:
    """Problem paths name the file's keys; a key that repeats a secret value of the file is masked."""
    path = tmp_path / "creds.json"
    document = dict(DOCUMENT, **{"store-refresh-token": 1})
    path.write_text(retently_oauth.dumps(credentials())[:-1] + ', "store-refresh-token": 1}')
    del document
    with pytest.raises(StoreError) as caught:
        FileStore(path).load()
    assert "store-refresh-token" not in str(caught.value)


def test_saving_a_lone_surrogate_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    path.write_text(json.dumps({**DOCUMENT, "scope": "read \ud800"}))
    loaded = FileStore(path).load()
    assert loaded is not None
    with pytest.raises(StoreError, match="not valid Unicode"):
        FileStore(tmp_path / "copy.json").save(loaded)
    assert not (tmp_path / "copy.json").exists()


@pytest.mark.parametrize("lock_timeout", [float("nan"), float("inf"), -1.0, True])
def test_a_lock_timeout_that_cannot_bound_the_wait_is_refused(tmp_path: Path, lock_timeout: float) -> None:
    """NaN compares false with every deadline: it would have waited forever for a stuck holder."""
    with pytest.raises(retently_oauth.ArgumentError, match="lock_timeout"):
        FileStore(tmp_path / "creds.json", lock_timeout=lock_timeout)


def test_a_store_path_that_is_no_path_is_an_argument_error() -> None:
    for path in (None, 5, ""):
        with pytest.raises(retently_oauth.ArgumentError):
            FileStore(path)  # type: ignore[arg-type]
