"""Credential stores: the file store's format, permissions, atomic writes, lock, and refusal of corrupt files."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import pytest

from retently_oauth import FileStore, MemoryStore, StoreError, TokenManager
from retently_oauth.testing import RetentlyServer

from .support import client_for, due, fresh_token, stored


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "not valid JSON"),
        (b'{"client_id": "c", "access_tok', "not valid JSON"),
        (b"[]", "expected an object"),
        (b'{"client_id": "c"}', "required field missing"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_a_corrupt_store_is_an_error_and_is_never_replaced(
    tmp_path: Path, content: bytes, problem: str, retently_server: RetentlyServer
) -> None:
    path = tmp_path / "creds.json"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=problem):
        FileStore(path).load()
    manager = TokenManager(client_for(retently_server), FileStore(path), refresh_token="r")
    with pytest.raises(StoreError, match="corrupt"):
        manager.access_token()
    assert path.read_bytes() == content
    assert retently_server.counts["refresh_token"] == 0


def test_a_directory_in_place_of_the_store_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "creds.json").mkdir()
    with pytest.raises(StoreError, match="cannot read"):
        FileStore(tmp_path / "creds.json").load()


def test_saves_are_0600_atomic_and_leave_no_temp_files(tmp_path: Path, retently_server: RetentlyServer) -> None:
    path = tmp_path / "sub" / "creds.json"
    store = FileStore(path)
    assert store.load() is None
    document = stored(retently_server, fresh_token(retently_server))
    store.save(document)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.load() == document
    assert sorted(p.name for p in path.parent.iterdir()) == ["creds.json"]


def test_temp_files_of_killed_writers_are_removed_under_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    leftover = tmp_path / ".creds.json.abc123.tmp"
    leftover.write_text('{"half": ')
    unrelated = tmp_path / ".other.json.abc123.tmp"
    unrelated.write_text("{}")
    with FileStore(path).locked():
        pass
    assert not leftover.exists()
    assert unrelated.exists()


def test_the_file_lock_excludes_other_holders(tmp_path: Path) -> None:
    """Two FileStore objects on one path (as in two processes) exclude each other."""
    path = tmp_path / "creds.json"
    order: list[str] = []
    inside = threading.Event()

    def hold() -> None:
        with FileStore(path).locked():
            order.append("first in")
            inside.set()
            time.sleep(0.2)
            order.append("first out")

    thread = threading.Thread(target=hold)
    thread.start()
    inside.wait(5)
    with FileStore(path).locked():
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]


def test_memory_store(retently_server: RetentlyServer) -> None:
    document = stored(retently_server, due(fresh_token(retently_server)))
    store = MemoryStore(document)
    assert store.load() is document
    assert retently_server.client_secret not in repr(store)
    with store.locked():
        store.save(document)


def test_a_lock_held_too_long_is_an_error_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with FileStore(path).locked():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        inside.wait(5)
        with pytest.raises(StoreError, match="stayed locked"), FileStore(path, lock_timeout=0.2).locked():
            pass
    finally:
        release.set()
        thread.join()
    with FileStore(path, lock_timeout=0.2).locked():  # free again
        pass
