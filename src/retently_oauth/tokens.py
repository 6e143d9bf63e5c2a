"""Tokens with an absolute expiry, and their stored form.

Expiry is kept as an absolute UTC time from the moment the token request was sent, never as `expires_in`, so a
token reloaded later is not mistaken for a fresh one. A lifetime longer than `MAX_LIFETIME` (ten years) is cut to
it: a server granting `expires_in: 300000000000` gets a token valid for ten years, not an OverflowError.

Only Bearer tokens (RFC 6750) exist here: a `token_type` other than "Bearer" (in any case) is refused, since the
token would be sent as one. A token without a refresh token (`refresh_token=None`, as after a code exchange whose
response names none) works until it expires; `to_stored` refuses it with `NoRefreshToken`.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import attrs
from retently_oauth_models._runtime import secret_repr

from .exceptions import ArgumentError, NoRefreshToken, StoreError
from .models import StoredCredentials, TokenResponse
from .redaction import printable

MAX_LIFETIME = 10 * 365 * 86400
"""The longest lifetime a token is given, in seconds (ten years); a longer `expires_in` is cut to it."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def lifetime_seconds(expires_in: object) -> float:
    """`expires_in` as seconds in [0, MAX_LIFETIME]; ArgumentError for anything that is not a non-negative number."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
        raise ArgumentError(f"expires_in must be a number of seconds, got {type(expires_in).__name__}")
    if isinstance(expires_in, float) and not math.isfinite(expires_in):
        raise ArgumentError("expires_in must be a finite number of seconds")
    if expires_in < 0:
        raise ArgumentError("expires_in must not be negative")
    return float(min(expires_in, MAX_LIFETIME))


def _bearer(value: object) -> str:
    if isinstance(value, str) and value.lower() == "bearer":
        return "Bearer"
    shown = printable(value, 40) if isinstance(value, str) else type(value).__name__
    raise ArgumentError(f"token_type must be Bearer (in any case), got {shown!r}: such a token cannot be sent as one")


def _non_empty(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ArgumentError(f"{attribute.name} must be a non-empty string")


@attrs.frozen(kw_only=True)
class Token:
    """An access token, the refresh token that renews it, and when the access token expires."""

    access_token: str = attrs.field(repr=secret_repr, validator=_non_empty)
    refresh_token: str | None = attrs.field(default=None, repr=secret_repr)
    """None when the server granted none: the access token works until it expires, then the user logs in again."""
    expires_at: datetime | None = None
    """Absolute UTC expiry; None when the server did not say."""
    token_type: str = attrs.field(default="Bearer", converter=_bearer)
    """Always "Bearer" (a server's "bearer" or "BEARER" is normalized; any other type is an ArgumentError)."""
    scope: str | None = None
    issued_at: datetime | None = None
    """When the request that granted the token was sent; None when unknown (a document from elsewhere)."""

    @property
    def lifetime(self) -> float | None:
        """Seconds from issue to expiry, when both are known."""
        if self.expires_at is None or self.issued_at is None:
            return None
        return (self.expires_at - self.issued_at).total_seconds()

    @property
    def refreshable(self) -> bool:
        """Whether a refresh token came with the access token."""
        return bool(self.refresh_token)

    @classmethod
    def from_response(
        cls, response: TokenResponse, *, requested_at: datetime, previous_refresh_token: str | None = None
    ) -> Token:
        """The token a response grants; a refresh response without a refresh token keeps the previous one.

        An `expires_in` over MAX_LIFETIME is cut to it; a negative or non-numeric one, an empty access token or a
        token type other than Bearer is an ArgumentError (the flows check responses before and raise
        ResponseFormatError). An empty refresh token counts as none.
        """
        expires_at = None
        if response.expires_in is not None:
            expires_at = requested_at + timedelta(seconds=lifetime_seconds(response.expires_in))
        token_type = response.token_type if isinstance(response.token_type, str) else "Bearer"
        scope = response.scope if isinstance(response.scope, str) else None
        return cls(
            access_token=response.access_token,
            refresh_token=response.refresh_token or previous_refresh_token,
            expires_at=expires_at,
            token_type=token_type,
            scope=scope,
            issued_at=requested_at,
        )

    def expires_within(self, seconds: float, now: datetime | None = None) -> bool:
        """True when the token is expired or will be within `seconds`; a token without expiry never is."""
        if self.expires_at is None:
            return False
        try:
            return (now or utcnow()) + timedelta(seconds=seconds) >= self.expires_at
        except OverflowError:  # past year 9999 (or before year 1): every expiry is within a horizon that long
            return seconds > 0

    def to_stored(
        self,
        *,
        client_id: str,
        client_secret: str,
        token_url: str,
        redirect_uri: str | None,
        authorize_url: str | None = None,
    ) -> StoredCredentials:
        """The store document for this token and the client that obtained it."""
        if not self.refresh_token:
            raise NoRefreshToken(
                "the server granted no refresh token: the access token works until it expires, and then the user"
                " must log in again; it cannot be stored for refreshing"
            )
        return StoredCredentials(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            token_url=token_url,
            authorize_url=authorize_url,
            access_token=self.access_token,
            refresh_token=self.refresh_token,
            expires_at=self.expires_at or datetime.max.replace(tzinfo=timezone.utc),
            token_type=self.token_type,
            scope=self.scope,
            issued_at=self.issued_at,
        )

    @classmethod
    def from_stored(cls, stored: StoredCredentials) -> Token:
        """The token a store document holds; StoreError when it cannot be used (an empty access token, a token
        type other than Bearer)."""
        try:
            return cls(
                access_token=stored.access_token,
                refresh_token=stored.refresh_token,
                expires_at=stored.expires_at,
                token_type=stored.token_type or "Bearer",
                scope=stored.scope,
                issued_at=stored.issued_at,
            )
        except ArgumentError as exc:
            raise StoreError(f"the stored credentials cannot be used: {exc}") from None


__all__ = ["MAX_LIFETIME", "Token", "lifetime_seconds", "utcnow"]
