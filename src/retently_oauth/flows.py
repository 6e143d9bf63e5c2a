"""The OAuth flows of Retently's guide: authorization URL, callback, code exchange and refresh."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

import attrs
from retently_oauth_models._runtime import secret_repr

from . import documents
from .endpoints import RETENTLY, Endpoints
from .exceptions import (
    ArgumentError,
    AuthorizationDenied,
    CallbackError,
    DocumentError,
    ResponseFormatError,
    StateMismatch,
    oauth_error,
)
from .models import (
    AuthorizationCallback,
    AuthorizationCodeTokenRequest,
    AuthorizationRequest,
    CodeChallengeMethod,
    ErrorResponse,
    RefreshTokenRequest,
    TokenResponse,
)
from .tokens import Token, utcnow
from .transport import Response, Transport, excerpt

log = logging.getLogger("retently_oauth.flows")

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=utf-8"

_FORM_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")


def form_encode(form: Mapping[str, str]) -> bytes:
    """The `application/x-www-form-urlencoded` body of `form`: `urlencode`'s bytes, at a third of its cost.

    Names and values made only of unreserved characters (client ids, most tokens) are used as they are; the rest
    go through `quote_plus`. A refresh is mostly this and a round trip, so it is worth the few lines.
    """
    fullmatch = _FORM_SAFE.fullmatch
    return "&".join(
        f"{k if fullmatch(k) else quote_plus(k)}={v if fullmatch(v) else quote_plus(v)}" for k, v in form.items()
    ).encode("ascii")


@attrs.frozen
class AuthorizationURL:
    """Where to send the user, and what to keep until the callback: the state and the PKCE verifier."""

    url: str
    state: str
    code_verifier: str | None = attrs.field(default=None, repr=secret_repr)


def pkce_pair() -> tuple[str, str]:
    """A PKCE (RFC 7636) verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuthClient:
    """A registered OAuth application talking to one provider's endpoints.

    `redirect_uri` is needed to authorize and exchange a code; a client that only refreshes may go without (the
    refresh form then leaves it out).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        redirect_uri: str | None = None,
        *,
        endpoints: Endpoints = RETENTLY,
        transport: Transport | None = None,
    ) -> None:
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if not isinstance(value, str) or not value:
                raise ArgumentError(f"{name} must be a non-empty string")
        if redirect_uri is not None and (not isinstance(redirect_uri, str) or not urlsplit(redirect_uri).scheme):
            raise ArgumentError("redirect_uri must be an absolute URL")
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.endpoints = endpoints
        self.transport = transport or Transport()

    @property
    def client_secret(self) -> str:
        return self._client_secret

    def __repr__(self) -> str:
        return f"OAuthClient(client_id={self.client_id!r}, client_secret='***', endpoints={self.endpoints!r})"

    # step 1 ---------------------------------------------------------------------------------------------------

    def authorize_url(
        self, *, state: str | None = None, scope: str | None = None, pkce: bool = False
    ) -> AuthorizationURL:
        """The authorization page URL: client_id, redirect_uri, response_type=code, state, optional scope/PKCE."""
        redirect_uri = self._require_redirect_uri("an authorization URL")
        state = state or secrets.token_urlsafe(24)
        verifier = challenge = None
        if pkce:
            verifier, challenge = pkce_pair()
        request = AuthorizationRequest(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            state=state,
            scope=scope,
            code_challenge=challenge,
            code_challenge_method=CodeChallengeMethod.S256 if pkce else None,
        )
        query = urlencode(documents.unstructure(request))
        base = self.endpoints.authorize_url
        separator = "&" if urlsplit(base).query else "?"
        return AuthorizationURL(url=f"{base}{separator}{query}", state=state, code_verifier=verifier)

    # step 2 ---------------------------------------------------------------------------------------------------

    def parse_callback(self, url: str, *, expected_state: str) -> str:
        """The code from the redirect URL, after checking `state` in constant time.

        Raises AuthorizationDenied for an `error` redirect, StateMismatch for a missing or different state, and
        CallbackError for a redirect with neither code nor error.
        """
        if not isinstance(url, str):
            raise ArgumentError(f"callback URL must be a string, got {type(url).__name__}")
        if not isinstance(expected_state, str) or not expected_state:
            raise ArgumentError("expected_state must be the non-empty state sent in the authorization URL")
        try:
            query = urlsplit(url).query
        except ValueError:
            raise CallbackError("the callback URL is malformed") from None
        params: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            params.setdefault(key, value)
        callback = documents.structure(params, AuthorizationCallback)
        if callback.error is not None:
            raise AuthorizationDenied(callback.error, callback.error_description)
        if callback.state is None:
            raise StateMismatch("the callback carries no state: refusing it (possible CSRF)")
        if not hmac.compare_digest(callback.state.encode(), expected_state.encode()):
            raise StateMismatch("the callback's state does not match the one sent (possible CSRF)")
        if not callback.code:
            raise CallbackError("the callback carries neither a code nor an error")
        return callback.code

    # steps 3 and 4 --------------------------------------------------------------------------------------------

    def exchange_code(self, code: str, *, code_verifier: str | None = None) -> Token:
        """Exchanges an authorization code for tokens (grant_type=authorization_code)."""
        if not isinstance(code, str) or not code:
            raise ArgumentError("code must be a non-empty string")
        form = AuthorizationCodeTokenRequest(
            client_id=self.client_id,
            client_secret=self._client_secret,
            redirect_uri=self._require_redirect_uri("a code exchange"),
            code=code,
            code_verifier=code_verifier,
        )
        return self._token_request(documents.unstructure(form), previous_refresh_token=None)

    def refresh(self, refresh_token: str) -> Token:
        """A new access token from a refresh token; keeps `refresh_token` when the response names none."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise ArgumentError("refresh_token must be a non-empty string")
        form = RefreshTokenRequest(
            client_id=self.client_id,
            client_secret=self._client_secret,
            redirect_uri=self.redirect_uri,
            refresh_token=refresh_token,
        )
        return self._token_request(documents.unstructure(form), previous_refresh_token=refresh_token)

    def _require_redirect_uri(self, what: str) -> str:
        if self.redirect_uri is None:
            raise ArgumentError(f"{what} needs the client's redirect_uri")
        return self.redirect_uri

    def _token_request(self, form: dict[str, str], *, previous_refresh_token: str | None) -> Token:
        requested_at = utcnow()
        response = self.transport.request(
            "POST",
            self.endpoints.token_url,
            headers={"Content-Type": FORM_CONTENT_TYPE},
            body=form_encode(form),
        )
        token_response = parse_token_response(response)
        log.debug("token endpoint granted a token (grant_type=%s)", form.get("grant_type"))
        return Token.from_response(
            token_response, requested_at=requested_at, previous_refresh_token=previous_refresh_token
        )


def parse_token_response(response: Response) -> TokenResponse:
    """The token response of a 200, the declared OAuth error of a 4xx, else ResponseFormatError."""
    try:
        data = json.loads(response.body) if response.body else None
    except (ValueError, RecursionError):
        data = None
        if response.status == 200:
            raise ResponseFormatError(
                "token endpoint answered with malformed JSON", status=response.status, excerpt=excerpt(response.body)
            ) from None
    if response.status == 200:
        try:
            return documents.structure(data, TokenResponse)
        except DocumentError as exc:
            problems = "; ".join(str(p) for p in exc.problems)
            raise ResponseFormatError(f"token response is not the documented JSON: {problems}", status=200) from None
    if isinstance(data, dict) and "error" in data:
        try:
            error = documents.structure(data, ErrorResponse)
        except DocumentError:
            pass
        else:
            description = error.error_description if isinstance(error.error_description, str) else None
            raise oauth_error(error.error, description, response.status)
    raise ResponseFormatError(
        "token endpoint answered with an error that is not OAuth JSON",
        status=response.status,
        excerpt=excerpt(response.body),
    )
