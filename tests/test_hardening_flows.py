"""Issue 9 regressions in the flows, tokens and documents: overflowing lifetimes, huge JSON numbers, lone
surrogates, repeated callback parameters, unverified error redirects, token types, empty or missing tokens, and
server text that repeats our secrets. Every token endpoint here is a real server on 127.0.0.1."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import quote, quote_plus

import pytest
from pytest_httpserver import HTTPServer
from retently_oauth_models import STRUCTURERS
from werkzeug import Request, Response

import retently_oauth
from retently_oauth import exceptions, models, tokens
from retently_oauth.endpoints import Endpoints
from retently_oauth.exceptions import (
    AuthorizationDenied,
    CallbackError,
    DocumentError,
    InvalidGrant,
    OAuthError,
    ResponseFormatError,
    RetentlyOAuthError,
    StateMismatch,
)
from retently_oauth.flows import OAuthClient
from retently_oauth.tokens import Token, utcnow
from retently_oauth.transport import Transport, TransportConfig

FAST = TransportConfig(read_timeout=2, retries=0)
STATE = "state-0123456789"


def client_at(server: HTTPServer, secret: str = "client-secret-value") -> OAuthClient:
    url = server.url_for("/token")
    return OAuthClient("cid", secret, "http://127.0.0.1/cb", endpoints=Endpoints(url, url), transport=Transport(FAST))


def answer(server: HTTPServer, body: object, status: int = 200) -> None:
    server.clear()
    text = body if isinstance(body, str) else json.dumps(body)
    server.expect_request("/token").respond_with_data(text, status=status, content_type="application/json")


# item 6: lifetimes and numbers that overflow -------------------------------------------------------------------


@pytest.mark.parametrize("expires_in", [300000000000, 10**30, 999999999 * 86400])
def test_a_huge_expires_in_is_clamped_not_an_overflow(httpserver: HTTPServer, expires_in: int) -> None:
    """A lifetime past year 9999 is cut to MAX_LIFETIME (ten years), for both grants."""
    client = client_at(httpserver)
    answer(httpserver, {"access_token": "at-1", "refresh_token": "rt-1", "expires_in": expires_in})
    before = utcnow()
    for token in (client.refresh("rt-0"), client.exchange_code("code-1")):
        assert token.access_token == "at-1"
        assert token.expires_at is not None
        longest = timedelta(seconds=tokens.MAX_LIFETIME)
        assert before + longest <= token.expires_at <= utcnow() + longest
        assert not token.expires_within(86400 * 365)


@pytest.mark.parametrize(
    "expires_in", ["-300000000000", "-1", "1e400", "-1e400", "NaN", "Infinity", "1.5", "true", '"60"']
)
def test_a_negative_or_non_integer_expires_in_is_a_response_format_error(
    httpserver: HTTPServer, expires_in: str
) -> None:
    client = client_at(httpserver)
    answer(httpserver, '{"access_token": "at-1", "refresh_token": "rt-1", "expires_in": ' + expires_in + "}")
    calls: list[Callable[[], Token]] = [lambda: client.refresh("rt-0"), lambda: client.exchange_code("code-1")]
    for call in calls:
        with pytest.raises(ResponseFormatError, match="expires_in"):
            call()


def test_a_token_far_in_the_future_never_overflows() -> None:
    """A stored token may say year 9999; asking about it is no OverflowError."""
    token = Token(access_token="a", expires_at=utcnow().replace(year=9999, month=12, day=31))
    assert token.expires_within(10**12)
    assert not token.expires_within(-(10**12))
    assert not token.expires_within(86400 * 365)
    assert token.lifetime is None


DOCUMENT_NAMES = sorted(name for name in models.__all__ if getattr(models, name) in STRUCTURERS)


def test_every_document_class_is_swept() -> None:
    assert "TokenResponse" in DOCUMENT_NAMES and "SourceRetentlyAuthenticationMechanism" in DOCUMENT_NAMES


@pytest.mark.parametrize("name", DOCUMENT_NAMES)
def test_a_json_integer_over_4300_digits_is_a_document_error_for_every_model(name: str) -> None:
    cls = getattr(models, name)
    huge = "9" * 5000
    for text in (huge, f'{{"expires_in": {huge}}}', f'{{"a": [{huge}]}}', f"-{huge}"):
        with pytest.raises(DocumentError) as caught:
            retently_oauth.loads(text, cls)
        assert "digits" in str(caught.value)
        with pytest.raises(DocumentError):
            retently_oauth.loads(text.encode(), cls)


def test_a_token_response_with_a_huge_integer_is_a_response_format_error(httpserver: HTTPServer) -> None:
    client = client_at(httpserver)
    answer(httpserver, '{"access_token": "at-1", "expires_in": ' + "7" * 5000 + "}")
    with pytest.raises(ResponseFormatError):
        client.refresh("rt-0")


@pytest.mark.parametrize(
    ("url", "state"),
    [
        ("http://127.0.0.1/cb?code=c1&state=\ud800", STATE),
        ("http://127.0.0.1/cb?code=\udfff&state=" + STATE, STATE),
        ("http://127.0.0.1/cb\ud83d?code=c1&state=" + STATE, STATE),
        ("http://127.0.0.1/cb?code=c1&state=" + STATE, "\ud800" + STATE),
        ("http://127.0.0.1/cb?code=c1&state=\ud800", "\ud800"),
    ],
)
def test_a_lone_surrogate_is_a_callback_error(url: str, state: str) -> None:
    client = OAuthClient("cid", "secret", "http://127.0.0.1/cb")
    with pytest.raises(CallbackError):
        client.parse_callback(url, expected_state=state)


# item 14: callback parameters, token types, empty and missing tokens ------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        f"code=c1&code=c2&state={STATE}",
        f"code=c1&state={STATE}&state={STATE}",
        f"state=evil&state={STATE}&code=c1",
        f"code=c1&state={STATE}&error=access_denied&error=x",
        f"code=c1&code=c1&state={STATE}",
    ],
)
def test_a_repeated_callback_parameter_is_refused(query: str) -> None:
    client = OAuthClient("cid", "secret", "http://127.0.0.1/cb")
    with pytest.raises(CallbackError, match="more than once"):
        client.parse_callback(f"http://127.0.0.1/cb?{query}", expected_state=STATE)


@pytest.mark.parametrize(
    "query",
    [
        "error=access_denied&error_description=Call+%2B1-555-0100+to+restore+access",
        "error=access_denied&state=not-ours",
        "error=server_error&state=",
    ],
)
def test_an_error_redirect_without_our_state_is_a_state_mismatch(query: str) -> None:
    client = OAuthClient("cid", "secret", "http://127.0.0.1/cb")
    with pytest.raises(StateMismatch) as caught:
        client.parse_callback(f"http://127.0.0.1/cb?{query}", expected_state=STATE)
    assert "555" not in str(caught.value) and not isinstance(caught.value, AuthorizationDenied)


def test_an_error_redirect_with_our_state_is_authorization_denied_with_printable_text() -> None:
    client = OAuthClient("cid", "secret", "http://127.0.0.1/cb")
    url = f"http://127.0.0.1/cb?error=access_denied&error_description=no%1b%5B2J%07way&state={STATE}"
    with pytest.raises(AuthorizationDenied) as caught:
        client.parse_callback(url, expected_state=STATE)
    assert caught.value.error == "access_denied"
    assert "\x1b" not in str(caught.value) and "\x07" not in str(caught.value)
    assert caught.value.error_description is not None and "\x1b" not in caught.value.error_description


@pytest.mark.parametrize("token_type", ["mac", "DPoP", "", "Bearer ", "N_A"])
def test_a_token_type_other_than_bearer_is_refused(httpserver: HTTPServer, token_type: str) -> None:
    client = client_at(httpserver)
    answer(httpserver, {"access_token": "at-1", "refresh_token": "rt-1", "token_type": token_type})
    with pytest.raises(ResponseFormatError, match="token_type"):
        client.refresh("rt-0")


@pytest.mark.parametrize("token_type", ["Bearer", "bearer", "BEARER", None])
def test_bearer_in_any_case_or_no_token_type_is_bearer(httpserver: HTTPServer, token_type: str | None) -> None:
    client = client_at(httpserver)
    body: dict[str, object] = {"access_token": "at-1", "refresh_token": "rt-1"}
    if token_type is not None:
        body["token_type"] = token_type
    answer(httpserver, body)
    assert client.refresh("rt-0").token_type == "Bearer"
    body["token_type"] = None
    answer(httpserver, body)
    assert client.refresh("rt-0").token_type == "Bearer"


def test_a_token_of_another_type_cannot_be_built_or_reloaded() -> None:
    with pytest.raises(retently_oauth.ArgumentError):
        Token(access_token="a", token_type="mac")
    assert Token(access_token="a", token_type="bearer").token_type == "Bearer"
    stored = retently_oauth.structure(
        {
            "client_id": "c",
            "client_secret": "s",
            "token_url": "https://x.example/t",
            "access_token": "a",
            "refresh_token": "r",
            "expires_at": "2030-01-01T00:00:00Z",
            "token_type": "mac",
        },
        models.StoredCredentials,
    )
    with pytest.raises(RetentlyOAuthError, match="token_type"):
        Token.from_stored(stored)


@pytest.mark.parametrize("access_token", ['""', "null", "5", "[]", '"a b"', '"tok\\n"', '"t\\u00e9"'])
def test_an_empty_or_missing_access_token_is_refused(httpserver: HTTPServer, access_token: str) -> None:
    client = client_at(httpserver)
    answer(httpserver, '{"access_token": ' + access_token + ', "refresh_token": "rt-1", "expires_in": 60}')
    calls: list[Callable[[], Token]] = [lambda: client.refresh("rt-0"), lambda: client.exchange_code("code-1")]
    for call in calls:
        with pytest.raises(ResponseFormatError, match="access_token"):
            call()
    with pytest.raises(retently_oauth.ArgumentError):
        Token(access_token="")


def test_an_exchange_without_a_refresh_token_keeps_the_access_token(httpserver: HTTPServer) -> None:
    client = client_at(httpserver)
    answer(httpserver, {"access_token": "at-only", "expires_in": 3600, "token_type": "Bearer"})
    token = client.exchange_code("code-1")
    assert token.access_token == "at-only" and token.refresh_token is None and not token.refreshable
    assert token.expires_at is not None and not token.expires_within(3000)
    with pytest.raises(exceptions.NoRefreshToken, match="no refresh token") as caught:
        token.to_stored(client_id="cid", client_secret="s", token_url="https://x.example/t", redirect_uri=None)
    assert not isinstance(caught.value, retently_oauth.ArgumentError)
    answer(httpserver, {"access_token": "at-2", "refresh_token": ""})
    assert client.refresh("rt-0").refresh_token == "rt-0"  # an empty one is no refresh token: keep ours


# item 12: server text that repeats our secrets ------------------------------------------------------------------

SECRET = "Zq7#Lm2!Xv9$Kp4@ é/+&="
"""Short runs of token characters, a space, '/', '+', '&', '=' and a non-ASCII letter: every encoding differs."""
REFRESH = "rT/9+x y%Q=ü&Wk3"
CODE = "cd#1 !é+/=?ok"
VERIFIER = "vf~2.x_Y-9" + "q" * 33
CORES = ("Lm2!Xv9$Kp4", "9+x y%Q=ü", "1 !é+/=?", "2.x_Y-9qqq")
"""A middle part of each secret: a cut or partly masked echo must not show it either."""


def encodings(secret: str) -> list[str]:
    """The forms a server may echo a secret in."""
    pct = quote(secret, safe="")
    return [
        secret,
        pct,
        re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), pct),
        quote_plus(secret),
        re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote_plus(secret)),
        quote(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        re.sub(r"\\u[0-9a-f]{4}", lambda m: m.group(0).upper().replace("\\U", "\\u"), json.dumps(secret)[1:-1]),
    ]


def echo(request: Request) -> Response:
    """A hostile token endpoint: repeats the form it got, decoded and encoded, in every kind of answer."""
    body = request.get_data(as_text=True)
    values = [v for _, v in request.form.items(multi=True)]
    echoed = " ".join([body, *values, *(json.dumps(v)[1:-1] for v in values), json.dumps(body)])
    mode = echo.mode  # type: ignore[attr-defined]
    if mode == "oauth":
        doc = {"error": "invalid_grant", "error_description": f"refresh token {echoed} is revoked"}
        return Response(json.dumps(doc), 400, content_type="application/json")
    if mode == "oauth-error-code":
        return Response(json.dumps({"error": echoed}), 400, content_type="application/json")
    if mode == "html":
        return Response(f"<html><body><pre>{echoed}</pre></body></html>", 500, content_type="text/html")
    if mode == "malformed":
        return Response('{"access_token": "x", "echo": "' + echoed, 200, content_type="application/json")
    if mode == "wrong-types":
        wrong: dict[str, object] = {"access_token": 5, json.dumps(values): 1, "echo": echoed}
        return Response(json.dumps(wrong), 200, content_type="application/json")
    if mode == "token-type":
        doc = {"access_token": "at", "token_type": echoed}
        return Response(json.dumps(doc), 200, content_type="application/json")
    return Response(f"bad gateway {echoed}", 502, content_type="text/plain")


ECHO_MODES = ["oauth", "oauth-error-code", "html", "malformed", "wrong-types", "token-type", "plain"]


@pytest.mark.parametrize("mode", ECHO_MODES)
def test_server_text_repeating_our_secrets_is_redacted_in_every_encoding(httpserver: HTTPServer, mode: str) -> None:
    echo.mode = mode  # type: ignore[attr-defined]
    httpserver.expect_request("/token").respond_with_handler(echo)
    client = client_at(httpserver, secret=SECRET)
    messages: list[str] = []
    calls: list[Callable[[], Token]] = [
        lambda: client.refresh(REFRESH),
        lambda: client.exchange_code(CODE, code_verifier=VERIFIER),
    ]
    for call in calls:
        with pytest.raises(RetentlyOAuthError) as caught:
            call()
        exc = caught.value
        messages += [str(exc), repr(exc), *(str(v) for v in vars(exc).values())]
    text = "\n".join(messages)
    for secret in (SECRET, REFRESH, CODE, VERIFIER, *CORES):
        for form in encodings(secret):
            assert form not in text, (mode, form)


def test_an_error_description_naming_the_refresh_token_does_not_show_it(httpserver: HTTPServer) -> None:
    client = client_at(httpserver)
    answer(httpserver, {"error": "invalid_grant", "error_description": "refresh token SECRETRT123456 is revoked"}, 400)
    with pytest.raises(InvalidGrant) as caught:
        client.refresh("SECRETRT123456")
    assert "SECRETRT123456" not in str(caught.value)
    assert caught.value.error_description == "refresh token *** is revoked"
    # and a description that repeats no secret is kept as it came (token-like words included)
    answer(httpserver, {"error": "invalid_grant", "error_description": "authorization_code expired (RFC6749)"}, 400)
    with pytest.raises(OAuthError) as plain:
        client.refresh("SECRETRT123456")
    assert plain.value.error_description == "authorization_code expired (RFC6749)"


def test_an_error_code_named_code_in_the_response_is_not_masked(httpserver: HTTPServer) -> None:
    client = client_at(httpserver)
    answer(httpserver, {"error": "invalid_grant", "code": "invalid_grant", "error_description": "expired"}, 400)
    with pytest.raises(InvalidGrant) as caught:
        client.refresh("rt-0123")
    assert caught.value.error == "invalid_grant" and str(caught.value) == "invalid_grant: expired (HTTP 400)"


def test_a_megabyte_error_description_is_cut_and_redacted(httpserver: HTTPServer) -> None:
    client = client_at(httpserver, secret="cs#0123 secret")
    description = "cs%230123+secret " + "x " * 500_000 + "cs#0123 secret"
    answer(httpserver, {"error": "invalid_client", "error_description": description}, 401)
    with pytest.raises(OAuthError) as caught:
        client.refresh("rt-0123")
    assert caught.value.error_description is not None and len(caught.value.error_description) <= 500
    assert caught.value.error_description.startswith("*** x x")
    assert "cs#0123" not in str(caught.value)


def test_arguments_no_encoder_can_take_are_argument_errors(httpserver: HTTPServer) -> None:
    """A lone surrogate in a secret, a code or a refresh token is an ArgumentError, not a UnicodeEncodeError from
    the form encoder; a redirect_uri urllib cannot split is an ArgumentError, not a ValueError."""
    with pytest.raises(retently_oauth.ArgumentError):
        OAuthClient("cid", "secret\ud800", "http://127.0.0.1/cb")
    with pytest.raises(retently_oauth.ArgumentError):
        OAuthClient("cid", "secret", "http://[::1/cb")
    with pytest.raises(retently_oauth.ArgumentError):
        OAuthClient("cid", "secret", "http://127.0.0.1/cb\udc00")
    client = client_at(httpserver)
    answer(httpserver, {"access_token": "at-1", "refresh_token": "rt-1"})
    calls: list[Callable[[], Token]] = [
        lambda: client.refresh("rt\ud800"),
        lambda: client.exchange_code("c\udfff"),
        lambda: client.exchange_code("code", code_verifier="v\ud800"),
    ]
    for call in calls:
        with pytest.raises(retently_oauth.ArgumentError, match="lone surrogate"):
            call()
    assert len(httpserver.log) == 0


def test_an_authorization_url_with_a_lone_surrogate_is_an_argument_error() -> None:
    client = OAuthClient("cid", "secret", "http://127.0.0.1/cb")
    with pytest.raises(retently_oauth.ArgumentError):
        client.authorize_url(state="s\ud800")
    with pytest.raises(retently_oauth.ArgumentError):
        client.authorize_url(scope="read\udfff")
    assert client.authorize_url(scope="read write").url


@pytest.mark.parametrize("member", ['"refresh_token": "r\\ud800t"', '"scope": "read \\udfff"'])
def test_a_lone_surrogate_in_a_granted_token_is_a_response_format_error(httpserver: HTTPServer, member: str) -> None:
    """A JSON escape can carry a lone surrogate; such a token could be neither sent back nor stored."""
    client = client_at(httpserver)
    answer(httpserver, '{"access_token": "at-1", ' + member + "}")
    with pytest.raises(ResponseFormatError, match="not valid Unicode"):
        client.refresh("rt-0")


def test_errors_built_from_server_text_are_printable_and_bounded() -> None:
    """Defence in depth: whoever builds these errors, their text is safe on a terminal."""
    oauth = OAuthError("bad\x1b[2J\ud800", "line\nbreak\x07" + "x" * 5000, status=400)
    denied = AuthorizationDenied("access_denied\x1b]0;title\x07", "\u202eevil")
    for exc in (oauth, denied):
        text = str(exc)
        text.encode("utf-8")
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "\n" not in text
    assert oauth.error_description is not None and len(oauth.error_description) <= 500
