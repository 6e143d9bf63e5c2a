"""No secret value shows in repr, str or a DocumentError message of any document."""

from __future__ import annotations

from typing import Any

import pytest

import retently_oauth
from retently_oauth import DocumentError, models

SECRET = "s3cr3t-VALUE-7f1e"


def secret_docs() -> list[tuple[Any, dict[str, Any]]]:
    return [
        (
            models.SourceRetently,
            {
                "credentials": {"client_id": "cid", "client_secret": SECRET, "refresh_token": SECRET + "r"},
                "password": SECRET,
            },
        ),
        (models.SourceRetently, {"credentials": {"api_key": SECRET, "auth_type": "Token"}}),
        (models.RetentlyCredentials, {"client_secret": SECRET, "refresh_token": SECRET}),
        (models.OAuth, {"client_id": "c", "client_secret": SECRET, "refresh_token": SECRET}),
        (models.TokenResponse, {"access_token": SECRET, "refresh_token": SECRET, "id_token": SECRET}),
        (
            models.PropertyConnectionAuth,
            {
                "access_token": SECRET,
                "client_secret": SECRET,
                "consumer_secret": SECRET,
                "dev_api_key": SECRET,
                "key": SECRET,
                "pem": SECRET,
                "refresh_token": SECRET,
                "token": SECRET,
                "other_auth_info": [SECRET],
                "meta": {"password": SECRET},
            },
        ),
        (models.AuthorizationCallback, {"code": SECRET, "state": "st"}),
        (
            models.AuthorizationCodeTokenRequest,
            {"client_id": "c", "client_secret": SECRET, "redirect_uri": "r", "code": SECRET, "code_verifier": SECRET},
        ),
        (
            models.RefreshTokenRequest,
            {"client_id": "c", "client_secret": SECRET, "redirect_uri": "r", "refresh_token": SECRET},
        ),
        (
            models.StoredCredentials,
            {
                "client_id": "c",
                "client_secret": SECRET,
                "token_url": "t",
                "access_token": SECRET,
                "refresh_token": SECRET,
                "expires_at": "2026-01-01T00:00:00Z",
            },
        ),
    ]


@pytest.mark.parametrize(("cls", "doc"), secret_docs())
def test_repr_and_str_hide_secrets(cls: Any, doc: dict[str, Any]) -> None:
    obj = retently_oauth.structure(doc, cls)
    assert SECRET not in repr(obj)
    assert SECRET not in str(obj)
    assert "'***'" in repr(obj)
    assert retently_oauth.unstructure(obj) == doc  # the value is kept, only hidden


@pytest.mark.parametrize(("cls", "doc"), secret_docs())
def test_document_errors_hide_secrets(cls: Any, doc: dict[str, Any]) -> None:
    def corrupt(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: corrupt(v) for k, v in value.items()}
        if isinstance(value, list):
            return [corrupt(v) for v in value]
        return {"wrapped": value} if isinstance(value, str) and SECRET in value else value

    broken = corrupt(doc)
    with pytest.raises(DocumentError) as info:
        retently_oauth.structure(broken, cls)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)


def test_every_secret_field_is_masked() -> None:
    """Each writeOnly field of every class is masked by its repr."""
    import attrs
    from retently_oauth_models._runtime import secret_repr

    checked = 0
    for name in models.__all__:
        cls = getattr(models, name)
        if not attrs.has(cls):
            continue
        for field in attrs.fields(cls):
            if field.name in {"client_secret", "refresh_token", "access_token", "code", "api_key", "token", "pem"}:
                assert field.repr is secret_repr, f"{name}.{field.name}"
                checked += 1
    assert checked >= 20
