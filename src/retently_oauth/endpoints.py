"""Where a provider's authorize and token endpoints are: a small immutable value, checked once."""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

import attrs
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from .exceptions import ArgumentError
from .models import PropertyConnectionAuth, StoredCredentials

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_UNSAFE = re.compile(r"[^\x21-\x7e]|\\")
"""Anything but printable ASCII, and the backslash: parsers disagree on where such URLs go."""


def check_url(url: str, what: str) -> str:
    """`url` if it is absolute https, or http to a loopback host; else ArgumentError naming `what`.

    The URL is read by urllib3's own parser (the one that sends the request), and refused outright if it holds a
    backslash, whitespace, a control or non-ASCII character (use percent-encoding and punycode), or userinfo
    (`user:password@`). Messages never repeat the URL: it may carry credentials.
    """
    if not isinstance(url, str):
        raise ArgumentError(f"{what} must be a string, got {type(url).__name__}")
    bad = _UNSAFE.search(url)
    if bad is not None:
        kind = "a backslash" if bad.group() == "\\" else "whitespace, a control or a non-ASCII character"
        raise ArgumentError(f"{what} contains {kind} (at position {bad.start()}): refusing it")
    try:
        parts = parse_url(url)
    except (LocationParseError, ValueError):
        raise ArgumentError(f"{what} is not a valid URL (bad host or port)") from None
    if parts.auth is not None or "@" in (parts.netloc or ""):
        raise ArgumentError(f"{what} must not carry userinfo (user:password@host)")
    host = parts.host
    if not host or not parts.scheme:
        raise ArgumentError(f"{what} must be an absolute URL with a host")
    if parts.port == 0:
        raise ArgumentError(f"{what} has port 0")
    try:
        other = urlsplit(url).hostname
    except ValueError:
        other = None
    bare = host[1:-1] if host.startswith("[") else host
    if other != bare.lower():  # urllib.parse and urllib3 must agree on where this goes
        raise ArgumentError(f"{what} is ambiguous: URL parsers disagree on its host")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and bare in LOOPBACK_HOSTS:
        return url
    raise ArgumentError(f"{what} must use https:// (plain http only to 127.0.0.1, localhost or [::1])")


def check_redirect_uri(uri: str, what: str) -> str:
    """`uri` if it can be a redirect URI: absolute (a scheme; a native app's own scheme is fine) and without a
    fragment (RFC 6749 3.1.2); else ArgumentError naming `what`. The one check of every place taking one (the
    Python API and the command line). Messages never repeat the URI."""
    if not isinstance(uri, str):
        raise ArgumentError(f"{what} must be a string, got {type(uri).__name__}")
    try:
        absolute = bool(urlsplit(uri).scheme)
    except ValueError:
        absolute = False
    if not absolute:
        raise ArgumentError(f"{what} must be an absolute URL")
    if "#" in uri:
        raise ArgumentError(f"{what} must not have a fragment (#...): RFC 6749 3.1.2 forbids one in a redirect URI")
    return uri


@functools.lru_cache(maxsize=256)
def checked_url(url: str) -> str:
    """`check_url` for a request URL, remembered: a client sends to the same few URLs over and over."""
    return check_url(url, "URL")


@attrs.frozen
class Endpoints:
    """A provider's authorization and token endpoint URLs."""

    authorize_url: str = attrs.field(validator=lambda _, a, v: check_url(v, a.name))
    token_url: str = attrs.field(validator=lambda _, a, v: check_url(v, a.name))

    @classmethod
    def from_connection(cls, auth: PropertyConnectionAuth) -> Endpoints:
        """The endpoints a unified.to-style connection document names."""
        if not auth.authorize_url or not auth.token_url:
            raise ArgumentError("the connection document lacks authorize_url or token_url")
        return cls(authorize_url=auth.authorize_url, token_url=auth.token_url)

    @classmethod
    def from_stored(cls, stored: StoredCredentials) -> Endpoints:
        """The endpoints a credentials store recorded (the authorize URL defaults to Retently's)."""
        return cls(authorize_url=stored.authorize_url or RETENTLY.authorize_url, token_url=stored.token_url)


RETENTLY = Endpoints(
    authorize_url="https://app.retently.com/api/oauth/authorize",
    token_url="https://app.retently.com/api/oauth/token",
)
HUBSPOT = Endpoints(
    authorize_url="https://app.hubspot.com/oauth/authorize",
    token_url="https://api.hubapi.com/oauth/v1/token",
)
