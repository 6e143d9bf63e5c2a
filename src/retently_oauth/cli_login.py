"""`retently-oauth login` (the browser loop: listen where the redirect URI points, wait, exchange, save, show the
outcome in the browser) and `retently-oauth serve` (the embedded server, for trying `login` by hand)."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shlex
import socket
import tempfile
import threading
import webbrowser
from collections.abc import Callable
from urllib.parse import urlsplit

import attrs

from .cli_options import LOGIN_WAIT_SECONDS
from .cli_output import Console, UsageError
from .endpoints import check_redirect_uri, check_url
from .exceptions import AuthorizationDenied, CallbackError, RetentlyOAuthError
from .flows import OAuthClient
from .receiver import ReceiverError, RedirectReceiver
from .tokens import Token

LOOPBACK = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "::1"}
"""Redirect URI hosts login can receive on -> the address it listens on."""
DEFAULT_PATH = "/callback"
OTHER_HOST = (
    "login receives the redirect on this machine only (http://127.0.0.1:PORT/PATH, localhost or [::1]); for this"
    " redirect URI use `retently-oauth authorize-url`, then `retently-oauth exchange --code CODE` with the code of"
    " the redirect"
)


@attrs.frozen
class ListenAt:
    """Where login listens: the address to bind, the port (0: any free one), the path, and the redirect URI to
    send exactly as the user gave it (None: the receiver's own, once it listens)."""

    host: str
    port: int
    path: str
    redirect_uri: str | None


def listen_at(redirect_uri: str | None, port: int | None) -> ListenAt:
    """Where `login` must listen so that the redirect to `redirect_uri` reaches it; UsageError when it cannot."""
    if redirect_uri is None:
        return ListenAt("127.0.0.1", port or 0, DEFAULT_PATH, None)
    flag = "--redirect-uri (or RETENTLY_REDIRECT_URI)"
    check_redirect_uri(redirect_uri, flag)  # what authorize-url and exchange say too: not a URL, a fragment
    try:
        parts = urlsplit(redirect_uri)
        uri_port = parts.port
        host = parts.hostname
    except ValueError:
        raise UsageError(f"{flag} is not a valid URL (bad host or port)") from None
    if parts.scheme.lower() != "http" or host not in LOOPBACK:
        raise UsageError(f"{flag} points to another host or uses https: {OTHER_HOST}")
    check_url(redirect_uri, "--redirect-uri")
    if parts.query or parts.fragment or redirect_uri.endswith(("?", "#")):
        raise UsageError(f"{flag} for login must have no query or fragment: {OTHER_HOST}")
    where = 80 if uri_port is None else uri_port
    if port is not None and port != where:
        raise UsageError(
            f"--port {port} disagrees with {flag}, which points to port {where}: leave --port out (login listens"
            " where the redirect URI points, which must be the one registered with Retently)"
        )
    return ListenAt(LOOPBACK[host], where, parts.path or "/", redirect_uri)


def run_login(
    args: argparse.Namespace,
    console: Console,
    client_for: Callable[[str], OAuthClient],
    save: Callable[[OAuthClient, Token], str],
) -> int:
    """The browser loop. `client_for(redirect_uri)` builds the client, `save(client, token)` saves and says where."""
    target = listen_at(args.redirect_uri, args.port)
    wait = args.timeout or LOGIN_WAIT_SECONDS
    client = client_for(target.redirect_uri or "http://127.0.0.1/")  # checks the options before listening
    state = secrets.token_urlsafe(24)
    console.add_secrets(state)
    receiver = RedirectReceiver(
        state,
        host=target.host,
        port=target.port,
        path=target.path,
        outcome_timeout=client.transport.config.total_timeout + 60,
    )
    try:
        receiver.start()
    except ReceiverError as exc:
        raise UsageError(
            f"{exc}; login must listen where the redirect URI points: stop the program using that port, or register"
            " and give another redirect URI"
        ) from None
    try:  # the receiver stays up until the end, so that a reloaded tab is answered, not reset
        redirect = target.redirect_uri or receiver.redirect_uri
        client = client_for(redirect)
        auth = client.authorize_url(state=state, scope=args.scope, pkce=not args.no_pkce)
        console.add_secrets(auth.code_verifier)
        console.say(f"Listening on {redirect} for up to {wait:g} s (Ctrl-C to cancel)")
        console.say("Open this URL to log in:")
        print(auth.url, flush=True)  # noqa: T201 - the URL is the command's output
        if not args.no_browser:
            console.say(_open_browser(auth.url))
        callback = receiver.wait(wait)
        try:
            code = client.parse_callback(callback, expected_state=state)
        except AuthorizationDenied:
            receiver.report("denied")
            raise
        except CallbackError:
            receiver.report("failed")
            raise
        console.add_secrets(code)
        console.detail("redirect received; exchanging the code")
        try:
            limit = client.transport.config.total_timeout
            with console.waiting(f"the token endpoint ({client.endpoints.token_url})", limit):
                token = client.exchange_code(code, code_verifier=auth.code_verifier)
            console.add_secrets(token.access_token, token.refresh_token)
            where = save(client, token)
        except RetentlyOAuthError:
            receiver.report("failed")
            raise
        receiver.report("success")
    finally:
        receiver.stop()
    console.say(f"logged in; saved credentials to {where}")
    return 0


def _open_browser(url: str) -> str:
    """Asks the system to open `url` in a browser; one line saying what came of it. Neither the URL nor an error
    is repeated: the URL carries the state, a secret, and an error may quote it."""
    try:
        opened = webbrowser.open(url)
    except Exception:  # webbrowser.Error, OSError from a broken BROWSER setting, ...: as if there were none
        opened = False
    if opened:
        return "opened it in your browser"
    return (
        "no browser could be opened here (no display, or none installed): open the URL above by hand"
        " (pass --no-browser to skip trying)"
    )


def free_port() -> int:
    """A port free on 127.0.0.1 now (for the redirect URI `serve` suggests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_serve(args: argparse.Namespace, console: Console) -> int:
    """The embedded server with its consent page, until Ctrl-C or `--for` seconds."""
    from .testing import RetentlyServer

    redirect = f"http://127.0.0.1:{free_port()}/callback"
    store = os.path.join(tempfile.gettempdir(), f"retently-oauth-serve-{os.getuid()}", "credentials.json")
    with RetentlyServer(consent="page", client_secret=secrets.token_urlsafe(18), redirect_uri=redirect) as server:
        command = [
            "retently-oauth",
            "login",
            "--client-id",
            server.client_id,
            f"--client-secret={server.client_secret}",  # one token: a secret may start with "-"
            "--redirect-uri",
            redirect,
            "--authorize-url",
            server.endpoints.authorize_url,
            "--token-url",
            server.endpoints.token_url,
            "--store",
            store,
        ]
        lines = [
            f"embedded Retently server at {server.base_url} (a local stand-in: its consent page has Allow and Deny)",
            f"client id:      {server.client_id}",
            f"client secret:  {server.client_secret}",
            f"redirect URI:   {redirect}",
            f"authorize URL:  {server.endpoints.authorize_url}",
            f"token URL:      {server.endpoints.token_url}",
            f"API:            {server.api_url}",
            "",
            "In another terminal, log in against it:",
            "  " + shlex.join(command),
            "then:",
            "  " + shlex.join(["retently-oauth", "status", "--store", store]),
            "  " + shlex.join(["retently-oauth", "token", "--store", store]),
            "",
            f"Stopping after {args.for_seconds:g} s (or on Ctrl-C)." if args.for_seconds else "Press Ctrl-C to stop.",
        ]
        print("\n".join(lines), flush=True)  # noqa: T201 - what to run is the command's output
        stop = threading.Event()
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how serve is meant to stop
            stop.wait(args.for_seconds)  # None: until Ctrl-C
    console.say("stopped the embedded server")
    return 0


__all__ = ["ListenAt", "free_port", "listen_at", "run_login", "run_serve"]
