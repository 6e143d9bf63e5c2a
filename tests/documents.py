"""Example documents from the source documents (../shared/seeds), one or more per model."""

from __future__ import annotations

from typing import Any

# The Retently OAuth guide's token responses and error response.
TOKEN_RESPONSE = {
    "access_token": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    "refresh_token": "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
    "expires_in": 21600,
}
REFRESH_RESPONSE = {
    "access_token": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    "refresh_token": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
    "expires_in": 21600,
}
ERROR_RESPONSE = {"error": "error_code", "error_description": "A human readable error message"}

OAUTH_CREDENTIALS = {
    "auth_type": "Client",
    "client_id": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    "client_secret": "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
    "refresh_token": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
}
TOKEN_CREDENTIALS = {"auth_type": "Token", "api_key": "kkkkkkkk-kkkk"}


def without_auth_type(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "auth_type"}


# (model name, document) pairs that must round-trip to equal JSON.
EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("TokenResponse", TOKEN_RESPONSE),
    ("TokenResponse", REFRESH_RESPONSE),
    ("TokenResponse", {**TOKEN_RESPONSE, "token_type": "Bearer", "scope": None, "id_token": {"x": [1, 2.5]}}),
    ("TokenResponse", {"access_token": "a"}),
    ("ErrorResponse", ERROR_RESPONSE),
    ("ErrorResponse", {"error": "invalid_grant", "error_description": None, "hint": "log in again"}),
    ("SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth", OAUTH_CREDENTIALS),
    ("SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth", without_auth_type(OAUTH_CREDENTIALS)),
    ("SourceRetentlyAuthenticationMechanismAuthenticateWithAPIToken", TOKEN_CREDENTIALS),
    ("SourceRetently", {"credentials": OAUTH_CREDENTIALS}),
    ("SourceRetently", {"credentials": without_auth_type(OAUTH_CREDENTIALS)}),
    ("SourceRetently", {"credentials": TOKEN_CREDENTIALS}),
    ("SourceRetently", {"credentials": without_auth_type(TOKEN_CREDENTIALS)}),
    (
        "SourceRetently",
        {"credentials": {**OAUTH_CREDENTIALS, "x-extra": {"nested": True}}, "start_date": "2024-01-01"},
    ),
    ("SourceRetently", {"credentials": {**without_auth_type(TOKEN_CREDENTIALS), "note": 1}, "n": None}),
    ("RetentlyCredentials", {"client_id": "a", "client_secret": "b", "refresh_token": "c"}),
    ("RetentlyCredentials", {"client_id": None}),
    ("RetentlyCredentials", {}),
    ("OAuth", {"client_id": "h", "client_secret": "s", "refresh_token": "r", "type": "OAuth"}),
    ("OAuth", {"client_id": "h", "client_secret": "s", "refresh_token": "r", "portal": 42}),
    (
        "PropertyConnectionAuth",
        {
            "access_token": "at",
            "api_url": "https://api.example.com",
            "app_id": "app",
            "authorize_url": "https://app.retently.com/api/oauth/authorize",
            "client_id": "cid",
            "client_secret": "cs",
            "consumer_key": "ck",
            "consumer_secret": "csec",
            "dev_api_key": "dev",
            "emails": ["a@example.com", "b@example.com"],
            "expires_in": 21600,
            "expiry_date": "2026-11-23T14:16:00Z",
            "key": "k",
            "meta": {"plan": "pro", "seats": 3},
            "name": "Retently",
            "other_auth_info": ["one", "two"],
            "pem": "-----BEGIN-----",
            "refresh_token": "rt",
            "refresh_token_expires_date": "2027-01-01T00:00:00+02:00",
            "refresh_token_expires_in": 1.5,
            "state": "st",
            "token": "tok",
            "token_url": "https://app.retently.com/api/oauth/token",
        },
    ),
    ("PropertyConnectionAuth", {"expires_in": 3600.5, "unknown_future_field": [1]}),
    ("AuthorizationRequest", {"client_id": "c", "redirect_uri": "https://www.example.com/", "response_type": "code"}),
    (
        "AuthorizationRequest",
        {
            "client_id": "c",
            "redirect_uri": "http://127.0.0.1:8000/callback",
            "state": "s",
            "scope": "read",
            "code_challenge": "abc",
            "code_challenge_method": "S256",
        },
    ),
    ("AuthorizationCallback", {"code": "xxxx"}),
    ("AuthorizationCallback", {"error": "error_code", "error_description": "A human readable error message"}),
    (
        "AuthorizationCodeTokenRequest",
        {
            "grant_type": "authorization_code",
            "client_id": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
            "client_secret": "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
            "redirect_uri": "https://www.example.com/",
            "code": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
        },
    ),
    (
        "RefreshTokenRequest",
        {
            "grant_type": "refresh_token",
            "client_id": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
            "client_secret": "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
            "redirect_uri": "http://www.example.com/",
            "refresh_token": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
        },
    ),
    (
        "StoredCredentials",
        {
            "client_id": "c",
            "client_secret": "s",
            "redirect_uri": "http://127.0.0.1/callback",
            "token_url": "https://app.retently.com/api/oauth/token",
            "access_token": "a",
            "refresh_token": "r",
            "expires_at": "2026-11-23T14:16:00.123456Z",
        },
    ),
]
