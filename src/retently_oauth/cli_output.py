"""What the command line says: progress on stderr (`--quiet`, `--verbose`), errors as one line in plain words.

Everything printed goes through `Console.clean`: secrets the command holds are masked (in any encoding the
redactor knows) and control characters are escaped, so text from a server or a redirect can neither leak a secret
nor move the cursor, retitle the terminal or forge a line.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator

from .exceptions import (
    ArgumentError,
    AuthorizationDenied,
    CallbackError,
    DocumentError,
    InvalidClient,
    InvalidGrant,
    NoRefreshToken,
    OAuthError,
    ReauthorizationRequired,
    ResponseFormatError,
    RetentlyOAuthError,
    StateMismatch,
    StoreError,
    TransportError,
)
from .receiver import ReceiverError, RedirectTimeout
from .redaction import Redactor
from .store_url import MissingExtra

SLOW_AFTER = 3.0
"""Seconds of waiting after which a command says on stderr what it is waiting for."""

FLAGS = {
    "client_id": "--client-id",
    "client_secret": "--client-secret",
    "redirect_uri": "--redirect-uri",
    "authorize_url": "--authorize-url",
    "token_url": "--token-url",
    "code_verifier": "--code-verifier",
    "scope": "--scope",
    "state": "--state",
    "code": "--code",
}
"""Library argument names -> the flags a user typed, for messages in the user's terms."""


class UsageError(Exception):
    """Bad command-line input: exit status 2."""


class UnusableStored(StoreError):
    """Stored credentials hold a value this version refuses (saved by an older one): exit status 1, with the fix in
    the message (no "check --store and its permissions": the store itself is fine)."""


def printable(text: str) -> str:
    """`text` with every character that is not printable (ESC, CR, BEL, bidi overrides...) escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class Console:
    """Where a command's messages go: stderr, masked and escaped; `quiet` keeps only errors and warnings,
    `verbose` adds the HTTP log (retries, status, timing)."""

    def __init__(self, *, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self._secrets: list[str] = []
        self._redact = Redactor([])
        self._lock = threading.Lock()

    def add_secrets(self, *values: str | None) -> None:
        """Values never to print from now on (masked as ***)."""
        with self._lock:
            self._secrets.extend(v for v in values if v)
            self._redact = Redactor(self._secrets)

    def clean(self, text: str) -> str:
        return printable(self._redact(text))

    def say(self, text: str) -> None:
        """Progress for the user: not with --quiet."""
        if not self.quiet:
            self.error(text)

    def detail(self, text: str) -> None:
        """Only with --verbose."""
        if self.verbose:
            self.error(text)

    def error(self, text: str) -> None:
        """Always: warnings and errors."""
        with self._lock:
            print(self.clean(text), file=sys.stderr, flush=True)  # noqa: T201 - the CLI's stderr

    @contextlib.contextmanager
    def logging(self) -> Iterator[None]:
        """Routes the library's log records here for the command's run: retry waits by default, everything with
        --verbose, nothing but warnings with --quiet."""
        logger = logging.getLogger("retently_oauth")
        handler = _ConsoleHandler(self)
        saved = logger.level, logger.propagate
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(saved[0])
            logger.propagate = saved[1]

    @contextlib.contextmanager
    def waiting(self, what: str, limit: float) -> Iterator[None]:
        """Says once on stderr what the command waits for, should the wait last longer than SLOW_AFTER seconds
        (and have a good while to go: a bound of a few seconds is not announced)."""
        if self.quiet or limit <= 2 * SLOW_AFTER:
            yield
            return
        timer = threading.Timer(
            SLOW_AFTER,
            self.say,
            args=(f"retently-oauth: still waiting for {what} (at most {limit:g} s in all; Ctrl-C to cancel)",),
        )
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()


class _ConsoleHandler(logging.Handler):
    def __init__(self, console: Console) -> None:
        super().__init__(logging.DEBUG)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record must not end the command
            return
        console = self.console
        waiting = "retrying in" in text and not console.quiet
        if record.levelno >= logging.WARNING or console.verbose or waiting:
            console.error(f"retently-oauth: {text}")


def in_user_terms(text: str) -> str:
    """A library message naming an argument (`authorize_url must ...`) as the flag the user typed."""
    first, sep, rest = text.partition(" ")
    return FLAGS[first] + sep + rest if first in FLAGS else text


def describe(exc: BaseException) -> str:
    """One line in plain words for an error: what went wrong, then what to do next. No class names."""
    text = str(exc).split("\n", 1)[0]
    if isinstance(exc, (UsageError, ArgumentError)):
        return in_user_terms(text)
    if isinstance(exc, RedirectTimeout):
        return f"{text}; nothing was saved: run login again and open the URL it prints (or give a longer --timeout)"
    if isinstance(exc, ReceiverError):
        return f"{text}: choose another redirect URI (port), or stop the program listening there"
    if isinstance(exc, AuthorizationDenied):
        return f"{text}; nothing was saved. Run login again to retry"
    if isinstance(exc, StateMismatch):
        return f"{text}; nothing was saved. Run login again"
    if isinstance(exc, CallbackError):
        return f"the login redirect could not be used: {text}; run login again"
    if isinstance(exc, InvalidClient):
        return f"the token endpoint refused the client credentials ({text}): check --client-id and --client-secret"
    if isinstance(exc, InvalidGrant):
        return (
            f"the token endpoint refused the grant ({text}): the code or refresh token is spent or revoked;"
            " run `retently-oauth login` again"
        )
    if isinstance(exc, ReauthorizationRequired):
        return f"{text}: run `retently-oauth login`"
    if isinstance(exc, OAuthError):
        return f"the token endpoint answered with an error: {text}"
    if isinstance(exc, ResponseFormatError):
        return f"{text}; check --token-url"
    if isinstance(exc, TransportError):
        return f"no answer from the server: {text}; check the network, a proxy, --token-url or --timeout"
    if isinstance(exc, (MissingExtra, UnusableStored)):  # nothing wrong with the store itself: the text says what to do
        return text
    if isinstance(exc, StoreError):
        return f"{text}; check --store and its permissions"
    if isinstance(exc, (NoRefreshToken, DocumentError, RetentlyOAuthError)):
        return text
    return text


__all__ = ["Console", "UnusableStored", "UsageError", "describe", "in_user_terms", "printable"]
