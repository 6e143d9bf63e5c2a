"""The per-request overhead of the httpx and requests adapters: each client with `TokenAuth(manager)` beside the
same client sending the same `Authorization` header as a static header (the floor), the token valid throughout.

Two settings, each with the pairs interleaved call by call (a noisy moment on a shared machine lands on both alike),
medians of wall time and of the client thread's CPU time:
1. GET against the embedded server over keep-alive connections: what a caller sees.
2. In process, no network (httpx's `MockTransport`; a requests adapter that answers at once): the client's own
   work only, so the adapter's share of it shows undiluted. A worst case: any real API adds its round trip.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import requests
import requests.adapters

from retently_oauth import OAuthClient, TokenManager
from retently_oauth.httpx import TokenAuth as HttpxTokenAuth
from retently_oauth.requests import TokenAuth as RequestsTokenAuth
from retently_oauth.testing import RetentlyServer

from ._timing import fmt

ROUNDS = 300 if os.environ.get("BENCH_QUICK") else 2000
WARMUP = 50
TARGET = 1.05


def _order(pairs: int, round_: int) -> list[int]:
    """The calls of one round: pair by pair, the floor first in even rounds and the adapter first in odd ones, so
    neither runs more often right after itself (a warm cache) or after the other library's calls."""
    swap = round_ % 2
    return [2 * k + (j ^ swap) for k in range(pairs) for j in (0, 1)]


def _interleaved(pairs: list[tuple[Callable[[], object], Callable[[], object]]]) -> list[tuple[float, ...]]:
    """For each (floor, adapter) pair: median wall and CPU seconds of each, the calls of all pairs in turn."""
    fns = [fn for pair in pairs for fn in pair]
    for fn in fns:
        for _ in range(WARMUP):
            fn()
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for round_ in range(ROUNDS):
        for i in _order(len(pairs), round_):
            start, start_cpu = time.perf_counter(), time.thread_time()
            fns[i]()
            cpu[i].append(time.thread_time() - start_cpu)
            wall[i].append(time.perf_counter() - start)
    medians = [(statistics.median(w), statistics.median(c)) for w, c in zip(wall, cpu, strict=True)]
    return [(*medians[2 * k], *medians[2 * k + 1]) for k in range(len(pairs))]


async def _interleaved_async(
    pairs: list[tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]],
) -> list[tuple[float, ...]]:
    fns = [fn for pair in pairs for fn in pair]
    for fn in fns:
        for _ in range(WARMUP):
            await fn()
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for round_ in range(ROUNDS):
        for i in _order(len(pairs), round_):
            start, start_cpu = time.perf_counter(), time.thread_time()
            await fns[i]()
            cpu[i].append(time.thread_time() - start_cpu)
            wall[i].append(time.perf_counter() - start)
    medians = [(statistics.median(w), statistics.median(c)) for w, c in zip(wall, cpu, strict=True)]
    return [(*medians[2 * k], *medians[2 * k + 1]) for k in range(len(pairs))]


class _Answering(requests.adapters.BaseAdapter):
    """A requests transport adapter answering 200 at once, in process."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response._content = b"{}"
        response.request = request
        response.url = request.url or ""
        response.connection = self  # type: ignore[assignment]
        return response

    def close(self) -> None:
        pass


def _manager(server: RetentlyServer) -> TokenManager:
    client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
    manager = TokenManager(client)
    manager.store_token(client.refresh(server.issue_refresh_token()))
    return manager


def _sessions(manager: TokenManager) -> tuple[requests.Session, requests.Session]:
    static, adapted = requests.Session(), requests.Session()
    for session in (static, adapted):
        session.trust_env = False  # no netrc or proxy look-ups: the same work for both
    static.headers["Authorization"] = manager.authorization()
    adapted.auth = RequestsTokenAuth(manager)
    return static, adapted


def run() -> str:
    rows: list[tuple[str, tuple[float, ...]]] = []
    with RetentlyServer() as server:
        manager = _manager(server)
        header = {"Authorization": manager.authorization()}
        url = server.api_url
        refreshes = server.counts["refresh_token"]

        # 1. against the embedded server
        hx_static = httpx.Client(headers=header, trust_env=False)
        hx_auth = httpx.Client(auth=HttpxTokenAuth(manager), trust_env=False)
        rq_static, rq_auth = _sessions(manager)
        sync_results = _interleaved(
            [
                (lambda: hx_static.get(url), lambda: hx_auth.get(url)),
                (lambda: rq_static.get(url), lambda: rq_auth.get(url)),
            ]
        )
        rows.append(("httpx.Client, embedded server", sync_results[0]))
        rows.append(("requests.Session, embedded server", sync_results[1]))

        async def async_server() -> list[tuple[float, ...]]:
            async with (
                httpx.AsyncClient(headers=header, trust_env=False) as static,
                httpx.AsyncClient(auth=HttpxTokenAuth(manager), trust_env=False) as adapted,
            ):
                return await _interleaved_async([(lambda: static.get(url), lambda: adapted.get(url))])

        rows.append(("httpx.AsyncClient, embedded server", asyncio.run(async_server())[0]))

        # 2. in process
        mock = httpx.MockTransport(lambda request: httpx.Response(200, content=b"{}"))
        local = "http://api.bench.invalid/api/v2/customers"
        hx_static_local = httpx.Client(headers=header, transport=mock, trust_env=False)
        hx_auth_local = httpx.Client(auth=HttpxTokenAuth(manager), transport=mock, trust_env=False)
        rq_static_local, rq_auth_local = _sessions(manager)
        for session in (rq_static_local, rq_auth_local):
            session.mount("http://api.bench.invalid/", _Answering())
        local_results = _interleaved(
            [
                (lambda: hx_static_local.get(local), lambda: hx_auth_local.get(local)),
                (lambda: rq_static_local.get(local), lambda: rq_auth_local.get(local)),
            ]
        )
        rows.append(("httpx.Client, in process", local_results[0]))
        rows.append(("requests.Session, in process", local_results[1]))

        async def async_local() -> list[tuple[float, ...]]:
            async with (
                httpx.AsyncClient(headers=header, transport=mock, trust_env=False) as static,
                httpx.AsyncClient(auth=HttpxTokenAuth(manager), transport=mock, trust_env=False) as adapted,
            ):
                return await _interleaved_async([(lambda: static.get(local), lambda: adapted.get(local))])

        rows.append(("httpx.AsyncClient, in process", asyncio.run(async_local())[0]))
        for client in (hx_static, hx_auth, hx_static_local, hx_auth_local):
            client.close()
        for session in (rq_static, rq_auth, rq_static_local, rq_auth_local):
            session.close()
        assert server.counts["refresh_token"] == refreshes, "a refresh during the benchmark"
        assert server.counts["api_unauthorized"] == 0

    lines = [
        f"per-request overhead of TokenAuth beside a static Authorization header (median of {ROUNDS}, interleaved;"
        f" target x{TARGET:.2f})",
        f"  {'':<36} {'static wall':>11} {'TokenAuth':>11} {'ratio':>7}   {'static CPU':>11} {'TokenAuth':>11} "
        f"{'ratio':>7}",
    ]
    for name, (wall0, cpu0, wall1, cpu1) in rows:
        walls = f"{fmt(wall0)} {fmt(wall1)} x{wall1 / wall0:5.3f}"
        lines.append(f"  {name:<36} {walls}   {fmt(cpu0)} {fmt(cpu1)} x{cpu1 / cpu0:5.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
