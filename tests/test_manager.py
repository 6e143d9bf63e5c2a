"""TokenManager in one process, over real HTTP to the embedded server: the cached path, single-flight refresh,
saving before returning, invalid_grant recovery, and failed refreshes that leave the store untouched."""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import urllib3

from retently_oauth import (
    ArgumentError,
    FileStore,
    MemoryStore,
    ReauthorizationRequired,
    ResponseFormatError,
    StoreError,
    Token,
    TokenManager,
    TransportError,
    structure,
)
from retently_oauth.exceptions import InvalidGrant
from retently_oauth.models import StoredCredentials
from retently_oauth.testing import RetentlyServer
from retently_oauth.tokens import utcnow

from .support import client_for, due, fresh_token, in_threads, manager_with, stored

http = urllib3.PoolManager()


def api_status(server: RetentlyServer, access_token: str) -> int:
    return http.request("GET", server.api_url, headers={"Authorization": f"Bearer {access_token}"}).status


class ForbiddenLock:
    """Stands in for the manager's lock where the cached path must not take it."""

    def __enter__(self) -> None:
        raise AssertionError("the cached path took the lock")

    def __exit__(self, *exc: object) -> None: ...


class ForbiddenStore:
    """A store that fails the test when touched: the cached path does no I/O."""

    def load(self) -> StoredCredentials | None:
        raise AssertionError("the cached path read the store")

    def save(self, credentials: StoredCredentials) -> None:
        raise AssertionError("the cached path wrote the store")

    def locked(self) -> contextlib.AbstractContextManager[None]:
        raise AssertionError("the cached path locked the store")


# the cached path ------------------------------------------------------------------------------------------------


def test_cached_path_takes_no_lock_and_does_no_io(retently_server: RetentlyServer) -> None:
    manager = manager_with(retently_server, token=fresh_token(retently_server))
    token = manager.access_token()  # loads the store once
    requests = sum(retently_server.counts.values())
    manager._lock = ForbiddenLock()  # type: ignore[assignment]
    manager.store = ForbiddenStore()
    for _ in range(1000):
        assert manager.access_token() == token
        assert manager.authorization() == f"Bearer {token}"
        assert manager.token().access_token == token
    assert sum(retently_server.counts.values()) == requests


def test_leeway_is_capped_at_half_the_lifetime() -> None:
    with RetentlyServer(expires_in=10) as server:
        manager = manager_with(server, leeway=60)  # 60 s leeway > 10 s lifetime: capped at 5 s
        first = manager.access_token()
        assert server.counts["refresh_token"] == 2  # the setup's token and this due refresh
        for _ in range(50):
            assert manager.access_token() == first
        assert server.counts["refresh_token"] == 2
        assert manager.token().lifetime == pytest.approx(10, abs=0.01)


def test_a_token_whose_lifetime_is_unknown_gets_the_full_leeway(retently_server: RetentlyServer) -> None:
    token = fresh_token(retently_server)
    expiring = Token(
        access_token=token.access_token, refresh_token=token.refresh_token, expires_at=utcnow() + timedelta(seconds=30)
    )
    manager = manager_with(retently_server, token=expiring, leeway=60)
    assert manager.access_token() != token.access_token
    assert retently_server.counts["refresh_token"] == 2


def test_expiry_is_absolute_across_reloads(tmp_path: Path, retently_server: RetentlyServer) -> None:
    """A reloaded store knows how old its token is: a due token is not mistaken for a fresh one."""
    store = FileStore(tmp_path / "creds.json")
    stale = due(fresh_token(retently_server))
    manager_with(retently_server, store, token=stale)
    reloaded = TokenManager.from_store(FileStore(tmp_path / "creds.json"))
    assert reloaded.access_token() != stale.access_token
    assert retently_server.counts["refresh_token"] == 2


# single flight ------------------------------------------------------------------------------------------------


def test_32_threads_one_refresh() -> None:
    with RetentlyServer(slow_seconds=0.3) as server:
        manager = manager_with(server)
        before = server.counts["refresh_token"]
        server.inject("slow")  # the refresh takes 0.3 s: every thread arrives while it is in flight
        results = in_threads(32, manager.access_token)
        assert server.counts["refresh_token"] - before == 1
        assert len(set(results)) == 1
        token = results[0]
        assert isinstance(token, str)
        assert api_status(server, token) == 200
        loaded = manager.store.load()
        assert loaded is not None and loaded.access_token == token


def test_threads_waiting_on_a_failed_refresh_share_its_error() -> None:
    with RetentlyServer(slow_seconds=1.0) as server:
        manager = manager_with(server, read_timeout=0.3)  # the leader times out after 0.3 s
        server.inject(*["slow"] * 32)
        results = in_threads(32, manager.access_token)
        assert all(isinstance(r, TransportError) for r in results)
        leaders = {id(r) for r in results}  # each leader's error object is the one its waiters raise
        assert len(leaders) == server.counts["fault"]
        assert len(leaders) <= 2, f"{len(leaders)} token requests for 32 threads"


class Interrupted(BaseException):
    """Stands for KeyboardInterrupt or SystemExit in the leading thread."""


def test_an_interrupted_leader_does_not_interrupt_the_waiting_threads() -> None:
    with RetentlyServer(slow_seconds=0.3) as server:
        interrupted = threading.Event()

        def hook(token: Token) -> None:
            if not interrupted.is_set():
                interrupted.set()
                raise Interrupted

        manager = manager_with(server, on_refresh=hook)
        before = server.counts["refresh_token"]
        server.inject("slow")
        results = in_threads(8, manager.access_token)
        assert sum(isinstance(r, Interrupted) for r in results) == 1
        tokens = {r for r in results if isinstance(r, str)}
        assert len(tokens) == 1 and len([r for r in results if isinstance(r, str)]) == 7
        assert server.counts["refresh_token"] - before == 1  # saved before the hook ran: nobody refreshed again


def test_forced_refreshes_after_one_rejected_token_refresh_once(retently_server: RetentlyServer) -> None:
    manager = manager_with(retently_server, token=fresh_token(retently_server))
    rejected = manager.access_token()
    before = retently_server.counts["refresh_token"]
    results = in_threads(16, lambda: manager.refresh(rejected).access_token)
    assert retently_server.counts["refresh_token"] - before == 1
    assert len(set(results)) == 1 and results[0] != rejected


# saved before returned ---------------------------------------------------------------------------------------


def test_new_token_is_saved_before_any_caller_or_hook_sees_it(tmp_path: Path) -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        store = FileStore(tmp_path / "creds.json")
        seen: list[Token] = []

        def hook(token: Token) -> None:
            on_disk = FileStore(tmp_path / "creds.json").load()
            assert on_disk is not None
            assert (on_disk.access_token, on_disk.refresh_token) == (token.access_token, token.refresh_token)
            seen.append(token)

        manager = manager_with(server, store, on_refresh=hook)
        token = manager.access_token()
        assert [t.access_token for t in seen] == [token]
        on_disk = store.load()
        assert on_disk is not None and on_disk.access_token == token
        assert server.refresh_token_valid(on_disk.refresh_token)
        assert on_disk.issued_at is not None and on_disk.expires_at - on_disk.issued_at == timedelta(seconds=21600)


def test_a_failing_hook_does_not_fail_the_refresh(
    retently_server: RetentlyServer, caplog: pytest.LogCaptureFixture
) -> None:
    def hook(token: Token) -> None:
        raise RuntimeError("metrics backend down")

    manager = manager_with(retently_server, on_refresh=hook)
    token = manager.access_token()
    assert api_status(retently_server, token) == 200
    assert "on_refresh hook failed" in caplog.text


class SaveFailsOnce(MemoryStore):
    """A store whose first save fails, as on a full disk."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0

    def save(self, credentials: StoredCredentials) -> None:
        if self.failures == 0 and self.load() is not None:
            self.failures += 1
            raise StoreError("disk full")
        super().save(credentials)


def test_a_rotated_token_whose_save_failed_is_kept_and_saved_next_time() -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        store = SaveFailsOnce()
        manager = manager_with(server, store)
        before_doc = store.load()
        with pytest.raises(StoreError):
            manager.access_token()  # the server rotated; the save failed; no caller got the token
        assert store.load() is before_doc
        refreshes = server.counts["refresh_token"]
        token = manager.access_token()  # saves the kept token first: no second refresh, no invalid_grant
        assert server.counts["refresh_token"] == refreshes
        after = store.load()
        assert after is not None and after.access_token == token
        assert server.refresh_token_valid(after.refresh_token)


# invalid_grant ------------------------------------------------------------------------------------------------


class StaleFirstLoad(MemoryStore):
    """A store whose first read returns an older document, as a lagging replica would."""

    def __init__(self, old: StoredCredentials, current: StoredCredentials) -> None:
        super().__init__(current)
        self._old: StoredCredentials | None = old

    def load(self) -> StoredCredentials | None:
        if self._old is not None:
            old, self._old = self._old, None
            return old
        return super().load()


def test_invalid_grant_reloads_the_store_once_and_retries() -> None:
    with RetentlyServer(rotate_refresh_tokens=True) as server:
        client = client_for(server)
        first = client.refresh(server.issue_refresh_token())
        second = client.refresh(first.refresh_token or "")  # rotated: first's refresh token is spent
        store = StaleFirstLoad(stored(server, due(first)), stored(server, due(second)))
        manager = TokenManager(client, store)
        token = manager.access_token()
        assert server.counts["refresh_token"] == 4  # two above, the spent one, the retry
        saved = store.load()
        assert saved is not None and saved.access_token == token and server.refresh_token_valid(saved.refresh_token)


def test_invalid_grant_with_the_stored_refresh_token_requires_reauthorization(tmp_path: Path) -> None:
    with RetentlyServer() as server:
        store = FileStore(tmp_path / "creds.json")
        token = due(fresh_token(server))
        revoked = Token(
            access_token=token.access_token,
            refresh_token="revoked-refresh-token",
            expires_at=token.expires_at,
            issued_at=token.issued_at,
        )
        manager = manager_with(server, store, token=revoked)
        before = store.path.read_bytes()
        with pytest.raises(ReauthorizationRequired, match="log in again") as caught:
            manager.access_token()
        assert isinstance(caught.value.__cause__, InvalidGrant)
        assert "revoked-refresh-token" not in str(caught.value)
        assert store.path.read_bytes() == before
        assert server.counts["refresh_token"] == 2  # the setup's and the rejected one: no loop


# a failed refresh leaves the store as it was ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("html_500", ResponseFormatError),
        ("drop", TransportError),
        ("slow", TransportError),
        ("malformed_json", ResponseFormatError),
        ("invalid_grant", ReauthorizationRequired),
    ],
)
def test_failed_refresh_leaves_the_store_byte_for_byte(tmp_path: Path, fault: str, error: type[Exception]) -> None:
    with RetentlyServer(slow_seconds=1.0, rotate_refresh_tokens=True) as server:
        store = FileStore(tmp_path / "creds.json")
        token = due(fresh_token(server))
        if fault == "invalid_grant":
            token = Token(
                access_token=token.access_token,
                refresh_token="unknown-refresh-token",
                expires_at=token.expires_at,
                issued_at=token.issued_at,
            )
        else:
            server.inject(fault)
        manager = manager_with(server, store, token=token, read_timeout=0.3)
        before = store.path.read_bytes()
        started = time.monotonic()
        with pytest.raises(error):
            manager.access_token()
        assert time.monotonic() - started < 10
        assert store.path.read_bytes() == before
        assert list(tmp_path.glob(".creds.json.*.tmp")) == []
        if fault != "invalid_grant":  # the fault is gone: the same manager recovers with the same refresh token
            assert api_status(server, manager.access_token()) == 200


# constructors from credentials documents ----------------------------------------------------------------------


def documents_for(server: RetentlyServer, refresh_token: str) -> dict[str, object]:
    creds = {"client_id": server.client_id, "client_secret": server.client_secret, "refresh_token": refresh_token}
    expiry = (utcnow() + timedelta(hours=1)).isoformat()
    return {
        "SourceRetently": {"credentials": creds},
        "SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth": {"auth_type": "Client", **creds},
        "RetentlyCredentials": creds,
        "OAuth": {"type": "OAuth", **creds},
        "PropertyConnectionAuth": {
            **creds,
            "token_url": server.endpoints.token_url,
            "authorize_url": server.endpoints.authorize_url,
            "access_token": "connection-access-token",
            "expiry_date": expiry,
        },
    }


@pytest.mark.parametrize(
    "model",
    [
        "SourceRetently",
        "SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth",
        "RetentlyCredentials",
        "OAuth",
        "PropertyConnectionAuth",
    ],
)
def test_from_credentials(model: str, retently_server: RetentlyServer) -> None:
    from retently_oauth import models

    data = documents_for(retently_server, retently_server.issue_refresh_token())[model]
    document = structure(data, getattr(models, model))
    endpoints = None if model == "PropertyConnectionAuth" else retently_server.endpoints
    manager = TokenManager.from_credentials(document, endpoints=endpoints)
    if model == "PropertyConnectionAuth":  # its access token is used until its expiry_date
        assert manager.access_token() == "connection-access-token"
        assert retently_server.counts["refresh_token"] == 0
        manager.refresh()
    token = manager.access_token()
    assert api_status(retently_server, token) == 200
    assert retently_server.counts["refresh_token"] == 1


def test_default_endpoints_follow_the_provider() -> None:
    from retently_oauth import HUBSPOT, RETENTLY
    from retently_oauth.models import OAuth, RetentlyCredentials

    hubspot = TokenManager.from_credentials(OAuth(client_id="c", client_secret="s", refresh_token="r"))
    retently = TokenManager.from_credentials(RetentlyCredentials(client_id="c", client_secret="s", refresh_token="r"))
    assert hubspot.client.endpoints == HUBSPOT
    assert retently.client.endpoints == RETENTLY


def test_from_credentials_rejects_incomplete_documents() -> None:
    from retently_oauth.models import (
        PropertyConnectionAuth,
        RetentlyCredentials,
        SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken,
    )

    with pytest.raises(ArgumentError, match="lacks client_secret, refresh_token"):
        TokenManager.from_credentials(RetentlyCredentials(client_id="c"))
    with pytest.raises(ArgumentError, match="authorize_url or token_url"):
        TokenManager.from_credentials(PropertyConnectionAuth(client_id="c", client_secret="s", refresh_token="r"))
    with pytest.raises(ArgumentError, match="ApiKeyAuth"):
        TokenManager.from_credentials(SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken(api_key="k"))  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="not an OAuth credentials document"):
        TokenManager.from_credentials("client_id=c")  # type: ignore[arg-type]


def test_the_store_wins_over_a_stale_config_document(tmp_path: Path) -> None:
    """After a rotation the config file's refresh token is spent; the store's is used, not the config's."""
    from retently_oauth.models import RetentlyCredentials

    with RetentlyServer(rotate_refresh_tokens=True) as server:
        original = server.issue_refresh_token()
        config = RetentlyCredentials(
            client_id=server.client_id, client_secret=server.client_secret, refresh_token=original
        )
        store = FileStore(tmp_path / "creds.json")
        first = TokenManager.from_credentials(config, store=store, endpoints=server.endpoints)
        first.access_token()
        assert not server.refresh_token_valid(original)
        saved = store.load()
        assert saved is not None
        store.save(stored(server, due(Token.from_stored(saved))))  # hours later: due again
        again = TokenManager.from_credentials(
            config, store=FileStore(tmp_path / "creds.json"), endpoints=server.endpoints
        )
        assert api_status(server, again.access_token()) == 200


def test_an_empty_store_without_a_seed_asks_for_a_login(retently_server: RetentlyServer) -> None:
    manager = TokenManager(client_for(retently_server), MemoryStore())
    with pytest.raises(ReauthorizationRequired, match="log in first"):
        manager.access_token()
    with pytest.raises(ReauthorizationRequired, match="log in first"):
        TokenManager.from_store(MemoryStore())


def test_a_store_of_another_client_is_refused(retently_server: RetentlyServer) -> None:
    other = stored(retently_server, due(fresh_token(retently_server)))
    store = MemoryStore(structure({**_doc(other), "client_id": "another-app"}, StoredCredentials))
    with pytest.raises(ArgumentError, match="another client_id"):
        TokenManager(client_for(retently_server), store).access_token()


def _doc(credentials: StoredCredentials) -> dict[str, object]:
    from retently_oauth import unstructure

    result = unstructure(credentials)
    assert isinstance(result, dict)
    return result


@pytest.mark.parametrize("leeway", [-1, float("inf"), float("nan"), "60", True])
def test_bad_arguments(leeway: object, retently_server: RetentlyServer) -> None:
    with pytest.raises(ArgumentError, match="leeway"):
        TokenManager(client_for(retently_server), leeway=leeway)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="OAuthClient"):
        TokenManager("client")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="store must provide"):
        TokenManager(client_for(retently_server), {"token": "x"})  # type: ignore[arg-type]
