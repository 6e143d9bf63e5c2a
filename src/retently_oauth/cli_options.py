"""The command line's grammar: each subcommand with only the options it uses, each option with its help, its
default and its environment variable, and an example per subcommand.

Defaults are not argparse defaults: an option the user left out is None after parsing, then `resolve()` fills it
from its environment variable or its default. So `--help` never shows a value read from the environment (it may be
a secret), and a command can tell an option typed on its command line from one it would have read elsewhere.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import NoReturn

from . import __version__
from .endpoints import RETENTLY
from .store import default_store_path
from .store_url import DEFAULT_KEY

LOGIN_WAIT_SECONDS = 300.0
HTTP_TIMEOUT_SECONDS = 60.0
TIMEOUT_ENV = "RETENTLY_OAUTH_TIMEOUT"
REGISTER_REDIRECT_URI = "http://127.0.0.1:8769/callback"
"""The redirect URI the README suggests registering with Retently for `login`."""

ENV = {
    "client_id": "RETENTLY_CLIENT_ID",
    "client_secret": "RETENTLY_CLIENT_SECRET",
    "redirect_uri": "RETENTLY_REDIRECT_URI",
    "authorize_url": "RETENTLY_AUTHORIZE_URL",
    "token_url": "RETENTLY_TOKEN_URL",
    "store": "RETENTLY_OAUTH_STORE",
    "store_key": "RETENTLY_OAUTH_STORE_KEY",
}


def _defaults() -> dict[str, str]:
    return {
        "authorize_url": RETENTLY.authorize_url,
        "token_url": RETENTLY.token_url,
        "store": str(default_store_path()),
        "store_key": DEFAULT_KEY,
    }


def positive_seconds(text: str) -> float:
    """A positive, finite number of seconds (argparse `type`)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        shown = "".join(ch if ch.isprintable() else "?" for ch in text)[:40]
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {shown!r}")
    return seconds


def port_number(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535 (argparse `type`)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        shown = "".join(ch if ch.isprintable() else "?" for ch in text)[:40]
        raise argparse.ArgumentTypeError(f"must be a port number from 0 (any free one) to 65535, got {shown!r}")
    return port


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line that says where to look, instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        shown = "".join(ch if ch.isprintable() else "?" for ch in message)
        self.exit(2, f"{self.prog}: {shown}; see {self.prog} --help\n")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30, width=100)


def _help(text: str, *, env: str | None = None, default: str | None = None) -> str:
    notes = []
    if env:
        notes.append(f"env {env}")
    if default == "required":
        notes.append("required")
    else:
        notes.append(f"default: {default}" if default is not None else "no default")
    return f"{text} [{'; '.join(notes)}]"


class _Command:
    """One subcommand's parser, with helpers that add an option and its help in one line."""

    def __init__(self, sub: argparse._SubParsersAction[_Parser], name: str, summary: str,
                 description: str, examples: str, *, requests: bool = False) -> None:  # fmt: skip
        """`requests`: the command makes HTTP requests, which -v logs; -v of any other says only how long it took."""
        self.parser = sub.add_parser(
            name,
            help=summary,
            description=textwrap.dedent(description).strip(),
            epilog="example:\n" + textwrap.indent(textwrap.dedent(examples).strip(), "  "),
            formatter_class=_Formatter,
        )
        self.env: dict[str, str] = {}
        self.parser.set_defaults(_env=self.env)
        self.parser.add_argument(
            "-q", "--quiet", action="store_true", help=_help("print only results, warnings and errors", default="off")
        )
        self.parser.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            help=_help(
                "also log each HTTP request: retries, status and timing (secrets masked)"
                if requests
                else "also say how long the command took (it makes no HTTP request)",
                default="off",
            ),
        )

    def option(self, flag: str, text: str, *, env: bool = True, default: str | None = None, **kwargs: object) -> None:
        dest = flag.lstrip("-").replace("-", "_")
        env_name = ENV.get(dest) if env else None
        if env_name:
            self.env[dest] = env_name
        self.parser.add_argument(flag, help=_help(text, env=env_name, default=default), **kwargs)  # type: ignore[arg-type]

    def client(self, *, secret: bool = True, env: bool = True, required: bool = True) -> None:
        need = "required" if required else None
        self.option("--client-id", "your app's client id", env=env, default=need)
        if secret:
            self.option("--client-secret", "your app's client secret (never printed)", env=env, default=need)

    def store(self) -> None:
        self.option(
            "--store",
            "where the credentials are kept: a file path, a postgresql://... or a redis://... URL",
            default=str(default_store_path()),
            metavar="PATH|URL",
        )
        self.option(
            "--store-key",
            "which credentials within a database store (a file holds one set)",
            default=DEFAULT_KEY,
            metavar="NAME",
        )

    def http(self, *flags: str) -> None:
        self.parser.add_argument(
            *flags,
            dest="http_timeout",
            type=positive_seconds,
            metavar="SECONDS",
            help=_help(
                "the most one HTTP request may take, retries included",
                env=TIMEOUT_ENV,
                default=f"{HTTP_TIMEOUT_SECONDS:g}",
            ),
        )
        self.option(
            "--ca-bundle",
            "PEM file of the certificate authorities to trust instead of the system's (SSL_CERT_FILE and "
            "REQUESTS_CA_BUNDLE are honoured too)",
            env=False,
            default="the system's",
            metavar="PATH",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="retently-oauth",
        description="Retently OAuth from the command line: log in through the browser, keep the credentials, print "
        "a valid access token.",
        epilog=textwrap.dedent(
            """\
            first steps:
              retently-oauth serve                 # try it all against a local Retently stand-in
              retently-oauth login --client-id ID --client-secret SECRET --redirect-uri URI
              curl -H "Authorization: Bearer $(retently-oauth token)" https://app.retently.com/api/v2/customers

            Run `retently-oauth COMMAND --help` for a command's options. Exit status: 0 success, 1 an OAuth,
            network or store error (one line on stderr), 2 a usage error, 130 interrupted (Ctrl-C)."""
        ),
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"retently-oauth {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = _Command(
        sub,
        "login",
        "log in through the browser and save the credentials",
        f"""
        Opens Retently's authorization page in your browser, receives the redirect on this machine where
        --redirect-uri points (plain http to 127.0.0.1, localhost or [::1]; register that exact URI with
        Retently, such as {REGISTER_REDIRECT_URI}), exchanges the code (PKCE S256) and saves the credentials.
        For a redirect URI on another host, use authorize-url and exchange instead.
        """,
        f"""
        retently-oauth login --client-id ID --client-secret SECRET --redirect-uri {REGISTER_REDIRECT_URI}
        """,
        requests=True,
    )
    c.client()
    c.option(
        "--redirect-uri",
        "the redirect URI registered with Retently; login listens there",
        default="http://127.0.0.1:<--port>/callback",
        metavar="URI",
    )
    c.option(
        "--port",
        "loopback port to listen on when no --redirect-uri is given (must agree with it otherwise)",
        env=False,
        default="any free port",
        type=port_number,
    )
    c.option("--authorize-url", "the authorization page", default=RETENTLY.authorize_url, metavar="URL")
    c.option("--token-url", "the token endpoint", default=RETENTLY.token_url, metavar="URL")
    c.store()
    c.option("--scope", "scopes to ask for", env=False, default="none (Retently grants its own)")
    c.option(
        "--timeout",
        "the most to wait for the browser's redirect",
        env=False,
        default=f"{LOGIN_WAIT_SECONDS:g}",
        type=positive_seconds,
        metavar="SECONDS",
    )
    c.option("--no-browser", "only print the URL: open it yourself", env=False, default="off", action="store_true")
    c.option(
        "--no-pkce",
        "leave PKCE (S256) out, for a server that refuses it",
        env=False,
        default="off",
        action="store_true",
    )
    c.http("--http-timeout")

    c = _Command(
        sub,
        "token",
        "print a valid access token (refreshing first if due)",
        """
        Prints only the access token on stdout, refreshing first (and saving the new pair) when it expires within a
        minute, or within half its lifetime if that is shorter. Needs nothing but --store. --client-secret,
        --token-url and --redirect-uri given here replace the stored ones: the token is refreshed with them at
        once and they are saved when that works. Two shells running it at once refresh once.
        """,
        """
        curl -H "Authorization: Bearer $(retently-oauth token)" https://app.retently.com/api/v2/customers
        """,
        requests=True,
    )
    _stored_command_options(c)

    c = _Command(
        sub,
        "refresh",
        "refresh the stored credentials now and save them",
        """
        Refreshes now, whatever the expiry says, and saves the new pair. --client-secret, --token-url and
        --redirect-uri given here replace the stored ones and are saved once the refresh worked.
        """,
        """
        retently-oauth refresh --store ~/.config/retently-oauth/credentials.json
        """,
        requests=True,
    )
    _stored_command_options(c)

    c = _Command(
        sub,
        "status",
        "show the stored credentials: client, token URL, expiry (no secrets)",
        """
        Shows which client the store holds credentials for, the token URL, when the access token expires and how
        long is left, whether a refresh token is held, and the store's permissions. Never a secret. Exit status 1
        when the store holds no credentials.
        """,
        """
        retently-oauth status --store ~/.config/retently-oauth/credentials.json
        """,
    )
    c.store()

    c = _Command(
        sub,
        "logout",
        "remove the stored credentials",
        """
        Removes the credentials from the store. Retently offers no token revocation endpoint: the grant stays valid
        at Retently until you revoke the app's access in Retently's settings.
        """,
        """
        retently-oauth logout
        """,
    )
    c.store()

    c = _Command(
        sub,
        "authorize-url",
        "print the authorization URL, then the state (and the PKCE verifier)",
        """
        For a redirect URI that login cannot receive (another host, https): prints the authorization URL on line 1
        and the state on line 2 (with --pkce, the code verifier on line 3). Send the user to the URL; check the
        state of the redirect they come back with, then run exchange with its code. Needs no client secret.
        """,
        """
        retently-oauth authorize-url --client-id ID --redirect-uri https://example.com/callback --pkce
        """,
    )
    c.client(secret=False)
    c.option("--redirect-uri", "the redirect URI registered with Retently", default="required", metavar="URI")
    c.option("--authorize-url", "the authorization page", default=RETENTLY.authorize_url, metavar="URL")
    c.option("--scope", "scopes to ask for", env=False, default="none")
    c.option("--state", "the state to send", env=False, default="a random one")
    c.option("--pkce", "add a PKCE (S256) challenge; prints the verifier third", env=False, default="off",
             action="store_true")  # fmt: skip

    c = _Command(
        sub,
        "exchange",
        "exchange an authorization code and save the credentials",
        """
        Exchanges the code from the redirect (after authorize-url) for tokens and saves them. The redirect URI must
        be the one the authorization URL carried.
        """,
        """
        retently-oauth exchange --code CODE --code-verifier VERIFIER --client-id ID --client-secret SECRET \\
            --redirect-uri https://example.com/callback
        """,
        requests=True,
    )
    c.client()
    c.option("--redirect-uri", "the redirect URI the authorization URL carried", default="required", metavar="URI")
    c.option("--token-url", "the token endpoint", default=RETENTLY.token_url, metavar="URL")
    c.option("--authorize-url", "the authorization page, saved with the credentials", default=RETENTLY.authorize_url,
             metavar="URL")  # fmt: skip
    c.store()
    c.option("--code", "the code from the redirect (never printed)", env=False, default="required", required=True)
    c.option("--code-verifier", "the PKCE verifier authorize-url printed", env=False, default="none")
    c.http("--timeout", "--http-timeout")

    c = _Command(
        sub,
        "serve",
        "run a local Retently stand-in to try the CLI by hand",
        """
        Runs the embedded Retently server on 127.0.0.1 with a consent page (Allow and Deny), prints its client id,
        client secret, redirect URI and the exact login command to run against it, and stops on Ctrl-C or after
        --for seconds. Only for trying things out: its secret is not worth keeping.
        """,
        """
        retently-oauth serve --for 600
        """,
    )
    c.option(
        "--for", "stop after this many seconds", env=False, default="until Ctrl-C", type=positive_seconds,
        metavar="SECONDS", dest="for_seconds",
    )  # fmt: skip

    c = _Command(
        sub,
        "demo",
        "run the whole flow against the embedded local Retently server",
        """
        authorize (PKCE) -> callback -> exchange -> API call -> refresh -> API call -> a revoked token's 401,
        refreshed and retried once; all against the embedded server, secrets masked.
        """,
        """
        retently-oauth demo
        """,
        requests=True,
    )

    c = _Command(
        sub,
        "validate",
        "check a JSON document against a model and list the problems",
        """
        Reads a JSON document (a file, or - for stdin), structures it as the model and prints each problem with its
        JSON path (never the offending value). Exit status 1 when there are problems.
        """,
        """
        echo '{"access_token": "a"}' | retently-oauth validate - --model TokenResponse
        """,
    )
    c.parser.add_argument("file", metavar="FILE", help="the JSON document, or - to read stdin")
    c.option("--model", "a class of retently_oauth.models, such as TokenResponse", env=False, default="required",
             required=True)  # fmt: skip
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """`parser.parse_args`, with unknown options refused in one line naming the command and only the flags (a value
    typed after a misspelt flag may be a secret), and the command's closest option for a misspelt one. A word where
    the command goes is never repeated either (`--client-secret SECRET token` puts the secret there)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = _commands(parser)
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    if word is not None and word not in commands:
        before = [arg.split("=", 1)[0] for arg in argv[: argv.index(word)]]
        command = next((arg for arg in argv if arg in commands), None)
        if before and command is not None:
            given = "".join(ch if ch.isprintable() else "?" for ch in " ".join(before))[:200]
            parser.exit(2, f"{parser.prog}: give {given} after the command ({parser.prog} {command} {given} ...)\n")
        close = difflib.get_close_matches(word, list(commands), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else f"; the commands are: {', '.join(commands)}"
        parser.exit(2, f"{parser.prog}: unknown command{hint}; see {parser.prog} --help\n")
    args, extras = parser.parse_known_args(argv)
    if extras:
        flags = [extra.split("=", 1)[0] for extra in extras if extra.startswith("-")]
        shown = "".join(ch if ch.isprintable() else "?" for ch in " ".join(flags))[:200]
        prog = f"{parser.prog} {args.command}"
        known = commands[args.command]
        if flags and all(flag in known for flag in flags):  # typed before the command, where they mean nothing
            parser.exit(2, f"{parser.prog}: give {shown} after the command ({prog} {shown} ...)\n")
        what = f"this command does not take {shown}" if flags else "unexpected arguments"
        long_options = [flag for flag in known if flag.startswith("--")]
        hints = [c[0] for flag in flags if (c := difflib.get_close_matches(flag, long_options, n=1, cutoff=0.75))]
        hint = f" (did you mean {' or '.join(dict.fromkeys(hints))}?)" if hints else ""
        parser.exit(2, f"{prog}: {what}{hint}; see {prog} --help\n")
    return args


def _commands(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Each subcommand with its option strings."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            subs: dict[str, argparse.ArgumentParser] = action.choices
            return {name: list(sub._option_string_actions) for name, sub in subs.items()}
    return {}


def _stored_command_options(c: _Command) -> None:
    c.store()
    c.option(
        "--client-id",
        "must be the stored client's (a refresh token works only with its own client)",
        env=False,
        default="the stored one",
    )
    c.option("--client-secret", "replaces the stored client secret", env=False, default="the stored one")
    c.option("--token-url", "replaces the stored token endpoint", env=False, default="the stored one", metavar="URL")
    c.option("--redirect-uri", "replaces the stored redirect URI", env=False, default="the stored one", metavar="URI")
    c.http("--timeout", "--http-timeout")


def resolve(args: argparse.Namespace, environ: Callable[[str], str | None] = os.environ.get) -> None:
    """Fills each option the user left out from its environment variable (where it has one), then its default."""
    defaults = _defaults()
    for dest, env_name in getattr(args, "_env", {}).items():
        if getattr(args, dest, None) is None:
            setattr(args, dest, environ(env_name) or None)
    for dest, value in defaults.items():
        if hasattr(args, dest) and getattr(args, dest) is None and dest in getattr(args, "_env", {}):
            setattr(args, dest, value)
    if hasattr(args, "store") and args.store is None:
        args.store = defaults["store"]
    if hasattr(args, "store_key") and args.store_key is None:
        args.store_key = defaults["store_key"]


__all__ = ["ENV", "HTTP_TIMEOUT_SECONDS", "LOGIN_WAIT_SECONDS", "TIMEOUT_ENV", "build_parser", "parse", "resolve"]
