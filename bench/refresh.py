"""A refresh round trip against the embedded server: ours beside a bare urllib3 POST + json.loads (the floor),
requests-oauthlib's and Authlib's `OAuth2Session.refresh_token`, in one run, over keep-alive connections."""

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


def _median(fn: Callable[[], object], rounds: int = ROUNDS) -> float:
    for _ in range(20):
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


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

        rows: list[tuple[str, float]] = []
        for name, fn in (
            ("bare urllib3 POST + json.loads (floor)", bare),
            ("retently_oauth OAuthClient.refresh", ours),
            ("requests-oauthlib OAuth2Session.refresh_token", requests_oauthlib),
            ("Authlib OAuth2Session.refresh_token", authlib_fn),
        ):
            rows.append((name, _median(fn)))
    floor = rows[0][1]
    lines = [f"refresh round trip against the embedded server (median of {ROUNDS})"]
    for name, seconds in rows:
        lines.append(f"  {name:<48} {fmt(seconds)}   x{seconds / floor:5.2f} vs floor")
    return "\n".join(lines)
