"""The `Authorization` header as the httpx and requests adapters take it from an authorizer.

The rule is `AuthorizedHTTP`'s: add the authorizer's header; on a 401 to a request that carried it, ask
`reauthorize(rejected)` once and retry once with what it gives (None: give up, as `ApiKeyAuth` always does); a
second 401 goes back to the caller. The refresh itself, its single flight across threads and processes, and which
token a rejected one is replaced by, are the `TokenManager`'s.

Header values are checked before they are sent: one with a line break or another control character is an
`ArgumentError` that never repeats the value.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from .authorized import Authorizer
from .exceptions import ArgumentError
from .headers import check_header_value

log = logging.getLogger("retently_oauth.adapters")


class HeaderSource:
    """An authorizer's header values, checked; what both adapters hold."""

    __slots__ = ("_cached", "_checked", "_what", "authorizer")

    def __init__(self, authorizer: Authorizer) -> None:
        if not callable(getattr(authorizer, "authorization", None)) or not callable(
            getattr(authorizer, "reauthorize", None)
        ):
            raise ArgumentError(
                f"the authorizer must provide authorization() and reauthorize(), got {type(authorizer).__name__}"
            )
        self.authorizer = authorizer
        cached = getattr(authorizer, "cached_authorization", None)
        self._cached = cached if callable(cached) else None
        self._what = f"the Authorization header from {type(authorizer).__name__}"
        self._checked: str | None = None
        """The last value that passed the check: a manager hands out the same string until it refreshes."""

    def __repr__(self) -> str:
        return f"HeaderSource({self.authorizer!r})"

    def authorization(self) -> str:
        """The header for the next request; may refresh first (blocking), as the authorizer does."""
        return self._check(self.authorizer.authorization())

    def cached_authorization(self) -> str | None:
        """The header when getting it would not block, else None (always None for an authorizer without
        `cached_authorization`: its `authorization()` may block)."""
        if self._cached is None:
            return None
        value = self._cached()
        return None if value is None else self._check(value)

    def reauthorize(self, rejected_authorization: str) -> str | None:
        """The header to retry with after a 401 for `rejected_authorization`, or None: return the 401."""
        value = self.authorizer.reauthorize(rejected_authorization)
        return None if value is None else self._check(value)

    def _check(self, value: object) -> str:
        last = self._checked
        if last is not None and value is last:
            return last
        checked = self._checked = check_header_value(value, self._what)
        return checked


def log_retry(method: str, url: str, retrying: bool) -> None:
    """One DEBUG record per 401 handled, naming the method and the URL without its query (which may carry
    anything)."""
    if log.isEnabledFor(logging.DEBUG):
        parts = urlsplit(url)
        try:
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            port = ""
        where = f"{parts.scheme}://{parts.hostname}{port}{parts.path}"  # no userinfo, query or fragment
        outcome = "retrying once with a new authorization" if retrying else "no new authorization: returned"
        log.debug("401 for %s %s: %s", method, where, outcome)
