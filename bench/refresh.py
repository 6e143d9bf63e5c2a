"""A refresh round trip against the embedded server: ours beside a bare urllib3 POST + json.loads (the floor),
requests-oauthlib's and Authlib's `OAuth2Session.refresh_token`, in one run, over keep-alive connections.

The contenders take turns call by call, so a noisy moment on a shared machine lands on all of them alike. Wall time
is what a caller waits; the client thread's CPU time is the work each library does, server excluded (the server
runs in this process, so client work also delays its answers through the GIL)."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from urllib.parse import urlencode

import urllib3

from retently_oauth.flows import FORM_CONTENT_TYPE, OAuthClient
from retently_oauth.testing import RetentlyServer

from ._timing import fmt

ROUNDS = 400


def _interleaved(fns: list[Callable[[], object]], rounds: int = ROUNDS) -> list[tuple[float, float]]:
    """Median (wall, client CPU) seconds per call of each function, the functions called in turn."""
    for fn in fns:
        for _ in range(20):
            fn()
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start, start_cpu = time.perf_counter(), time.thread_time()
            fn()
            cpu[i].append(time.thread_time() - start_cpu)
            wall[i].append(time.perf_counter() - start)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(wall, cpu, strict=True)]


def run() -> str:
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # oauthlib refuses http, even to loopback
    from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
    from requests_oauthlib import OAuth2Session as OAuthlibSession

    with RetentlyServer() as server:
        refresh_token = server.issue_refresh_token()
        token_url = server.endpoints.token_url
        form = {
            "grant_type": "refresh_token",
            "client_id": server.client_id,
            "client_secret": server.client_secret,
            "redirect_uri": server.redirect_uri,
            "refresh_token": refresh_token,
        }
        pool = urllib3.PoolManager()

        def bare() -> object:
            response = pool.request(
                "POST", token_url, body=urlencode(form).encode(), headers={"Content-Type": FORM_CONTENT_TYPE}
            )
            return json.loads(response.data)["access_token"]

        client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)

        def ours() -> object:
            return client.refresh(refresh_token).access_token

        oauthlib = OAuthlibSession(server.client_id, redirect_uri=server.redirect_uri)

        def requests_oauthlib() -> object:
            return oauthlib.refresh_token(
                token_url,
                refresh_token=refresh_token,
                client_id=server.client_id,
                client_secret=server.client_secret,
                include_client_id=True,
            )["access_token"]

        authlib = AuthlibSession(
            server.client_id, server.client_secret, token_endpoint_auth_method="client_secret_post"
        )

        def authlib_fn() -> object:
            return authlib.refresh_token(token_url, refresh_token=refresh_token)["access_token"]

        contenders: list[tuple[str, Callable[[], object]]] = [
            ("bare urllib3 POST + json.loads (floor)", bare),
            ("retently_oauth OAuthClient.refresh", ours),
            ("requests-oauthlib OAuth2Session.refresh_token", requests_oauthlib),
            ("Authlib OAuth2Session.refresh_token", authlib_fn),
        ]
        results = _interleaved([fn for _, fn in contenders])
    floor_wall, floor_cpu = results[0]
    lines = [
        f"refresh round trip against the embedded server (median of {ROUNDS}, contenders interleaved)",
        f"  {'':<48} {'wall':>11}   {'vs floor':>8}   {'client CPU':>11}   {'vs floor':>8}",
    ]
    for (name, _), (wall, cpu) in zip(contenders, results, strict=True):
        lines.append(f"  {name:<48} {fmt(wall)}   x{wall / floor_wall:7.2f}   {fmt(cpu)}   x{cpu / floor_cpu:7.2f}")
    return "\n".join(lines)
