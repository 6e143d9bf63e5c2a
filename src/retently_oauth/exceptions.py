"""Every error retently-oauth raises, in one hierarchy rooted at `RetentlyOAuthError`.

No message carries a secret: documents are described by JSON path and type, responses by status and a short
excerpt with token-like values masked.
"""

from __future__ import annotations

from retently_oauth_models import DocumentError as _GeneratedDocumentError
from retently_oauth_models import Problem

from .redaction import printable

__all__ = [
    "OAUTH_ERRORS",
    "ArgumentError",
    "AuthorizationDenied",
    "CallbackError",
    "DocumentError",
    "InvalidClient",
    "InvalidGrant",
    "InvalidRequest",
    "InvalidScope",
    "NoRefreshToken",
    "OAuthError",
    "Problem",
    "ReauthorizationRequired",
    "ResponseFormatError",
    "RetentlyOAuthError",
    "StateMismatch",
    "StoreError",
    "TransportError",
    "UnauthorizedClient",
    "UnsupportedGrantType",
    "oauth_error",
]


class RetentlyOAuthError(Exception):
    """Base of every error raised by retently-oauth."""


class ArgumentError(RetentlyOAuthError, ValueError):
    """A caller passed an argument that cannot work (a URL that is not https, a class that is no document...)."""


class DocumentError(RetentlyOAuthError, _GeneratedDocumentError):
    """A document does not match its schema. `problems` lists every mismatch as (JSON path, message)."""


class TransportError(RetentlyOAuthError):
    """The request did not get a response: connection refused or dropped, timeout, TLS failure (after retries)."""


class ResponseFormatError(RetentlyOAuthError):
    """The server answered, but not with the documented JSON: an HTML error page, truncated or malformed JSON,
    wrong types, a missing `access_token`, a body over the size cap. `excerpt` is short and has secrets masked."""

    def __init__(self, message: str, *, status: int, excerpt: str = "") -> None:
        self.status = status
        self.excerpt = excerpt
        detail = f" (HTTP {status})" + (f": {excerpt}" if excerpt else "")
        super().__init__(message + detail)


class OAuthError(RetentlyOAuthError):
    """The token endpoint declared an error (`{"error": ..., "error_description": ...}`)."""

    code: str = ""
    """The OAuth error code this subclass stands for; the base class takes any."""

    def __init__(self, error: str, description: str | None = None, *, status: int) -> None:
        error = printable(error, 100)  # server text: no escape sequences, no lone surrogates, bounded
        description = None if description is None else printable(description, 500)
        self.error = error
        self.error_description = description
        self.status = status
        text = f"{error}: {description}" if description else error
        super().__init__(f"{text} (HTTP {status})")


class InvalidRequest(OAuthError):
    code = "invalid_request"


class InvalidClient(OAuthError):
    code = "invalid_client"


class InvalidGrant(OAuthError):
    """The code or refresh token is invalid, expired, revoked or already used."""

    code = "invalid_grant"


class UnauthorizedClient(OAuthError):
    code = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    code = "unsupported_grant_type"


class InvalidScope(OAuthError):
    code = "invalid_scope"


OAUTH_ERRORS: dict[str, type[OAuthError]] = {
    cls.code: cls
    for cls in (InvalidRequest, InvalidClient, InvalidGrant, UnauthorizedClient, UnsupportedGrantType, InvalidScope)
}


def oauth_error(error: str, description: str | None, status: int) -> OAuthError:
    """The subclass for a declared error code; `OAuthError` itself for codes outside RFC 6749."""
    return OAUTH_ERRORS.get(error, OAuthError)(error, description, status=status)


class AuthorizationDenied(RetentlyOAuthError):
    """The authorization redirect carried `error` instead of a code (the user declined, or the app is refused)."""

    def __init__(self, error: str, description: str | None = None) -> None:
        error = printable(error, 100)  # text from the redirect URL: printable and bounded
        description = None if description is None else printable(description, 500)
        self.error = error
        self.error_description = description
        super().__init__(f"authorization denied: {error}" + (f": {description}" if description else ""))


class CallbackError(RetentlyOAuthError):
    """The authorization redirect cannot be trusted or used: no code, a malformed URL, or a state mismatch."""


class StateMismatch(CallbackError):
    """The callback's `state` is missing or differs from the one sent: a possible CSRF attempt."""


class ReauthorizationRequired(RetentlyOAuthError):
    """The stored refresh token no longer works: the user must log in again."""


class NoRefreshToken(RetentlyOAuthError):
    """The server granted an access token without a refresh token: it works until it expires, then the user must
    log in again. Raised where a refreshable token is needed (such as `Token.to_stored`)."""


class StoreError(RetentlyOAuthError):
    """The store cannot be read or written (permissions, a corrupt document, a full disk, a planted link)."""
