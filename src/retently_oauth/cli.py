"""`retently-oauth`: the command line. Exit status 0 on success, 1 on an OAuth, transport or store error (one
line on stderr), 2 on a usage error, 130 when interrupted.

Every line that may hold text from elsewhere (a server, a redirect) goes out with control characters escaped, so
nothing received can move the cursor, retitle the terminal or forge a line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import sys
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs
import urllib3

from . import documents, models
from .endpoints import RETENTLY, Endpoints
from .exceptions import ArgumentError, DocumentError, NoRefreshToken, RetentlyOAuthError
from .flows import OAuthClient
from .manager import TokenManager
from .receiver import ReceiverError, RedirectReceiver
from .store import FileStore, default_store_path
from .tokens import Token
from .transport import Transport, TransportConfig

LEEWAY_SECONDS = 60
LOGIN_WAIT_SECONDS = 300.0
TIMEOUT_ENV = "RETENTLY_OAUTH_TIMEOUT"


class UsageError(Exception):
    """Bad command-line input: exit status 2."""


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _positive_seconds(text: str) -> float:
    """A positive, finite number of seconds (argparse `type`)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {_printable(text)!r}")
    return seconds


def _add_http_options(parser: argparse.ArgumentParser, *flags: str) -> None:
    parser.add_argument(
        *flags,
        dest="http_timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help=f"the most one HTTP request may take, retries included (or {TIMEOUT_ENV}; default 60)",
    )
    parser.add_argument(
        "--ca-bundle",
        type=Path,
        metavar="PATH",
        help="PEM file of the certificate authorities to trust instead of the system's",
    )


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
    p.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=LOGIN_WAIT_SECONDS,
        metavar="SECONDS",
        help=f"the most to wait for the browser's redirect (default {LOGIN_WAIT_SECONDS:g})",
    )
    p.add_argument("--no-pkce", action="store_true", help="leave PKCE (S256) out, for a server that refuses it")
    p.add_argument("--scope")
    _add_http_options(p, "--http-timeout")
    p = sub.add_parser("exchange", parents=[shared], help="exchange a code and save the credentials")
    p.add_argument("--code", required=True)
    p.add_argument("--code-verifier")
    _add_http_options(p, "--timeout", "--http-timeout")
    p = sub.add_parser("refresh", parents=[shared], help="refresh the stored credentials and save them")
    _add_http_options(p, "--timeout", "--http-timeout")
    p = sub.add_parser("token", parents=[shared], help="print a valid access token (refreshing first if due)")
    _add_http_options(p, "--timeout", "--http-timeout")
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


def _transport(args: argparse.Namespace) -> Transport:
    """The transport of the HTTP options: `--timeout`/`--http-timeout` (or the environment) and `--ca-bundle`."""
    total = getattr(args, "http_timeout", None)
    if total is None and hasattr(args, "http_timeout") and _env(TIMEOUT_ENV) is not None:
        try:
            total = _positive_seconds(os.environ[TIMEOUT_ENV])
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"{TIMEOUT_ENV} {exc}") from None
    ca_bundle: Path | None = getattr(args, "ca_bundle", None)
    if ca_bundle is not None and not (ca_bundle.exists() and os.access(ca_bundle, os.R_OK)):
        raise UsageError(f"--ca-bundle {ca_bundle}: no readable CA bundle file or directory there")
    config = TransportConfig(ca_certs=None if ca_bundle is None else str(ca_bundle))
    if total is not None:
        config = attrs.evolve(config, total_timeout=total)
    return Transport(config)


def _client(args: argparse.Namespace, redirect_uri: str | None = None) -> OAuthClient:
    _require(args, "client_id", "client_secret")
    redirect = redirect_uri or args.redirect_uri
    if not redirect:
        raise UsageError("missing --redirect-uri (or RETENTLY_REDIRECT_URI)")
    endpoints = Endpoints(authorize_url=args.authorize_url, token_url=args.token_url)
    return OAuthClient(args.client_id, args.client_secret, redirect, endpoints=endpoints, transport=_transport(args))


def _save(args: argparse.Namespace, client: OAuthClient, token: Token) -> None:
    """Saves under the store's lock, as a running `token` or `refresh` would.

    A grant without a refresh token cannot be stored for refreshing: its access token goes to stdout, for use until
    it expires, and NoRefreshToken says so (exit 1).
    """
    if not token.refreshable:
        print(token.access_token, flush=True)
        raise NoRefreshToken(
            f"the token endpoint granted no refresh token: the access token printed on stdout (valid until "
            f"{_when(token)}) cannot be refreshed, so nothing was saved to {args.store}"
        )
    store = FileStore(args.store)
    TokenManager(client, store).store_token(token)
    _warn_if_exposed(store)


def _manager(args: argparse.Namespace) -> TokenManager:
    """The manager of the stored credentials: `token` and `refresh` need nothing but the store."""
    store = FileStore(args.store)
    if store.load() is None:
        raise UsageError(f"no credentials in {args.store}: run `retently-oauth login` or `exchange` first")
    _warn_if_exposed(store)
    return TokenManager.from_store(store, transport=_transport(args), leeway=LEEWAY_SECONDS)


def _warn_if_exposed(store: FileStore) -> None:
    """One line on stderr when other users can read or replace the store (`FileStore.permission_warning`)."""
    warning = store.permission_warning()
    if warning:
        print(f"retently-oauth: {_printable(warning)}", file=sys.stderr)


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


def cmd_login(args: argparse.Namespace) -> int:
    state = secrets.token_urlsafe(24)
    receiver = RedirectReceiver(state, port=args.port)
    try:
        receiver.start()
    except ReceiverError as exc:
        raise UsageError(str(exc)) from None
    try:  # the receiver stays up until the end, so that a reloaded tab is answered, not reset
        client = _client(args, args.redirect_uri or receiver.redirect_uri)
        auth = client.authorize_url(state=state, scope=args.scope, pkce=not args.no_pkce)
        print(
            f"Listening on {receiver.redirect_uri} for up to {args.timeout:g} s (Ctrl-C to cancel)",
            file=sys.stderr,
        )
        print("Open this URL to log in:", file=sys.stderr, flush=True)
        print(auth.url, flush=True)
        if not args.no_browser:
            webbrowser.open(auth.url)
        code = client.parse_callback(receiver.wait(args.timeout), expected_state=state)
        token = client.exchange_code(code, code_verifier=auth.code_verifier)
        _save(args, client, token)
    finally:
        receiver.stop()
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


def _printable(text: str) -> str:
    """`text` with every character that is not printable (ESC, CR, BEL, bidi overrides...) escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _first_line(exc: BaseException) -> str:
    """The first line of an error's message, printable."""
    return _printable(str(exc).split("\n", 1)[0])


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
        print(f"retently-oauth {args.command}: {_first_line(exc)}", file=sys.stderr)
        return 2
    except RetentlyOAuthError as exc:
        print(f"retently-oauth {args.command}: {type(exc).__name__}: {_first_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
