"""Tokens that stay valid, beside Authlib and requests-oauthlib, in one run against the embedded server.

1. The cached path: a valid access token when the one held is not due. Ours reads one attribute and the clock
   (tests/test_manager.py checks it takes no lock and touches no store); Authlib's `ensure_active_token()` is its
   equivalent check.
2. A 32-thread burst at expiry: 32 threads make one API call each through one shared client whose token has just
   expired. Counted: refresh requests that reached the token endpoint and calls that failed, with the server
   returning the same refresh token (as Retently's guide shows) and with rotation.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from retently_oauth import AuthorizedHTTP, MemoryStore, OAuthClient, Token, TokenManager
from retently_oauth.testing import RetentlyServer
from retently_oauth.tokens import utcnow

from ._timing import fmt, per_call

THREADS = 32


def _our_manager(server: RetentlyServer, expired: bool) -> TokenManager:
    client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
    token = client.refresh(server.issue_refresh_token())
    if expired:
        now = utcnow()
        token = Token(
            access_token=token.access_token,
            refresh_token=token.refresh_token,
            expires_at=now - timedelta(seconds=1),
            issued_at=now - timedelta(hours=6),
        )
    manager = TokenManager(client, MemoryStore())
    manager.store_token(token)
    return manager


def _token_dict(server: RetentlyServer, expired: bool) -> dict[str, Any]:
    client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
    token = client.refresh(server.issue_refresh_token())
    expires_at = time.time() + (-1 if expired else 21600)
    return {
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "token_type": "Bearer",
        "expires_in": int(expires_at - time.time()),
        "expires_at": expires_at,
    }


def _authlib(server: RetentlyServer, expired: bool) -> Any:
    from authlib.integrations.requests_client import OAuth2Session

    return OAuth2Session(
        server.client_id,
        server.client_secret,
        token_endpoint_auth_method="client_secret_post",
        token_endpoint=server.endpoints.token_url,
        token=_token_dict(server, expired),
    )


def _requests_oauthlib(server: RetentlyServer, expired: bool) -> Any:
    from requests_oauthlib import OAuth2Session

    return OAuth2Session(
        server.client_id,
        token=_token_dict(server, expired),
        auto_refresh_url=server.endpoints.token_url,
        auto_refresh_kwargs={"client_id": server.client_id, "client_secret": server.client_secret},
        token_updater=lambda token: None,
    )


def cached_path() -> str:
    with RetentlyServer() as server:
        manager = _our_manager(server, expired=False)
        authlib = _authlib(server, expired=False)

        def authlib_token() -> object:
            authlib.ensure_active_token()
            return authlib.token["access_token"]

        rows = [
            ("retently_oauth TokenManager.access_token()", per_call(manager.access_token)),
            ("retently_oauth TokenManager.authorization()", per_call(manager.authorization)),
            ("Authlib OAuth2Session.ensure_active_token()", per_call(authlib.ensure_active_token)),
            ("Authlib ensure_active_token() + token['access_token']", per_call(authlib_token)),
        ]
    ours = rows[0][1]
    lines = ["cached access token (token not due; median of 7 repeats)"]
    for name, seconds in rows:
        lines.append(f"  {name:<56} {fmt(seconds)}   x{seconds / ours:6.2f} vs ours")
    return "\n".join(lines)


def _burst(call: Callable[[], object]) -> tuple[int, float]:
    """Failures among THREADS calls made at once, and the wall time of the burst."""
    barrier = threading.Barrier(THREADS)
    failures = 0
    lock = threading.Lock()

    def run() -> None:
        nonlocal failures
        barrier.wait()
        try:
            call()
        except Exception:
            with lock:
                failures += 1

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures, time.perf_counter() - start


def burst_at_expiry() -> str:
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # oauthlib refuses http, even to loopback
    lines = [f"{THREADS}-thread burst at expiry: one API call per thread through one shared client"]
    lines.append(f"  {'':<44} {'server':<16} {'refreshes':>9} {'failed calls':>13} {'wall':>11}")
    for rotate in (False, True):
        for name in ("retently_oauth AuthorizedHTTP", "Authlib OAuth2Session", "requests-oauthlib OAuth2Session"):
            with RetentlyServer(rotate_refresh_tokens=rotate) as server:
                call: Callable[[], object]
                if name.startswith("retently"):
                    http = AuthorizedHTTP(_our_manager(server, expired=True), base_url=server.base_url)

                    def call(http: AuthorizedHTTP = http) -> object:
                        response = http.get("/api/v2/customers")
                        if response.status != 200:
                            raise RuntimeError(response.status)
                        return response

                else:
                    session = (_authlib if name.startswith("Authlib") else _requests_oauthlib)(server, expired=True)

                    def call(session: Any = session, url: str = server.api_url) -> object:
                        response = session.get(url)
                        response.raise_for_status()
                        return response

                before = server.counts["refresh_token"]
                failures, wall = _burst(call)
                refreshes = server.counts["refresh_token"] - before
            mode = "rotating" if rotate else "same refresh"
            lines.append(f"  {name:<44} {mode:<16} {refreshes:>9} {failures:>13} {fmt(wall)}")
    return "\n".join(lines)


def run() -> str:
    return cached_path() + "\n\n" + burst_at_expiry()
