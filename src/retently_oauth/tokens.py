"""Tokens with an absolute expiry, and their stored form.

Expiry is kept as an absolute UTC time from the moment the token request was sent, never as `expires_in`, so a
token reloaded later is not mistaken for a fresh one.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
from retently_oauth_models._runtime import secret_repr

from .models import StoredCredentials, TokenResponse


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@attrs.frozen(kw_only=True)
class Token:
    """An access token, the refresh token that renews it, and when the access token expires."""

    access_token: str = attrs.field(repr=secret_repr)
    refresh_token: str | None = attrs.field(default=None, repr=secret_repr)
    expires_at: datetime | None = None
    """Absolute UTC expiry; None when the server did not say."""
    token_type: str = "Bearer"
    scope: str | None = None
    issued_at: datetime | None = None
    """When the request that granted the token was sent; None when unknown (a document from elsewhere)."""

    @property
    def lifetime(self) -> float | None:
        """Seconds from issue to expiry, when both are known."""
        if self.expires_at is None or self.issued_at is None:
            return None
        return (self.expires_at - self.issued_at).total_seconds()

    @classmethod
    def from_response(
        cls, response: TokenResponse, *, requested_at: datetime, previous_refresh_token: str | None = None
    ) -> Token:
        """The token a response grants; a refresh response without a refresh token keeps the previous one."""
        expires_at = None if response.expires_in is None else requested_at + timedelta(seconds=response.expires_in)
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
        return (now or utcnow()) + timedelta(seconds=seconds) >= self.expires_at

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
        if self.refresh_token is None:
            from .exceptions import ArgumentError

            raise ArgumentError("a token without a refresh token cannot be stored for refreshing")
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
        return cls(
            access_token=stored.access_token,
            refresh_token=stored.refresh_token,
            expires_at=stored.expires_at,
            token_type=stored.token_type or "Bearer",
            scope=stored.scope,
            issued_at=stored.issued_at,
        )


__all__ = ["Token", "utcnow"]
