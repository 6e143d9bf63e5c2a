"""`retently-oauth`: the command line. Exit status 0 on success, 1 on an OAuth, transport or store error (one
line on stderr, in plain words, saying what to do next), 2 on a usage error, 130 when interrupted (Ctrl-C).

Each subcommand takes only the options it uses (`cli_options`); an option given on the command line is never
ignored: it is used, and saved where the command saves, or refused with a message. Every line that may hold text
from elsewhere (a server, a redirect) goes out masked and with control characters escaped (`cli_output`).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, cast

import attrs
import urllib3

from . import documents, models
from .cli_login import run_login, run_serve
from .cli_options import HTTP_TIMEOUT_SECONDS, TIMEOUT_ENV, build_parser, parse, positive_seconds, resolve
from .cli_output import Console, UnusableStored, UsageError, describe, printable
from .endpoints import RETENTLY, Endpoints, check_redirect_uri, check_url
from .exceptions import ArgumentError, DocumentError, NoRefreshToken, RetentlyOAuthError, StoreError
from .flows import OAuthClient
from .manager import TokenManager
from .store import CredentialStore, FileStore
from .store_url import DEFAULT_KEY, open_store, redact_location
from .tokens import Token, utcnow
from .transport import Transport, TransportConfig

LEEWAY_SECONDS = 60
UNUSED_SECRET = "not-used-to-build-an-authorization-url"
"""`authorize-url` needs no client secret: the URL never carries one. The client object wants a value."""
NO_REVOCATION = (
    "Retently offers no token revocation endpoint: the grant stays valid at Retently until you revoke the app's"
    " access in Retently's settings."
)


# building blocks ------------------------------------------------------------------------------------------------


def _require(args: argparse.Namespace, *names: str) -> None:
    missing = [n for n in names if not getattr(args, n, None)]
    if missing:
        flags = ", ".join("--" + n.replace("_", "-") for n in missing)
        raise UsageError(f"missing {flags} (or the matching RETENTLY_* environment variable); see --help")


def _url(value: str, flag: str) -> str:
    return check_url(value, flag)


def _transport(args: argparse.Namespace) -> Transport:
    """The transport of the HTTP options: `--timeout`/`--http-timeout` (or the environment) and `--ca-bundle`."""
    total = getattr(args, "http_timeout", None)
    if total is None and os.environ.get(TIMEOUT_ENV):
        try:
            total = positive_seconds(os.environ[TIMEOUT_ENV])
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"{TIMEOUT_ENV} {exc}") from None
    ca_bundle = getattr(args, "ca_bundle", None)
    if ca_bundle is not None and not (Path(ca_bundle).exists() and os.access(ca_bundle, os.R_OK)):
        raise UsageError(f"--ca-bundle {ca_bundle}: no readable CA bundle file or directory there")
    config = TransportConfig(ca_certs=None if ca_bundle is None else str(ca_bundle))
    config = attrs.evolve(config, total_timeout=total if total is not None else HTTP_TIMEOUT_SECONDS)
    return Transport(config)


def _store(args: argparse.Namespace) -> tuple[CredentialStore, str]:
    """The store of `--store`/`--store-key` and how to name it in messages (no password).

    A file path starting with `~` means the home directory, wherever it came from: RETENTLY_OAUTH_STORE in an env
    file, a systemd unit or a CI variable reaches us unexpanded (no shell in between)."""
    if isinstance(args.store, str) and not args.store.strip():
        raise UsageError(
            "--store is empty: give a file path, a postgresql://... or a redis://... URL, or leave --store out"
            " for the default file (see --help)"
        )
    if args.store_key == "":
        raise UsageError(
            f"--store-key is empty: give the name of the credentials within a database store, or leave --store-key"
            f" out for the default ({DEFAULT_KEY})"
        )
    if isinstance(args.store, str) and args.store.startswith("~"):
        expanded = os.path.expanduser(args.store)
        if expanded.startswith("~"):
            raise UsageError(f"--store {args.store}: no home directory for that ~; give the full path")
        args.store = expanded
    where = redact_location(args.store)
    if args.store_key != "default":
        where += f" (key {args.store_key})"
    try:
        store = open_store(args.store, key=args.store_key)
    except ArgumentError as exc:
        raise UsageError(f"--store {redact_location(args.store)}: {exc}") from None
    return store, where


def _warn_if_exposed(store: CredentialStore, console: Console) -> None:
    """One line on stderr when other users can read or replace a store file (`FileStore.permission_warning`)."""
    if isinstance(store, FileStore):
        warning = store.permission_warning()
        if warning:
            console.error(f"retently-oauth: {warning}")


def _save(args: argparse.Namespace, console: Console, client: OAuthClient, token: Token) -> str:
    """Saves under the store's lock, as a running `token` or `refresh` would; returns where.

    A grant without a refresh token cannot be stored for refreshing: its access token goes to stdout, for use until
    it expires, and NoRefreshToken says so (exit 1).
    """
    store, where = _store(args)
    if not token.refreshable:
        print(token.access_token, flush=True)
        raise NoRefreshToken(
            f"the token endpoint granted no refresh token: the access token printed on stdout (valid until "
            f"{_when(token)}) cannot be refreshed, so nothing was saved to {where}"
        )
    TokenManager(client, store).store_token(token)
    _warn_if_exposed(store, console)
    return where


def _when(token: Token) -> str:
    return token.expires_at.isoformat(timespec="seconds") if token.expires_at else "(no expiry given)"


def _duration(seconds: float) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours or days:
        parts.append(f"{hours} h")
    parts.append(f"{minutes} min" if minutes or hours or days else f"{secs} s")
    return " ".join(parts)


# commands -------------------------------------------------------------------------------------------------------


def cmd_authorize_url(args: argparse.Namespace, console: Console) -> int:
    _require(args, "client_id", "redirect_uri")
    endpoints = Endpoints(authorize_url=_url(args.authorize_url, "--authorize-url"), token_url=RETENTLY.token_url)
    client = OAuthClient(args.client_id, UNUSED_SECRET, args.redirect_uri, endpoints=endpoints)
    auth = client.authorize_url(state=args.state, scope=args.scope, pkce=args.pkce)
    print(auth.url)
    print(auth.state)
    if auth.code_verifier:
        print(auth.code_verifier)
    return 0


def _code_client(args: argparse.Namespace, console: Console) -> Callable[[str], OAuthClient]:
    """For `login` and `exchange`: the client of the options, for a redirect URI."""
    _require(args, "client_id", "client_secret")
    console.add_secrets(args.client_secret)
    endpoints = Endpoints(
        authorize_url=_url(getattr(args, "authorize_url", None) or RETENTLY.authorize_url, "--authorize-url"),
        token_url=_url(args.token_url, "--token-url"),
    )
    transport = _transport(args)
    _store(args)  # a store that cannot work is an error before anything is sent

    def client_for(redirect_uri: str) -> OAuthClient:
        return OAuthClient(args.client_id, args.client_secret, redirect_uri, endpoints=endpoints, transport=transport)

    return client_for


def cmd_login(args: argparse.Namespace, console: Console) -> int:
    client_for = _code_client(args, console)
    return run_login(args, console, client_for, lambda client, token: _save(args, console, client, token))


def cmd_exchange(args: argparse.Namespace, console: Console) -> int:
    _require(args, "redirect_uri")
    client = _code_client(args, console)(args.redirect_uri)
    console.add_secrets(args.code, args.code_verifier)
    with console.waiting(f"the token endpoint ({client.endpoints.token_url})", client.transport.config.total_timeout):
        token = client.exchange_code(args.code, code_verifier=args.code_verifier)
    console.add_secrets(token.access_token, token.refresh_token)
    where = _save(args, console, client, token)
    print(f"saved credentials to {where}")
    return 0


def _stored_manager(args: argparse.Namespace, console: Console) -> tuple[TokenManager, list[str]]:
    """The manager of the stored credentials, with the options given on the command line in place of the stored
    values; and the flags that changed a stored value (saved with the next refresh)."""
    store, where = _store(args)
    console.add_secrets(args.client_secret)
    stored = store.load()
    if stored is None:
        raise UsageError(f"no credentials in {where}: run `retently-oauth login` (or `exchange`) first")
    console.add_secrets(stored.client_secret, stored.access_token, stored.refresh_token)
    _warn_if_exposed(store, console)
    if args.client_id is not None and args.client_id != stored.client_id:
        raise UsageError(
            f"--client-id is not the client whose credentials {where} holds ({stored.client_id}): a refresh token"
            " works only with its own client; run `retently-oauth login` for another client, with another --store"
        )
    token_url = _url(args.token_url, "--token-url") if args.token_url is not None else stored.token_url
    redirect_uri = args.redirect_uri if args.redirect_uri is not None else stored.redirect_uri
    secret = args.client_secret if args.client_secret is not None else stored.client_secret
    changed = [
        flag
        for flag, given, old in (
            ("--client-secret", args.client_secret, stored.client_secret),
            ("--token-url", args.token_url, stored.token_url),
            ("--redirect-uri", args.redirect_uri, stored.redirect_uri),
        )
        if given is not None and given != old
    ]
    # values saved by an older version that let them through: the user never typed them, so name the store
    if args.token_url is None:
        _check_stored(check_url, stored.token_url, f"the token URL stored in {where}", "--token-url")
    if args.redirect_uri is None and stored.redirect_uri is not None:
        _check_stored(check_redirect_uri, stored.redirect_uri, f"the redirect URI stored in {where}", "--redirect-uri")
    if stored.authorize_url is not None:
        _check_stored(check_url, stored.authorize_url, f"the authorization URL stored in {where}", None)
    endpoints = Endpoints(authorize_url=stored.authorize_url or RETENTLY.authorize_url, token_url=token_url)
    client = OAuthClient(stored.client_id, secret, redirect_uri, endpoints=endpoints, transport=_transport(args))
    return TokenManager(client, store, leeway=LEEWAY_SECONDS), changed


def _check_stored(check: Callable[[str, str], str], value: str, what: str, flag: str | None) -> None:
    """UnusableStored (exit 1) naming `what` and the fix when a stored value fails `check`."""
    try:
        check(value, what)
    except ArgumentError as exc:
        fix = f"pass {flag} with the right one (saved once the refresh works), or " if flag else ""
        raise UnusableStored(f"{exc}; {fix}run `retently-oauth login` again") from None


def _waiting_for_refresh(manager: TokenManager) -> str:
    return f"the token endpoint ({manager.client.endpoints.token_url}) or another process refreshing these credentials"


def cmd_refresh(args: argparse.Namespace, console: Console) -> int:
    manager, changed = _stored_manager(args, console)
    with console.waiting(_waiting_for_refresh(manager), manager.client.transport.config.total_timeout):
        token = manager.refresh()
    saved = f"; saved the new {', '.join(changed)}" if changed else ""
    print(f"refreshed; access token valid until {_when(token)}{saved}")
    return 0


def cmd_token(args: argparse.Namespace, console: Console) -> int:
    manager, changed = _stored_manager(args, console)
    with console.waiting(_waiting_for_refresh(manager), manager.client.transport.config.total_timeout):
        if changed:  # check the new values now: they are saved only with a refresh that worked
            console.say(f"refreshing with the {', '.join(changed)} given; saved once the refresh works")
            access_token = manager.refresh().access_token
        else:
            access_token = manager.access_token()
    print(access_token, flush=True)
    return 0


def cmd_status(args: argparse.Namespace, console: Console) -> int:
    store, where = _store(args)
    stored = store.load()
    lines = [f"store:          {where}{_store_kind(store)}"]
    if stored is None:
        print("\n".join([*lines, "credentials:    none (run `retently-oauth login`)"]))
        _warn_if_exposed(store, console)
        return 1
    console.add_secrets(stored.client_secret, stored.access_token, stored.refresh_token)
    now = utcnow()
    left = (stored.expires_at - now).total_seconds()
    if left > 0:
        expiry = f"{stored.expires_at.isoformat(timespec='seconds')} ({_duration(left)} left)"
    else:
        expiry = f"{stored.expires_at.isoformat(timespec='seconds')} (expired {_duration(left)} ago; `token` refreshes)"
    lines += [
        f"client id:      {stored.client_id}",
        f"token URL:      {stored.token_url}",
        f"redirect URI:   {stored.redirect_uri or '(none stored)'}",
        f"access token:   expires {expiry}",
        f"refresh token:  {'held' if stored.refresh_token else 'none'}",
    ]
    if stored.issued_at is not None:
        lines.append(f"issued:         {stored.issued_at.isoformat(timespec='seconds')}")
    print("\n".join(console.clean(line) for line in lines))
    _warn_if_exposed(store, console)
    return 0


def _store_kind(store: CredentialStore) -> str:
    if isinstance(store, FileStore):
        try:
            mode = stat.S_IMODE(os.stat(store.path).st_mode)
        except OSError:
            return " (file, not created yet)"
        private = "only you can read it" if not mode & 0o077 else "OTHER USERS CAN ACCESS IT"
        return f" (file, mode {mode:04o}: {private})"
    return f" ({type(store).__name__})"


class _RemovableStore(CredentialStore, Protocol):
    """Every store `open_store` gives (file, memory, PostgreSQL, Redis) also has `delete()`."""

    def delete(self) -> bool: ...


def cmd_logout(args: argparse.Namespace, console: Console) -> int:
    """Removes whatever the store holds under its lock, credentials it cannot read included: corrupt credentials
    are no reason to keep them (nor to make the user delete a file by hand)."""
    store, where = _store(args)
    with store.locked():
        try:
            store.load()
            unreadable = None
        except StoreError as exc:
            unreadable = str(exc)
        removed = cast(_RemovableStore, store).delete()
    if not removed:
        print(f"no credentials in {where}: nothing to remove")
    elif unreadable is not None:
        print(console.clean(f"removed the unreadable credentials from {where} ({unreadable}). {NO_REVOCATION}"))
    else:
        print(f"removed the credentials from {where}. {NO_REVOCATION}")
    return 0


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    return run_serve(args, console)


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    from .authorized import AuthorizedHTTP
    from .store import MemoryStore
    from .testing import RetentlyServer

    with RetentlyServer() as server:
        client = OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)
        console.add_secrets(server.client_secret)
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


def _model_names() -> list[str]:
    return sorted(n for n in models.__all__ if attrs.has(getattr(models, n, None)))  # type: ignore[arg-type]


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    cls = getattr(models, args.model, None) if args.model in models.__all__ else None
    if not (isinstance(cls, type) and attrs.has(cls)):
        raise UsageError(f"unknown model {printable(args.model)!r}; valid names: {', '.join(_model_names())}")
    name = "stdin" if args.file == "-" else args.file
    try:
        text = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None
    try:
        documents.loads(text, cls)
    except DocumentError as exc:
        for problem in exc.problems:
            print(printable(str(problem)))
        console.error(f"{name}: {len(exc.problems)} problem(s) for {args.model}")
        return 1
    print(f"{name}: valid {args.model}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    "authorize-url": cmd_authorize_url,
    "login": cmd_login,
    "exchange": cmd_exchange,
    "refresh": cmd_refresh,
    "token": cmd_token,
    "status": cmd_status,
    "logout": cmd_logout,
    "serve": cmd_serve,
    "demo": cmd_demo,
    "validate": cmd_validate,
}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse(build_parser(), argv)
        resolve(args)
    except KeyboardInterrupt:
        print("retently-oauth: interrupted", file=sys.stderr)
        return 130
    console = Console(quiet=args.quiet, verbose=args.verbose)
    started = time.perf_counter()
    try:
        with console.logging():
            status = COMMANDS[args.command](args, console)
        console.detail(f"retently-oauth {args.command}: done in {time.perf_counter() - started:.2f} s")
        return status
    except (UsageError, ArgumentError) as exc:
        console.error(f"retently-oauth {args.command}: {describe(exc)}")
        return 2
    except RetentlyOAuthError as exc:
        console.error(f"retently-oauth {args.command}: {describe(exc)}")
        return 1
    except KeyboardInterrupt:
        console.error(f"retently-oauth {args.command}: interrupted (Ctrl-C)")
        return 130
