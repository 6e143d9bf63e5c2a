"""retently-oauth: Retently's OAuth documents as attrs classes, and the flows that obtain and refresh tokens.

The documents API is imported at once; the HTTP side (urllib3, flows, token manager) on first use of one of its
names, so a program that only reads and writes documents does not pay for urllib3 and ssl.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import models
from .documents import converter, dumps, loads, structure, unstructure
from .exceptions import (
    ArgumentError,
    AuthorizationDenied,
    CallbackError,
    DocumentError,
    InvalidGrant,
    NoRefreshToken,
    OAuthError,
    Problem,
    ReauthorizationRequired,
    ResponseFormatError,
    RetentlyOAuthError,
    StateMismatch,
    StoreError,
    TransportError,
)

if TYPE_CHECKING:
    from .authorized import ApiKeyAuth, AuthorizedHTTP, Authorizer
    from .endpoints import HUBSPOT, RETENTLY, Endpoints
    from .flows import AuthorizationURL, OAuthClient
    from .manager import TokenManager
    from .store import CredentialStore, FileStore, MemoryStore
    from .store_postgres import PostgresStore
    from .store_redis import RedisStore
    from .store_url import open_store
    from .tokens import Token
    from .transport import Transport, TransportConfig

_LAZY = {
    "ApiKeyAuth": "authorized",
    "AuthorizedHTTP": "authorized",
    "Authorizer": "authorized",
    "HUBSPOT": "endpoints",
    "RETENTLY": "endpoints",
    "Endpoints": "endpoints",
    "AuthorizationURL": "flows",
    "OAuthClient": "flows",
    "TokenManager": "manager",
    "CredentialStore": "store",
    "FileStore": "store",
    "MemoryStore": "store",
    "PostgresStore": "store_postgres",
    "RedisStore": "store_redis",
    "open_store": "store_url",
    "Token": "tokens",
    "Transport": "transport",
    "TransportConfig": "transport",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'retently_oauth' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "HUBSPOT",
    "RETENTLY",
    "ApiKeyAuth",
    "ArgumentError",
    "AuthorizationDenied",
    "AuthorizationURL",
    "AuthorizedHTTP",
    "Authorizer",
    "CallbackError",
    "CredentialStore",
    "DocumentError",
    "Endpoints",
    "FileStore",
    "InvalidGrant",
    "MemoryStore",
    "NoRefreshToken",
    "OAuthClient",
    "OAuthError",
    "PostgresStore",
    "Problem",
    "ReauthorizationRequired",
    "RedisStore",
    "ResponseFormatError",
    "RetentlyOAuthError",
    "StateMismatch",
    "StoreError",
    "Token",
    "TokenManager",
    "Transport",
    "TransportConfig",
    "TransportError",
    "converter",
    "dumps",
    "loads",
    "models",
    "open_store",
    "structure",
    "unstructure",
]

__version__ = "0.1.0"
