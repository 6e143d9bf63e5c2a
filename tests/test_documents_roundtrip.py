"""Every example document structures into the right class and unstructures to equal JSON."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

import retently_oauth
from retently_oauth import models

from .documents import EXAMPLES, OAUTH_CREDENTIALS, TOKEN_CREDENTIALS, without_auth_type


@pytest.mark.parametrize(("name", "doc"), EXAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXAMPLES)])
def test_round_trip(name: str, doc: dict[str, Any]) -> None:
    cls = getattr(models, name)
    obj = retently_oauth.structure(doc, cls)
    assert type(obj) is cls
    assert retently_oauth.unstructure(obj) == doc
    text = json.dumps(doc)
    assert retently_oauth.loads(text, cls) == obj
    assert retently_oauth.loads(text.encode(), cls) == obj
    assert json.loads(retently_oauth.dumps(obj)) == doc


@pytest.mark.parametrize(
    ("credentials", "variant"),
    [
        (OAUTH_CREDENTIALS, models.SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth),
        (
            without_auth_type(OAUTH_CREDENTIALS),
            models.SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth,
        ),
        (TOKEN_CREDENTIALS, models.SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken),
        (without_auth_type(TOKEN_CREDENTIALS), models.SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken),
    ],
)
def test_credentials_union_picks_the_variant(credentials: dict[str, Any], variant: type) -> None:
    config = retently_oauth.structure({"credentials": credentials}, models.SourceRetently)
    assert type(config.credentials) is variant
    direct = retently_oauth.structure(credentials, models.SourceRetentlyAuthenticationMechanism)
    assert direct == config.credentials
    assert retently_oauth.unstructure(direct) == credentials


def test_defaults_and_absent_values() -> None:
    oauth = retently_oauth.structure(
        without_auth_type(OAUTH_CREDENTIALS), models.SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth
    )
    assert oauth.auth_type == "Client"
    built = models.SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth(
        client_id="a", client_secret="b", refresh_token="c"
    )
    assert retently_oauth.unstructure(built) == {
        "client_id": "a",
        "client_secret": "b",
        "refresh_token": "c",
        "auth_type": "Client",
    }
    creds = retently_oauth.structure({"client_id": None}, models.RetentlyCredentials)
    assert creds.client_id is None
    assert creds.client_secret is models.UNSET
    assert not models.UNSET


def test_typed_values() -> None:
    auth = retently_oauth.structure(
        {"expiry_date": "2026-11-23", "refresh_token_expires_date": "2026-11-23T10:00:00+01:00", "meta": {"a": 1}},
        models.PropertyConnectionAuth,
    )
    assert auth.expiry_date == datetime(2026, 11, 23, tzinfo=timezone.utc)
    assert auth.refresh_token_expires_date is not None
    assert auth.refresh_token_expires_date.utcoffset() is not None
    assert isinstance(auth.meta, models.PropertyPropertyConnectionAuthMeta)
    assert auth.meta.additional_properties == {"a": 1}
    hub = retently_oauth.structure(
        {"client_id": "c", "client_secret": "s", "refresh_token": "r", "type": "OAuth"}, models.OAuth
    )
    assert hub.type is models.Type.OAuth


def test_converter_can_be_copied_and_extended() -> None:
    converter = retently_oauth.converter.copy()
    token = converter.structure(TOKEN_CREDENTIALS, models.SourceRetentlyAuthenticationMechanism)
    assert converter.unstructure(token) == TOKEN_CREDENTIALS
    converter.register_unstructure_hook(models.ErrorResponse, lambda e: {"code": e.error})
    assert converter.unstructure(models.ErrorResponse(error="x")) == {"code": "x"}
    assert retently_oauth.unstructure(models.ErrorResponse(error="x")) == {"error": "x"}


@pytest.mark.parametrize(
    ("text", "micro"),
    [
        ("2026-11-23T10:00:00.1Z", 100000),
        ("2026-11-23T10:00:00.1234Z", 123400),
        ("2026-11-23t10:00:00.123456789z", 123456),
    ],
)
def test_date_times_take_any_fraction_on_every_python(text: str, micro: int) -> None:
    """RFC 3339 allows any number of fraction digits; Python 3.10's fromisoformat alone takes only 3 or 6."""
    base = {"client_id": "c", "client_secret": "s", "token_url": "t", "access_token": "a", "refresh_token": "r"}
    stored = retently_oauth.structure({**base, "expires_at": text}, models.StoredCredentials)
    assert stored.expires_at == datetime(2026, 11, 23, 10, 0, 0, micro, tzinfo=timezone.utc)
