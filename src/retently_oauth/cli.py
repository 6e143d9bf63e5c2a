"""`retently-oauth`: the command line. Exit status 0 on success, 1 on an OAuth, transport or store error (one
line on stderr), 2 on a usage error."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import webbrowser
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import urllib3

from . import documents, models
from .endpoints import RETENTLY, Endpoints
from .exceptions import ArgumentError, DocumentError, RetentlyOAuthError
from .flows import OAuthClient
from .manager import TokenManager
from .store import FileStore, default_store_path
from .tokens import Token

LEEWAY_SECONDS = 60


class UsageError(Exception):
    """Bad command-line input: exit status 2."""


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _parser() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--client-id", default=_env("RETENTLY_CLIENT_ID"), help="or RETENTLY_CLIENT_ID")
    shared.add_argument("--client-secret", default=_env("RETENTLY_CLIENT_SECRET"), help="or RETENTLY_CLIENT_SECRET")
    shared.add_argument("--redirect-uri", default=_env("RETENTLY_REDIRECT_URI"), help="or RETENTLY_REDIRECT_URI")
    shared.add_argument(
        "--authorize-url",
        default=_env("RETENTLY_AUTHORIZE_URL") or RETENTLY.authorize_url,
        help="or RETENTLY_AUTHORIZE_URL (default: Retently's)",
    )
    shared.add_argument(
        "--token-url",
        default=_env("RETENTLY_TOKEN_URL") or RETENTLY.token_url,
        help="or RETENTLY_TOKEN_URL (default: Retently's)",
    )
    shared.add_argument(
        "--store",
        type=Path,
        default=Path(_env("RETENTLY_OAUTH_STORE") or default_store_path()),
        help="credentials file (or RETENTLY_OAUTH_STORE)",
    )
    parser = argparse.ArgumentParser(prog="retently-oauth", description="Retently OAuth from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("authorize-url", parents=[shared], help="print the authorization URL, then the state")
    p.add_argument("--scope")
    p.add_argument("--state")
    p.add_argument("--pkce", action="store_true", help="add a PKCE challenge; prints the verifier third")
    p = sub.add_parser("login", parents=[shared], help="log in through the browser and save the credentials")
    p.add_argument("--port", type=int, default=0, help="loopback port for the redirect (default: any free)")
    p.add_argument("--no-browser", action="store_true", help="only print the URL")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the redirect")
    p.add_argument("--scope")
    p = sub.add_parser("exchange", parents=[shared], help="exchange a code and save the credentials")
    p.add_argument("--code", required=True)
    p.add_argument("--code-verifier")
    sub.add_parser("refresh", parents=[shared], help="refresh the stored credentials and save them")
    sub.add_parser("token", parents=[shared], help="print a valid access token (refreshing first if due)")
    sub.add_parser("demo", help="run the whole flow against the embedded local Retently server")
    p = sub.add_parser("validate", help="check a JSON document against a model and list the problems")
    p.add_argument("file", type=Path)
    p.add_argument("--model", required=True, help="a class of retently_oauth.models, such as TokenResponse")
    return parser


def _require(args: argparse.Namespace, *names: str) -> None:
    missing = [n for n in names if not getattr(args, n)]
    if missing:
        flags = ", ".join("--" + n.replace("_", "-") for n in missing)
        raise UsageError(f"missing {flags} (or the matching RETENTLY_* environment variable)")


def _client(args: argparse.Namespace, redirect_uri: str | None = None) -> OAuthClient:
    _require(args, "client_id", "client_secret")
    redirect = redirect_uri or args.redirect_uri
    if not redirect:
        raise UsageError("missing --redirect-uri (or RETENTLY_REDIRECT_URI)")
    endpoints = Endpoints(authorize_url=args.authorize_url, token_url=args.token_url)
    return OAuthClient(args.client_id, args.client_secret, redirect, endpoints=endpoints)


def _save(args: argparse.Namespace, client: OAuthClient, token: Token) -> None:
    """Saves under the store's lock, as a running `token` or `refresh` would."""
    TokenManager(client, FileStore(args.store)).store_token(token)


def _manager(args: argparse.Namespace) -> TokenManager:
    """The manager of the stored credentials: `token` and `refresh` need nothing but the store."""
    store = FileStore(args.store)
    if store.load() is None:
        raise UsageError(f"no credentials in {args.store}: run `retently-oauth login` or `exchange` first")
    return TokenManager.from_store(store, leeway=LEEWAY_SECONDS)


def cmd_authorize_url(args: argparse.Namespace) -> int:
    auth = _client(args).authorize_url(state=args.state, scope=args.scope, pkce=args.pkce)
    print(auth.url)
    print(auth.state)
    if auth.code_verifier:
        print(auth.code_verifier)
    return 0


def cmd_exchange(args: argparse.Namespace) -> int:
    client = _client(args)
    token = client.exchange_code(args.code, code_verifier=args.code_verifier)
    _save(args, client, token)
    print(f"saved credentials to {args.store}")
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    token = _manager(args).refresh()
    print(f"refreshed; access token valid until {_when(token)}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    print(_manager(args).access_token())
    return 0


class _Redirect:
    """The loopback redirect receiver's catch: the first callback URL, once."""

    def __init__(self) -> None:
        self.base = ""
        self.url: str | None = None
        self.done = threading.Event()


def _receiver(port: int, caught: _Redirect) -> HTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Silent: the URL carries the code."""

        def do_GET(self) -> None:
            if not self.path.startswith("/callback"):
                self.send_response(404)
                self.end_headers()
                return
            body = b"<html><body>retently-oauth: you can close this tab.</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if caught.url is None:
                caught.url = caught.base + self.path
                caught.done.set()

    try:
        server = HTTPServer(("127.0.0.1", port), Handler)
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "port out of range"
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {reason}") from None
    caught.base = f"http://127.0.0.1:{server.server_port}"
    return server


def cmd_login(args: argparse.Namespace) -> int:
    caught = _Redirect()
    server = _receiver(args.port, caught)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        redirect_uri = args.redirect_uri or f"{caught.base}/callback"
        client = _client(args, redirect_uri)
        auth = client.authorize_url(scope=args.scope)
        print("Open this URL to log in:", file=sys.stderr)
        print(auth.url, flush=True)
        if not args.no_browser:
            webbrowser.open(auth.url)
        if not caught.done.wait(args.timeout):
            raise RetentlyOAuthError(f"no redirect arrived within {args.timeout:g} s")
        assert caught.url is not None
        code = client.parse_callback(caught.url, expected_state=auth.state)
        token = client.exchange_code(code)
        _save(args, client, token)
    finally:
        server.shutdown()
        server.server_close()
    print(f"logged in; saved credentials to {args.store}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .authorized import AuthorizedHTTP
    from .store import MemoryStore
    from .testing import RetentlyServer

    with RetentlyServer() as server:
        client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
        print(f"1. embedded Retently server at {server.base_url}")
        auth = client.authorize_url(pkce=True)
        print(f"2. authorization URL: {server.endpoints.authorize_url}?client_id={client.client_id}&... (state=***)")
        browser = urllib3.PoolManager()
        location = browser.request("GET", auth.url, redirect=False).headers.get("Location", "")
        code = client.parse_callback(location, expected_state=auth.state)
        print("3. callback received: code=***, state checked")
        manager = TokenManager(client, MemoryStore())
        manager.store_token(client.exchange_code(code, code_verifier=auth.code_verifier))
        print(f"4. code exchanged (PKCE): access_token=***, refresh_token=***, expires at {_when(manager.token())}")
        http = AuthorizedHTTP(manager, base_url=server.base_url)

        def call_api() -> str:
            response = http.get("/api/v2/customers")
            if response.status != 200:
                raise RetentlyOAuthError(f"API call failed with HTTP {response.status}")
            return f"HTTP 200, {len(json.loads(response.data)['data'])} customers"

        print(f"5. API call /api/v2/customers: {call_api()}")
        refreshed = manager.refresh()
        print(f"6. refreshed: new access_token=***, expires at {_when(refreshed)}")
        print(f"7. API call with the new token: {call_api()}")
        server.expire_access_tokens()
        print(f"8. token revoked early; the API call gets 401, refreshes once and retries: {call_api()}")
        print(f"done: {server.counts['authorization_code']} code exchange, {server.counts['refresh_token']} refreshes")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    cls = getattr(models, args.model, None)
    if cls is None or args.model not in models.__all__ or not isinstance(cls, type):
        raise UsageError(f"unknown model {args.model!r}")
    try:
        text = args.file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    try:
        documents.loads(text, cls)
    except DocumentError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{args.file}: {len(exc.problems)} problem(s) for {args.model}", file=sys.stderr)
        return 1
    print(f"{args.file}: valid {args.model}")
    return 0


def _when(token: Token) -> str:
    return token.expires_at.isoformat(timespec="seconds") if token.expires_at else "(no expiry given)"


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "authorize-url": cmd_authorize_url,
    "login": cmd_login,
    "exchange": cmd_exchange,
    "refresh": cmd_refresh,
    "token": cmd_token,
    "demo": cmd_demo,
    "validate": cmd_validate,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (UsageError, ArgumentError) as exc:
        print(f"retently-oauth {args.command}: {exc}", file=sys.stderr)
        return 2
    except RetentlyOAuthError as exc:
        first_line = str(exc).splitlines()[0]
        print(f"retently-oauth {args.command}: {type(exc).__name__}: {first_line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
