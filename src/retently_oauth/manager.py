"""Access tokens that stay valid: `TokenManager.access_token()`.

The cached path reads one attribute and the clock: no lock, no I/O. When a refresh is due, one thread leads it
and the others wait for its outcome; the leader holds the store's lock (a file lock for `FileStore`), so other
processes sharing the store wait too, then find the new token in the store instead of spending the refresh token
again. The new token, rotated refresh token included, is saved before any caller sees it. When that save fails, the
token is kept in memory and settled by the next call, under the store's lock, against what the store holds then:
saved if the store still holds the credentials it was refreshed from, else dropped (another holder refreshed, logged
in or logged out meanwhile: the store wins, and the refresh token the kept token spent is never sent again).

Bounds: threads waiting for another thread's refresh wait at most the transport's `total_timeout`, then raise
`TransportError`; one manager refreshes successfully at most once per `MIN_REFRESH_INTERVAL` (one second), whatever
`expires_in` a server grants (0 included) or however far the clock is off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

import attrs
from retently_oauth_models._runtime import secret_repr

from .deadline import MAX_WAIT
from .endpoints import HUBSPOT, RETENTLY, Endpoints
from .exceptions import ArgumentError, InvalidGrant, ReauthorizationRequired, TransportError
from .flows import OAuthClient
from .models import (
    OAuth,
    PropertyConnectionAuth,
    RetentlyCredentials,
    SourceRetently,
    SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth,
    SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken,
    StoredCredentials,
)
from .store import CredentialStore, MemoryStore
from .tokens import Token
from .transport import Transport

log = logging.getLogger("retently_oauth.manager")

RefreshHook = Callable[[Token], None]
"""Called with each new token after it is saved, in the refreshing thread once the threads that waited for the
token have it; its errors are logged, not raised. It may read the manager (`access_token()`...) but not refresh
it: a refresh asked for from inside the hook raises `ArgumentError` (logged like any error of the hook)."""

OAuthCredentials = (
    SourceRetently
    | SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth
    | RetentlyCredentials
    | OAuth
    | PropertyConnectionAuth
)
"""The credentials documents a manager can be built from."""

DEFAULT_LEEWAY = 60.0
DEFAULT_WAIT = 60.0
"""How long a thread waits for another thread's refresh when the transport's config names no `total_timeout`."""
MIN_REFRESH_INTERVAL = 1.0
"""Seconds between the starts of two refreshes by one manager, at least; a new token is used for that long."""

_clock = time.time


@attrs.frozen
class _Current:
    """The token in use and when to stop using it: what the cached path reads, replaced whole, never mutated."""

    token: Token
    access_token: str = attrs.field(repr=secret_repr)
    authorization: str = attrs.field(repr=secret_repr)
    refresh_at: float
    """Epoch seconds: expiry minus the leeway (capped at half the lifetime); +inf when the expiry is unknown."""


class _Flight:
    """One refresh in progress; threads that find it running wait for its token or its error."""

    __slots__ = ("done", "error", "token")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.token: Token | None = None
        self.error: BaseException | None = None

    def wait(self, timeout: float) -> Token | None:
        """The leader's token, or its error raised here too; None when the leader was interrupted
        (KeyboardInterrupt, SystemExit): that is the leader's thread's business, so this caller tries itself.
        TransportError when the leader takes longer than `timeout` seconds."""
        if not self.done.wait(min(timeout, MAX_WAIT)):  # inf or 1e300 would be an OverflowError
            raise TransportError(
                f"waited {timeout:g} s for another thread's token refresh (the total timeout): giving up"
            )
        if isinstance(self.error, Exception):
            raise self.error
        return self.token


@attrs.frozen
class _Unsaved:
    """A refreshed token whose save failed, and the stored document whose refresh token it spent (None: the store
    was empty and the seed refresh token was spent). Kept in memory only, so a rotated refresh token is not lost."""

    token: Token
    base: StoredCredentials | None


class _Always:
    """`stale` meaning "whatever token is current": refresh no matter what."""


_ALWAYS = _Always()


class TokenManager:
    """Gives a valid access token, always, from many threads and processes sharing one store.

    `refresh_token` (or `token`, whose refresh token counts) is where to start when the store is empty, as with
    credentials read from a config document; once anything is saved, the store wins, so a rotated refresh token in
    the store is never overridden by a stale one from the config.

    Threads that find a refresh running wait for it at most the transport's `total_timeout` (then
    `TransportError`). A manager refreshes at most once per second (`MIN_REFRESH_INTERVAL`): a token it has just
    obtained is used for at least a second whatever its `expires_in` says (0, 1, or already past on a clock that
    runs ahead), and a forced refresh within a second of the last one waits for the rest of that second.
    """

    def __init__(
        self,
        client: OAuthClient,
        store: CredentialStore | None = None,
        *,
        leeway: float = DEFAULT_LEEWAY,
        on_refresh: RefreshHook | None = None,
        token: Token | None = None,
        refresh_token: str | None = None,
    ) -> None:
        if not isinstance(client, OAuthClient):
            raise ArgumentError(f"client must be an OAuthClient, got {type(client).__name__}")
        if isinstance(leeway, bool) or not isinstance(leeway, (int, float)) or not 0 <= leeway < float("inf"):
            raise ArgumentError("leeway must be a finite number of seconds >= 0")
        if token is not None and not isinstance(token, Token):
            raise ArgumentError(f"token must be a Token, got {type(token).__name__}")
        if refresh_token is not None and (not isinstance(refresh_token, str) or not refresh_token):
            raise ArgumentError("refresh_token must be a non-empty string")
        if store is not None and not all(callable(getattr(store, name, None)) for name in ("load", "save", "locked")):
            raise ArgumentError(f"store must provide load(), save() and locked(), got {type(store).__name__}")
        self.client = client
        self.store: CredentialStore = store if store is not None else MemoryStore()
        self.leeway = float(leeway)
        self.on_refresh = on_refresh
        self._seed_refresh_token = refresh_token or (token.refresh_token if token is not None else None)
        self._current: _Current | None = self._snapshot(token) if token is not None else None
        self._lock = threading.Lock()
        self._flight: _Flight | None = None
        self._unsaved: _Unsaved | None = None
        self._last_refresh = -float("inf")
        """`time.monotonic()` when the last successful refresh request started."""
        self._in_hook = threading.local()
        config = client.transport.config
        self._wait_limit = float(getattr(config, "total_timeout", DEFAULT_WAIT))

    def __repr__(self) -> str:
        return f"TokenManager(client_id={self.client.client_id!r}, store={self.store!r}, leeway={self.leeway:g})"

    # constructors -----------------------------------------------------------------------------------------------

    @classmethod
    def from_store(
        cls,
        store: CredentialStore,
        *,
        transport: Transport | None = None,
        leeway: float = DEFAULT_LEEWAY,
        on_refresh: RefreshHook | None = None,
    ) -> TokenManager:
        """A manager for the credentials a store already holds (after `login` or `exchange`)."""
        stored = store.load()
        if stored is None:
            raise ReauthorizationRequired(f"{store!r} holds no credentials: log in first")
        client = OAuthClient(
            stored.client_id,
            stored.client_secret,
            stored.redirect_uri,
            endpoints=Endpoints.from_stored(stored),
            transport=transport,
        )
        return cls(client, store, leeway=leeway, on_refresh=on_refresh)

    @classmethod
    def from_credentials(
        cls,
        credentials: OAuthCredentials,
        *,
        store: CredentialStore | None = None,
        endpoints: Endpoints | None = None,
        redirect_uri: str | None = None,
        transport: Transport | None = None,
        leeway: float = DEFAULT_LEEWAY,
        on_refresh: RefreshHook | None = None,
    ) -> TokenManager:
        """A manager from a credentials document: the Retently OAuth variant (bare or in a `SourceRetently`),
        `RetentlyCredentials`, HubSpot's `OAuth`, or a `PropertyConnectionAuth` connection.

        Endpoints default to the document's own (`PropertyConnectionAuth`), else HubSpot's for `OAuth`, else
        Retently's. A connection's `access_token` is used until its `expiry_date` (a relative `expires_in` with no
        time of issue cannot be trusted, so without `expiry_date` the token is used until the API rejects it).
        """
        document = credentials.credentials if isinstance(credentials, SourceRetently) else credentials
        token: Token | None = None
        if isinstance(document, SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken):
            raise ArgumentError("API-token credentials have no OAuth tokens: use ApiKeyAuth.from_credentials")
        if isinstance(document, SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth | OAuth):
            client_id, client_secret, refresh = document.client_id, document.client_secret, document.refresh_token
            default = HUBSPOT if isinstance(document, OAuth) else RETENTLY
        elif isinstance(document, RetentlyCredentials):
            client_id, client_secret, refresh = _required(document)
            default = RETENTLY
        elif isinstance(document, PropertyConnectionAuth):
            client_id, client_secret, refresh = _required(document)
            default = endpoints or Endpoints.from_connection(document)
            if document.access_token:
                token = Token(
                    access_token=document.access_token, refresh_token=refresh, expires_at=document.expiry_date
                )
        else:
            raise ArgumentError(f"{type(credentials).__name__} is not an OAuth credentials document")
        client = OAuthClient(
            client_id, client_secret, redirect_uri, endpoints=endpoints or default, transport=transport
        )
        return cls(client, store, leeway=leeway, on_refresh=on_refresh, token=token, refresh_token=refresh)

    # the cached path --------------------------------------------------------------------------------------------

    def access_token(self) -> str:
        """An access token valid for at least the leeway; refreshes first when due."""
        current = self._current
        if current is not None and _clock() < current.refresh_at:
            return current.access_token
        return self._renew(stale=None).access_token

    def authorization(self) -> str:
        """The `Authorization` header value for the current token (`Bearer <token>`)."""
        current = self._current
        if current is not None and _clock() < current.refresh_at:
            return current.authorization
        self._renew(stale=None)
        assert self._current is not None
        return self._current.authorization

    def cached_authorization(self) -> str | None:
        """`authorization()` if that would not refresh first, else None: never blocks (no lock, no I/O), for
        callers on an event loop, which then run `authorization()` in a worker thread."""
        current = self._current
        if current is not None and _clock() < current.refresh_at:
            return current.authorization
        return None

    def token(self) -> Token:
        """The whole current token (expiry, scope, refresh token), refreshed first when due."""
        current = self._current
        if current is not None and _clock() < current.refresh_at:
            return current.token
        return self._renew(stale=None)

    # forced refresh ---------------------------------------------------------------------------------------------

    def refresh(self, rejected_access_token: str | None = None) -> Token:
        """Refreshes now, whatever the expiry says.

        With `rejected_access_token` (one the API answered 401 to), refreshes only if that is still the current
        token: when another thread or process already replaced it, the replacement is returned instead.
        """
        if rejected_access_token is not None and not isinstance(rejected_access_token, str):
            raise ArgumentError("rejected_access_token must be a string")
        return self._renew(stale=rejected_access_token or _ALWAYS)

    def reauthorize(self, rejected_authorization: str) -> str | None:
        """After a 401 for `rejected_authorization`: the header value to retry with (refreshing if needed)."""
        current = self._current
        if current is not None and current.authorization != rejected_authorization:
            return current.authorization
        _, _, rejected_token = rejected_authorization.partition(" ")
        self.refresh(rejected_token or None)
        assert self._current is not None
        return self._current.authorization

    def store_token(self, token: Token) -> None:
        """Saves a token obtained elsewhere (a code exchange) under the store's lock and uses it from now on."""
        if not isinstance(token, Token):
            raise ArgumentError(f"token must be a Token, got {type(token).__name__}")
        with self._lock, self.store.locked():
            self.store.save(self._stored(token))
            self._unsaved = None
            self._current = self._snapshot(token)

    # the slow path ----------------------------------------------------------------------------------------------

    def _renew(self, *, stale: str | _Always | None) -> Token:
        """Single flight: the first caller refreshes, callers arriving meanwhile wait for its outcome."""
        if getattr(self._in_hook, "active", False):
            raise ArgumentError("the on_refresh hook asked its own manager for a refresh: it may only read it")
        while True:
            with self._lock:
                current = self._current
                if current is not None and self._usable(current, stale):  # refreshed while this caller queued
                    return current.token
                flight = self._flight
                if flight is None:
                    flight = self._flight = _Flight()
                    break
            token = flight.wait(self._wait_limit)
            if token is not None:
                return token
        try:
            token, refreshed = self._renew_under_store_lock(stale)
        except BaseException as exc:
            flight.error = exc
            raise
        else:
            flight.token = token
        finally:
            with self._lock:
                self._flight = None
            flight.done.set()
        if refreshed:  # outside the flight: the waiters have their token, and a hook cannot wait on itself
            self._notify(token)
        return token

    def _usable(self, current: _Current, stale: str | _Always | None) -> bool:
        """Not due, and not the token a refresh was asked to replace."""
        if isinstance(stale, _Always) or (stale is not None and current.access_token == stale):
            return False
        return _clock() < current.refresh_at

    def _renew_under_store_lock(self, stale: str | _Always | None) -> tuple[Token, bool]:
        """The token to use, and whether it comes from a refresh made here (the hook's business)."""
        with self.store.locked():
            stored = self.store.load()
            saved_unsaved = False
            if self._unsaved is not None:  # a refreshed token whose save failed: settle it before anything else
                stored, saved_unsaved = self._settle_unsaved(stored)
            if stored is not None:
                self._check_same_client(stored)
                token = Token.from_stored(stored)
                if self._usable(self._snapshot(token), stale):  # another process refreshed already
                    self._install(token)
                    return token, saved_unsaved  # the kept token is new to the hook
                refresh_token = stored.refresh_token
            elif self._seed_refresh_token is not None:
                refresh_token = self._seed_refresh_token
            else:
                raise ReauthorizationRequired(f"{self.store!r} holds no credentials: log in first")
            new, base = self._refresh_with(refresh_token, stored, stale)
            if new is None:  # the reloaded store had a usable token
                assert self._current is not None
                return self._current.token, False
            try:
                self.store.save(self._stored(new))
            except BaseException:
                # kept in memory only, so a rotated refresh token survives for the next try (settled then)
                self._unsaved = _Unsaved(new, base)
                raise
        self._install(new, fresh=True)
        return new, True

    def _settle_unsaved(self, stored: StoredCredentials | None) -> tuple[StoredCredentials | None, bool]:
        """Under the store's lock, with the document just read: saves the kept token if the store still holds the
        credentials it was refreshed from, else drops it (another holder refreshed or logged in since, or the
        credentials were removed: the store wins, and the kept token's spent refresh token is never sent again).
        The document now stored, and whether it is the kept token, saved here."""
        unsaved = self._unsaved
        assert unsaved is not None
        if stored is not None and _same_pair(stored, unsaved.token):  # the failed save had landed after all
            self._unsaved = None
            return stored, True
        if (stored is None and unsaved.base is None) or (
            stored is not None and unsaved.base is not None and _same_pair(stored, unsaved.base)
        ):
            document = self._stored(unsaved.token)
            self.store.save(document)  # a StoreError keeps it for the next try
            self._unsaved = None
            return document, True
        self._unsaved = None
        log.info(
            "a refreshed token could not be saved earlier, and the store %s since: using the store's",
            "changed" if stored is not None else "was emptied (logged out)",
        )
        return stored, False

    def _refresh_with(
        self, refresh_token: str, stored: StoredCredentials | None, stale: str | _Always | None
    ) -> tuple[Token | None, StoredCredentials | None]:
        """The refreshed token and the document whose refresh token it spent (`stored`; None for the seed); on
        invalid_grant, reloads the store once in case another holder rotated it."""
        self._pace()
        try:
            return self._timed_refresh(refresh_token), stored
        except InvalidGrant as exc:
            reloaded = self.store.load()
            if reloaded is None or reloaded.refresh_token == refresh_token:
                raise ReauthorizationRequired(
                    f"the refresh token was rejected ({exc.error}): the user must log in again"
                ) from exc
            log.info("refresh token rejected, but the store holds another one: retrying with it")
        token = Token.from_stored(reloaded)
        if self._usable(self._snapshot(token), stale):
            self._install(token)
            return None, reloaded
        try:
            return self._timed_refresh(reloaded.refresh_token), reloaded
        except InvalidGrant as exc:
            raise ReauthorizationRequired(
                f"the stored refresh token was rejected too ({exc.error}): the user must log in again"
            ) from exc

    # helpers ----------------------------------------------------------------------------------------------------

    def _pace(self) -> None:
        """Waits until `MIN_REFRESH_INTERVAL` has passed since the last successful refresh started (at most that
        long). A failed refresh does not count: the next call may retry at once, as the failure may have been a
        request the server never processed."""
        wait = self._last_refresh + MIN_REFRESH_INTERVAL - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, MIN_REFRESH_INTERVAL))

    def _timed_refresh(self, refresh_token: str) -> Token:
        started = time.monotonic()
        token = self.client.refresh(refresh_token)
        self._last_refresh = started
        return token

    def _snapshot(self, token: Token, *, fresh: bool = False) -> _Current:
        """What the cached path reads for `token`; a `fresh` one (just refreshed here) is used for at least
        `MIN_REFRESH_INTERVAL`, so `expires_in: 0` or a clock running ahead cannot cause a refresh per call."""
        if token.expires_at is None:
            refresh_at = float("inf")
        else:
            lifetime = token.lifetime
            leeway = self.leeway if lifetime is None or lifetime <= 0 else min(self.leeway, lifetime / 2)
            refresh_at = _timestamp(token.expires_at) - leeway
            if fresh:
                refresh_at = max(refresh_at, _clock() + MIN_REFRESH_INTERVAL)
        return _Current(
            token=token,
            access_token=token.access_token,
            authorization=f"Bearer {token.access_token}",
            refresh_at=refresh_at,
        )

    def _install(self, token: Token, *, fresh: bool = False) -> None:
        self._current = self._snapshot(token, fresh=fresh)

    def _stored(self, token: Token) -> StoredCredentials:
        client = self.client
        return token.to_stored(
            client_id=client.client_id,
            client_secret=client.client_secret,
            token_url=client.endpoints.token_url,
            redirect_uri=client.redirect_uri,
            authorize_url=client.endpoints.authorize_url,
        )

    def _check_same_client(self, stored: StoredCredentials) -> None:
        if stored.client_id != self.client.client_id:
            raise ArgumentError(f"{self.store!r} holds credentials of another client_id ({stored.client_id!r})")

    def _notify(self, token: Token) -> None:
        if self.on_refresh is None:
            return
        self._in_hook.active = True
        try:
            self.on_refresh(token)
        except Exception:
            log.exception("on_refresh hook failed (the new token is saved and in use)")
        finally:
            self._in_hook.active = False


def _same_pair(stored: StoredCredentials, token: Token | StoredCredentials) -> bool:
    """Whether a stored document holds this token (its access and refresh token)."""
    return stored.access_token == token.access_token and stored.refresh_token == token.refresh_token


def _timestamp(moment: datetime) -> float:
    try:
        return moment.timestamp()
    except (OverflowError, ValueError):  # datetime.max and friends: as good as never
        return float("inf")


def _required(document: RetentlyCredentials | PropertyConnectionAuth) -> tuple[str, str, str]:
    """client_id, client_secret and refresh_token of a document where each is optional."""
    values = (document.client_id, document.client_secret, document.refresh_token)
    missing = [
        name
        for name, value in zip(("client_id", "client_secret", "refresh_token"), values, strict=True)
        if not isinstance(value, str) or not value
    ]
    if missing:
        raise ArgumentError(f"{type(document).__name__} lacks {', '.join(missing)}: cannot refresh without them")
    client_id, client_secret, refresh_token = values
    assert isinstance(client_id, str) and isinstance(client_secret, str) and isinstance(refresh_token, str)
    return client_id, client_secret, refresh_token
