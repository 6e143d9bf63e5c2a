"""retently-oauth: Retently's OAuth documents as attrs classes, and the flows that obtain and refresh tokens."""

from __future__ import annotations

from . import models
from .documents import converter, dumps, loads, structure, unstructure
from .exceptions import ArgumentError, DocumentError, Problem, RetentlyOAuthError

__all__ = [
    "ArgumentError",
    "DocumentError",
    "Problem",
    "RetentlyOAuthError",
    "converter",
    "dumps",
    "loads",
    "models",
    "structure",
    "unstructure",
]

__version__ = "0.1.0"
