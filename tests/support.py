"""Helpers shared by the token-manager tests: clients and stores set up against the embedded server."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

from retently_oauth import OAuthClient, Token, TokenManager, TransportConfig
from retently_oauth.manager import RefreshHook
from retently_oauth.models import StoredCredentials
from retently_oauth.store import CredentialStore, MemoryStore
from retently_oauth.testing import RetentlyServer
from retently_oauth.tokens import utcnow
from retently_oauth.transport import Transport

WORKER = Path(__file__).with_name("worker.py")


def client_for(server: RetentlyServer, *, read_timeout: float = 30.0) -> OAuthClient:
    transport = Transport(TransportConfig(read_timeout=read_timeout, retries=0))
    return OAuthClient(
        server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints, transport=transport
    )


def fresh_token(server: RetentlyServer) -> Token:
    """A token the server issued just now, as after a login."""
    return client_for(server).refresh(server.issue_refresh_token())


def due(token: Token) -> Token:
    """The same token as if six hours had passed: expired on our clock (the server may still accept it)."""
    now = utcnow()
    return Token(
        access_token=token.access_token,
        refresh_token=token.refresh_token,
        expires_at=now - timedelta(seconds=1),
        issued_at=now - timedelta(hours=6),
    )


def stored(server: RetentlyServer, token: Token) -> StoredCredentials:
    return token.to_stored(
        client_id=server.client_id,
        client_secret=server.client_secret,
        token_url=server.endpoints.token_url,
        authorize_url=server.endpoints.authorize_url,
        redirect_uri=server.redirect_uri,
    )


def manager_with(
    server: RetentlyServer,
    store: CredentialStore | None = None,
    *,
    token: Token | None = None,
    read_timeout: float = 30.0,
    leeway: float = 60.0,
    on_refresh: RefreshHook | None = None,
) -> TokenManager:
    """A manager whose store holds `token` (a due one by default)."""
    store = store if store is not None else MemoryStore()
    store.save(stored(server, token if token is not None else due(fresh_token(server))))
    return TokenManager(client_for(server, read_timeout=read_timeout), store, leeway=leeway, on_refresh=on_refresh)


def in_threads(n: int, fn: Callable[[], object]) -> list[object]:
    """`fn` in n threads released together; each result, or the exception it raised."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def worker(*args: str) -> subprocess.Popen[str]:
    """tests/worker.py in a fresh interpreter, its stdout and stderr piped."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@contextlib.contextmanager
def reaped(*procs: subprocess.Popen[str]) -> Iterator[None]:
    """Kills whatever is still running when the block ends, so a failing test leaves no process behind."""
    try:
        yield
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
