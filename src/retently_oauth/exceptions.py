"""Every error retently-oauth raises, in one hierarchy rooted at `RetentlyOAuthError`.

No message carries a secret: documents are described by JSON path and type, responses by status and a short
excerpt with token-like values masked.
"""

from __future__ import annotations

from retently_oauth_models import DocumentError as _GeneratedDocumentError
from retently_oauth_models import Problem

__all__ = [
    "ArgumentError",
    "DocumentError",
    "Problem",
    "RetentlyOAuthError",
]


class RetentlyOAuthError(Exception):
    """Base of every error raised by retently-oauth."""


class ArgumentError(RetentlyOAuthError, ValueError):
    """A caller passed an argument that cannot work (a URL that is not https, a class that is no document...)."""


class DocumentError(RetentlyOAuthError, _GeneratedDocumentError):
    """A document does not match its schema. `problems` lists every mismatch as (JSON path, message)."""
