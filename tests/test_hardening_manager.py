"""Issue 9, TokenManager: internal reprs masked (and a sweep over every class of the package), at most one refresh
per second whatever `expires_in` says, an `on_refresh` hook that refreshes cannot deadlock, threads waiting on a
refresh wait at most the total timeout, and an absurd `expires_in` is no OverflowError. Real servers only."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
import pkgutil
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

import retently_oauth
from retently_oauth import (
    AuthorizedHTTP,
    FileStore,
    MemoryStore,
    OAuthClient,
    RetentlyOAuthError,
    Token,
    TokenManager,
    TransportConfig,
    TransportError,
)
from retently_oauth import manager as manager_module
from retently_oauth.testing import RetentlyServer
from retently_oauth.tokens import utcnow
from retently_oauth.transport import Transport

from .helpers import call_within
from .support import due, fresh_token, manager_with, stored

SECRET = "Zq7Lm2Xv9Kp4Secret"
DEADLOCK = " (a deadlock?)"


# item 10: reprs ---------------------------------------------------------------------------------------------------


def test_the_current_token_snapshot_masks_its_secrets(retently_server: RetentlyServer) -> None:
    manager = manager_with(retently_server, token=fresh_token(retently_server))
    token = manager.token()
    current = manager._current
    assert current is not None
    text = f"{current!r} {current} {vars(manager)!r}"
    assert token.access_token not in text
    assert token.refresh_token is not None and token.refresh_token not in text
    assert retently_server.client_secret not in text


SECRET_FIELD = re.compile(r"token|secret|verifier|api_?key|password|authorization|^code$|^key$|^headers$|^body$|^form$")
"""Field names that hold a credential (or a request that carries one)."""
NOT_SECRET = re.compile(r"_(url|type|at|in|method|challenge)$")
"""...except these: `token_url`, `token_type`, `expires_at`, `expires_in`, `code_challenge_method`."""
SELF_MASKING = {"Token", "Token | None", "StoredCredentials", "StoredCredentials | None"}
"""Field types whose own repr masks their secrets: showing them is fine."""


def _package_classes() -> list[type]:
    """Every class defined in a retently_oauth module, private ones included (exceptions aside)."""
    found: list[type] = []
    for info in pkgutil.iter_modules(retently_oauth.__path__, "retently_oauth."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == module.__name__ and not issubclass(obj, BaseException):
                found.append(obj)
    return found


def _fields(cls: type) -> list[tuple[str, object, object]] | None:
    """(name, repr setting, type) of each field of an attrs class or dataclass; None for other classes."""
    if attrs.has(cls):
        return [(f.name, f.repr, f.type) for f in attrs.fields(cls)]
    if dataclasses.is_dataclass(cls):
        return [(f.name, f.repr, f.type) for f in dataclasses.fields(cls)]
    return None


def _custom_repr_instances(server: RetentlyServer, tmp_path: Path) -> dict[str, Callable[[], object]]:
    """Instances, holding SECRET wherever they can, of the plain classes that write their own __repr__."""
    token = Token(access_token=SECRET + "A", refresh_token=SECRET + "R", expires_at=utcnow() + timedelta(hours=1))
    holding = stored(server, token)

    def client() -> OAuthClient:
        return OAuthClient(server.client_id, SECRET + "C", server.redirect_uri, endpoints=server.endpoints)

    def manager() -> TokenManager:
        return TokenManager(client(), MemoryStore(holding), token=token, refresh_token=SECRET + "R")

    def receiver() -> object:
        from retently_oauth.receiver import RedirectReceiver

        return RedirectReceiver(SECRET + "S")

    def redactor() -> object:
        from retently_oauth.redaction import Redactor

        return Redactor([SECRET + "A"])

    def adapters() -> dict[str, Callable[[], object]]:  # the httpx and requests TokenAuth, each header taken
        from retently_oauth.authorizer import HeaderSource
        from retently_oauth.httpx import TokenAuth as HttpxAuth
        from retently_oauth.requests import TokenAuth as RequestsAuth
        from retently_oauth.requests import _OnceOn401

        def used(source: HeaderSource) -> HeaderSource:
            source.authorization()
            return source

        return {
            "retently_oauth.authorizer.HeaderSource": lambda: used(HeaderSource(manager())),
            "retently_oauth.httpx.TokenAuth": lambda: HttpxAuth(manager()),
            "retently_oauth.requests.TokenAuth": lambda: RequestsAuth(manager()),
            "retently_oauth.requests._OnceOn401": lambda: _OnceOn401(
                used(HeaderSource(manager())), f"Bearer {SECRET}A"
            ),
        }

    def database_stores() -> dict[str, Callable[[], object]]:  # constructing one does not connect
        from retently_oauth.store_postgres import PostgresStore
        from retently_oauth.store_redis import RedisStore

        return {
            "retently_oauth.store_postgres.PostgresStore": lambda: PostgresStore(f"postgresql://u:{SECRET}@h/d"),
            "retently_oauth.store_redis.RedisStore": lambda: RedisStore(f"redis://:{SECRET}@127.0.0.1:1/0"),
        }

    return {
        **adapters(),
        **database_stores(),
        "retently_oauth.flows.OAuthClient": client,
        "retently_oauth.manager.TokenManager": manager,
        "retently_oauth.authorized.AuthorizedHTTP": lambda: AuthorizedHTTP(manager()),
        "retently_oauth.store.MemoryStore": lambda: MemoryStore(holding),
        "retently_oauth.store.FileStore": lambda: FileStore(tmp_path / "creds.json"),
        "retently_oauth.transport.Transport": lambda: Transport(TransportConfig()),
        "retently_oauth.receiver.RedirectReceiver": receiver,
        "retently_oauth.redaction.Redactor": redactor,
        "retently_oauth.testing.RetentlyServer": lambda: RetentlyServer(client_secret=SECRET + "C", api_key=SECRET),
    }


def test_no_class_of_the_package_shows_a_secret_in_its_repr(retently_server: RetentlyServer, tmp_path: Path) -> None:
    """attrs classes and dataclasses: each field named like a credential is masked (its repr callable, run on a
    secret, does not show it) unless its type masks itself. Plain classes with a __repr__ of their own: an instance
    holding secrets shows none. A new class of either kind is covered as soon as it exists (or this test says
    how to cover it)."""
    instances = _custom_repr_instances(retently_server, tmp_path)
    problems: list[str] = []
    for cls in _package_classes():
        name = f"{cls.__module__}.{cls.__qualname__}"
        fields = _fields(cls)
        if fields is not None:
            for field, shown, annotation in fields:
                if not SECRET_FIELD.search(field) or NOT_SECRET.search(field):
                    continue
                if shown is False or str(annotation) in SELF_MASKING:
                    continue
                if shown is True or not callable(shown) or SECRET in str(shown(SECRET)):
                    problems.append(f"{name}.{field} shows its value in repr")
        elif "__repr__" in vars(cls) and not issubclass(cls, type):
            make = instances.get(name)
            if make is None:
                problems.append(f"{name} has its own __repr__: add an instance holding secrets to this sweep")
                continue
            instance = make()
            text = f"{instance!r} {instance}"
            if SECRET in text:
                problems.append(f"{name}: {text}")
    assert problems == []


# item 11: at most one refresh per second ----------------------------------------------------------------------------


def _calls_for(manager: TokenManager, seconds: float) -> tuple[int, float]:
    """access_token() in a loop for about `seconds`: how many calls, and how long they actually took."""
    started = time.monotonic()
    calls = 0
    while time.monotonic() - started < seconds:
        manager.access_token()
        calls += 1
    return calls, time.monotonic() - started


@pytest.mark.parametrize("expires_in", [0, 1])
def test_a_tiny_expires_in_causes_at_most_one_refresh_per_second(expires_in: int) -> None:
    with RetentlyServer(expires_in=expires_in) as server:
        manager = manager_with(server)  # a due token: the first call refreshes
        before = server.counts["refresh_token"]
        calls, elapsed = _calls_for(manager, 2.5)
        refreshes = server.counts["refresh_token"] - before
        assert calls > refreshes
        assert 1 <= refreshes <= int(elapsed) + 1, f"{refreshes} refreshes in {elapsed:.1f} s"


def test_a_clock_running_ahead_causes_at_most_one_refresh_per_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our clock 10 minutes ahead of the server's: every token is past its expiry when it arrives."""
    with RetentlyServer(expires_in=300) as server:
        manager = manager_with(server, leeway=0)
        monkeypatch.setattr(manager_module, "_clock", lambda: time.time() + 600)
        before = server.counts["refresh_token"]
        calls, elapsed = _calls_for(manager, 2.5)
        refreshes = server.counts["refresh_token"] - before
        assert 1 <= refreshes <= int(elapsed) + 1, f"{refreshes} refreshes in {calls} calls, {elapsed:.1f} s"


def test_forced_refreshes_are_paced_too(retently_server: RetentlyServer) -> None:
    manager = manager_with(retently_server, token=fresh_token(retently_server))
    before = retently_server.counts["refresh_token"]
    started = time.monotonic()
    tokens = {manager.refresh().access_token for _ in range(3)}
    elapsed = time.monotonic() - started
    assert len(tokens) == 3  # each forced refresh happened
    assert retently_server.counts["refresh_token"] - before == 3
    assert elapsed >= 2 * manager_module.MIN_REFRESH_INTERVAL - 0.05  # the documented pace, not a speed test


def test_an_on_refresh_hook_that_refreshes_does_not_deadlock(caplog: pytest.LogCaptureFixture) -> None:
    with RetentlyServer() as server:
        seen: list[str] = []
        holder: list[TokenManager] = []

        def hook(token: Token) -> None:
            seen.append(holder[0].access_token())  # reading the manager works
            holder[0].refresh()  # refreshing from inside the hook is refused, typed

        holder.append(manager_with(server, on_refresh=hook))
        manager = holder[0]
        with caplog.at_level(logging.ERROR, logger="retently_oauth.manager"):
            outcome = call_within(10, manager.access_token, suspect=DEADLOCK)
        assert isinstance(outcome, str) and outcome == seen[0]
        assert server.counts["refresh_token"] == 2  # the setup's and the due token's: none from the hook
        assert any("on_refresh" in record.getMessage() for record in caplog.records)
        assert any(isinstance(r.exc_info[1], RetentlyOAuthError) for r in caplog.records if r.exc_info)
        assert call_within(10, manager.refresh, suspect=DEADLOCK) is not None  # the manager still refreshes afterwards


# item 2: threads waiting on a refresh -------------------------------------------------------------------------------


def test_threads_waiting_on_a_refresh_wait_at_most_the_total_timeout(tmp_path: Path) -> None:
    """The leader is stuck on the store's lock (held by another holder); the others give up after the transport's
    total_timeout with TransportError instead of waiting with it."""
    with RetentlyServer() as server:
        path = tmp_path / "creds.json"
        store = FileStore(path, lock_timeout=20)
        store.save(stored(server, due(fresh_token(server))))
        transport = Transport(TransportConfig(total_timeout=2, retries=0))
        client = OAuthClient(
            server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints, transport=transport
        )
        manager = TokenManager(client, store)
        leader_started = threading.Event()
        outcomes: list[object] = []

        def leader() -> None:
            leader_started.set()
            try:
                outcomes.append(manager.access_token())
            except BaseException as exc:
                outcomes.append(exc)

        with FileStore(path).locked():
            thread = threading.Thread(target=leader, daemon=True)
            thread.start()
            assert leader_started.wait(5)
            deadline = time.monotonic() + 5
            while manager._flight is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert manager._flight is not None
            follower = call_within(5, manager.access_token, suspect=DEADLOCK)
            assert isinstance(follower, TransportError), follower
            assert "total timeout" in str(follower)
        thread.join(10)
        assert not thread.is_alive()
        assert isinstance(outcomes[0], str)  # the leader carried on once the lock was free


# item 6 (through the manager): an absurd expires_in ---------------------------------------------------------------


def test_an_absurd_expires_in_is_no_overflow_error_through_the_manager(tmp_path: Path) -> None:
    """`expires_in: 300000000000` (9,500 years): a token valid for a very long time, saved, reloaded, and not
    refreshed on every call; never an OverflowError (or any error that is not ours)."""
    with RetentlyServer(expires_in=300_000_000_000) as server:
        manager = manager_with(server, FileStore(tmp_path / "creds.json"))  # a due token: the next call refreshes
        token = manager.access_token()
        assert server.counts["refresh_token"] == 2  # the setup's and this one
        assert manager.access_token() == token  # cached from now on
        assert manager.token().expires_at is not None
        reloaded = TokenManager.from_store(FileStore(tmp_path / "creds.json"))
        assert reloaded.access_token() == token
        assert server.counts["refresh_token"] == 2
