"""Header names and values checked by us before http.client sees them.

http.client refuses a value with a line break by raising `ValueError('Invalid header value b"..."')`: the message
holds the whole value, which for `Authorization` is a credential. These checks raise `ArgumentError` naming the
header and what is wrong, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .exceptions import ArgumentError

_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]")
"""Control characters (CR, LF, NUL...; horizontal tab is allowed) and anything Latin-1 cannot encode."""

_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 9110 `token`."""


def check_header_value(value: object, what: str) -> str:
    """`value` if it is a string a header may carry; else ArgumentError naming `what`, never the value."""
    if not isinstance(value, str):
        raise ArgumentError(f"{what} must be a string, got {type(value).__name__}")
    bad = _BAD_VALUE.search(value)
    if bad is not None:
        char = bad.group()
        kind = (
            "a line break (CR or LF)"
            if char in "\r\n"
            else "a NUL character"
            if char == "\0"
            else "a control character"
            if ord(char) < 0x100
            else "a character outside Latin-1"
        )
        raise ArgumentError(f"{what} contains {kind} at position {bad.start()}: refusing to send it")
    return value


def check_header_name(name: object) -> str:
    """`name` if it is an RFC 9110 token; else ArgumentError (which does not repeat it)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ArgumentError("a header name must be a non-empty token (letters, digits and !#$%&'*+-.^_`|~)")
    return name


def check_headers(headers: Mapping[str, str] | None) -> None:
    """Every name and value of `headers` checked (see `check_header_name` and `check_header_value`)."""
    if headers is None:
        return
    if not isinstance(headers, Mapping):
        raise ArgumentError(f"headers must be a mapping, got {type(headers).__name__}")
    for name, value in headers.items():
        check_header_value(value, f"header {check_header_name(name)!r}")
