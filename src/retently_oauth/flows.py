"""The OAuth flows of Retently's guide: authorization URL, callback, code exchange and refresh."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

import attrs
from retently_oauth_models._runtime import secret_repr

from . import documents
from .endpoints import RETENTLY, Endpoints, check_redirect_uri
from .exceptions import (
    OAUTH_ERRORS,
    ArgumentError,
    AuthorizationDenied,
    CallbackError,
    DocumentError,
    OAuthError,
    ResponseFormatError,
    StateMismatch,
)
from .models import (
    UNSET,
    AuthorizationCallback,
    AuthorizationCodeTokenRequest,
    AuthorizationRequest,
    CodeChallengeMethod,
    ErrorResponse,
    RefreshTokenRequest,
    TokenResponse,
)
from .redaction import Redactor, mask_tokenlike, printable, secrets_in
from .tokens import Token, utcnow
from .transport import Response, Transport, excerpt

log = logging.getLogger("retently_oauth.flows")

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=utf-8"

FORM_SECRETS = frozenset({"client_secret", "code", "code_verifier", "refresh_token"})
"""Fields of a token request that are secret: masked from any server text an error repeats."""

CALLBACK_PARAMETERS = frozenset({"code", "state", "error", "error_description", "error_uri", "iss"})
"""Authorization response parameters; each may appear at most once (RFC 6749 §3.1)."""

MAX_CALLBACK_URL = 16384

_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
"""Visible ASCII: what an access token may hold to go in an Authorization header unaltered."""

_REDACT_WINDOW = 16384
"""Bytes of a response searched for secrets before an excerpt of its first few hundred is shown."""

_TEXT_WINDOW = 8192
"""Characters of a server string (an error description...) redacted before its first few hundred are shown."""

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
            _check_text(name, value)
        if redirect_uri is not None:
            _check_text("redirect_uri", redirect_uri)
            check_redirect_uri(redirect_uri, "redirect_uri")
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
        _check_text("state", state)
        if scope is not None:
            _check_text("scope", scope)
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

        The state is checked first, on error redirects too: a redirect without our state is a StateMismatch
        whatever else it carries, so a forged `?error=...` never reaches the user as our provider's words. Then
        AuthorizationDenied for an `error` redirect (its text made printable, secrets masked), and CallbackError
        for a redirect with neither code nor error, a parameter repeated (RFC 6749 §3.1), or text that is not
        valid Unicode.
        """
        if not isinstance(url, str):
            raise ArgumentError(f"callback URL must be a string, got {type(url).__name__}")
        if not isinstance(expected_state, str) or not expected_state:
            raise ArgumentError("expected_state must be the non-empty state sent in the authorization URL")
        if not _is_text(expected_state):
            raise CallbackError("expected_state is not valid text (it holds a lone surrogate)")
        if not _is_text(url):
            raise CallbackError("the callback URL is not valid text (it holds a lone surrogate)")
        if len(url) > MAX_CALLBACK_URL:
            raise CallbackError(f"the callback URL is longer than {MAX_CALLBACK_URL} characters")
        try:
            query = urlsplit(url).query
            pairs = parse_qsl(query, keep_blank_values=True)
        except ValueError:
            raise CallbackError("the callback URL is malformed") from None
        params: dict[str, str] = {}
        repeated: set[str] = set()
        for key, value in pairs:
            if key in params and key in CALLBACK_PARAMETERS:
                repeated.add(key)
            params.setdefault(key, value)
        if repeated:
            names = ", ".join(sorted(repeated))
            raise CallbackError(f"the callback carries {names} more than once (RFC 6749 §3.1 forbids it): refused")
        state = params.get("state")
        if state is None:
            raise StateMismatch("the callback carries no state: refusing it (possible CSRF)")
        if not hmac.compare_digest(state.encode("utf-8"), expected_state.encode("utf-8")):
            raise StateMismatch("the callback's state does not match the one sent (possible CSRF)")
        try:
            callback = documents.structure(params, AuthorizationCallback)
        except DocumentError:
            raise CallbackError("the callback's parameters are not the documented ones") from None
        if callback.error is not None:
            redact = Redactor([self._client_secret, params.get("code"), *secrets_in(query)])
            description = callback.error_description
            raise AuthorizationDenied(
                printable(redact(callback.error[:_TEXT_WINDOW]), 100),
                None if description is None else printable(mask_tokenlike(redact(description[:_TEXT_WINDOW])), 500),
            )
        if not callback.code:
            raise CallbackError("the callback carries neither a code nor an error")
        return callback.code

    # steps 3 and 4 --------------------------------------------------------------------------------------------

    def exchange_code(self, code: str, *, code_verifier: str | None = None, redact: Iterable[str] = ()) -> Token:
        """Exchanges an authorization code for tokens (grant_type=authorization_code).

        A response without a refresh token gives a Token whose `refresh_token` is None: the access token works
        until it expires (`Token.refreshable` is False, and `Token.to_stored` raises NoRefreshToken). `redact`:
        more secrets the caller holds, kept out of error text as the ones sent are.
        """
        _check_text("code", code)
        if code_verifier is not None:
            _check_text("code_verifier", code_verifier)
        form = AuthorizationCodeTokenRequest(
            client_id=self.client_id,
            client_secret=self._client_secret,
            redirect_uri=self._require_redirect_uri("a code exchange"),
            code=code,
            code_verifier=code_verifier,
        )
        return self._token_request(documents.unstructure(form), previous_refresh_token=None, redact=redact)

    def refresh(self, refresh_token: str, *, redact: Iterable[str] = ()) -> Token:
        """A new access token from a refresh token; keeps `refresh_token` when the response names none (or an
        empty one). `redact`: more secrets the caller holds (such as the current access token), kept out of error
        text as the ones sent are."""
        _check_text("refresh_token", refresh_token)
        form = RefreshTokenRequest(
            client_id=self.client_id,
            client_secret=self._client_secret,
            redirect_uri=self.redirect_uri,
            refresh_token=refresh_token,
        )
        return self._token_request(documents.unstructure(form), previous_refresh_token=refresh_token, redact=redact)

    def _require_redirect_uri(self, what: str) -> str:
        if self.redirect_uri is None:
            raise ArgumentError(f"{what} needs the client's redirect_uri")
        return self.redirect_uri

    def _token_request(
        self, form: dict[str, str], *, previous_refresh_token: str | None, redact: Iterable[str]
    ) -> Token:
        requested_at = utcnow()
        response = self.transport.request(
            "POST",
            self.endpoints.token_url,
            headers={"Content-Type": FORM_CONTENT_TYPE},
            body=form_encode(form),
        )
        sent = [value for name, value in form.items() if name in FORM_SECRETS]
        if isinstance(redact, str):  # one secret, not its characters
            redact = (redact,)
        token_response = parse_token_response(response, secrets=(self._client_secret, *sent, *redact))
        log.debug("token endpoint granted a token (grant_type=%s)", form.get("grant_type"))
        return Token.from_response(
            token_response, requested_at=requested_at, previous_refresh_token=previous_refresh_token
        )


def parse_token_response(response: Response, *, secrets: Iterable[str | None] = ()) -> TokenResponse:
    """The token response of a 200, the declared OAuth error of a 4xx, else ResponseFormatError.

    A 200 must carry a non-empty `access_token` a header can hold, a non-negative integer `expires_in` (if any;
    over ten years is cut to ten years by `Token`), and a `token_type` of Bearer in any case (or none). Every bit
    of server text an error repeats (OAuth `error` and `error_description`, excerpts, document paths) has
    `secrets` masked in every encoding, and so has any token the response itself carries.
    """
    status = response.status
    body = response.body
    secrets = tuple(secrets)
    try:
        data = json.loads(body) if body else None
        malformed = False
    except (ValueError, RecursionError):  # JSONDecodeError, bad UTF-8, an integer over 4300 digits, deep nesting
        data, malformed = None, True
    if status == 200:
        if malformed:
            raise ResponseFormatError(
                "token endpoint answered with malformed JSON", status=status, excerpt=_excerpt(body, secrets)
            )
        try:
            token_response = documents.structure(data, TokenResponse)
        except DocumentError as exc:
            problems = _redactor(body, secrets)("; ".join(str(p) for p in exc.problems)[:_TEXT_WINDOW])
            raise ResponseFormatError(
                f"token response is not the documented JSON: {printable(problems, 500)}", status=status
            ) from None
        _check_grant(token_response, body, secrets)
        return token_response
    if isinstance(data, dict) and "error" in data:
        try:
            error = documents.structure(data, ErrorResponse)
        except DocumentError:
            pass
        else:
            redact = _redactor(body, secrets)
            raw_description = error.error_description if isinstance(error.error_description, str) else None
            description = None
            if raw_description is not None:  # cut first: what follows the cut is never shown
                description = printable(mask_tokenlike(redact(raw_description[:_TEXT_WINDOW])), 500)
            cls = OAUTH_ERRORS.get(error.error, OAuthError)
            raise cls(printable(redact(error.error[:_TEXT_WINDOW]), 100), description, status=status)
    raise ResponseFormatError(
        "token endpoint answered with an error that is not OAuth JSON",
        status=status,
        excerpt=_excerpt(body, secrets),
    )


def _check_grant(response: TokenResponse, body: bytes, secrets: Iterable[str | None]) -> None:
    """What the schema leaves open and a Token cannot be built from (or must not be sent as Bearer)."""
    token = response.access_token
    if not isinstance(token, str) or not token:
        raise ResponseFormatError("token response has an empty access_token", status=200)
    if not _HEADER_SAFE.fullmatch(token):
        raise ResponseFormatError(
            "token response's access_token holds characters an Authorization header cannot carry", status=200
        )
    for name, value in (("refresh_token", response.refresh_token), ("scope", response.scope)):
        if isinstance(value, str) and not _is_text(value):
            raise ResponseFormatError(f"token response's {name} is not valid Unicode (a lone surrogate)", status=200)
    expires_in = response.expires_in
    if expires_in is not None and (isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in < 0):
        raise ResponseFormatError("token response's expires_in is not a non-negative integer", status=200)
    token_type = response.token_type
    if isinstance(token_type, str) and token_type.lower() != "bearer":
        shown = printable(_redactor(body, secrets)(token_type[:_TEXT_WINDOW]), 40)
        raise ResponseFormatError(
            f"token response's token_type is {shown!r}, not Bearer: such a token cannot be sent as one", status=200
        )
    if token_type is not None and token_type is not UNSET and not isinstance(token_type, str):
        raise ResponseFormatError("token response's token_type is not a string", status=200)


def _redactor(body: bytes, secrets: Iterable[str | None]) -> Redactor:
    """Masks what we sent and hold, and any token the response itself names."""
    text = body[:_REDACT_WINDOW].decode("utf-8", "replace")
    return Redactor([*secrets, *secrets_in(text)])


def _excerpt(body: bytes, secrets: Iterable[str | None]) -> str:
    """The transport's short masked excerpt, of the body with our secrets redacted first (so a secret cut at the
    excerpt's end cannot leave its start behind)."""
    text = body[:_REDACT_WINDOW].decode("utf-8", "replace")
    redacted = Redactor([*secrets, *secrets_in(text)])(text)
    return excerpt(redacted.encode("utf-8"))


def _check_text(name: str, value: object) -> None:
    """ArgumentError unless `value` is a non-empty string that can be encoded (no lone surrogates)."""
    if not isinstance(value, str) or not value:
        raise ArgumentError(f"{name} must be a non-empty string")
    if not _is_text(value):
        raise ArgumentError(f"{name} is not valid text (it holds a lone surrogate)")


def _is_text(value: str) -> bool:
    """False for a string holding lone surrogates, which no encoder (and no terminal) can take."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
