"""Issue 9, "what it must show": a secret-leak sweep over every error path of the library.

Distinctive secrets (with characters that every encoding changes) go through token endpoints that echo them back
in every way a server can, embedded-server faults, network failures, corrupt and hostile stores, forged
callbacks, bad documents and the token manager. Every message, str, repr, attribute, chained cause and DEBUG log
record is collected, and the raw, percent-encoded (upper and lower case, `+` for space), form-encoded and
JSON-escaped forms of every secret are searched for in it: zero hits.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import urllib3
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import retently_oauth
from retently_oauth import AuthorizedHTTP, FileStore, MemoryStore, TokenManager
from retently_oauth.endpoints import Endpoints
from retently_oauth.exceptions import RetentlyOAuthError
from retently_oauth.flows import OAuthClient, parse_token_response
from retently_oauth.models import StoredCredentials, TokenResponse
from retently_oauth.redaction import Redactor, mask_tokenlike, printable, secrets_in
from retently_oauth.testing import RetentlyServer
from retently_oauth.transport import Response as TransportResponse
from retently_oauth.transport import Transport, TransportConfig

CLIENT_SECRET = "Sw3ep#Cl!ent$ecr/é+ &=x"
REFRESH = "Rf/9+sw y%Q=ü&Wk3~"
CODE = "cO#d3 !é+/=?sweep"
VERIFIER = "vF~2.sweep_Y-9" + "k" * 30
ACCESS = "at.Sweep-7Qx.9z"
API_KEY = "ak#Sw33p key/ü"
SECRETS = (CLIENT_SECRET, REFRESH, CODE, VERIFIER, ACCESS, API_KEY)
CORES = ("Cl!ent$ecr", "9+sw y%Q", "d3 !é+/", "Sweep-7Qx", "Sw33p key")
"""Middle parts of the secrets: an echo cut short or partly masked must not show them either."""

FAST = TransportConfig(connect_timeout=2, read_timeout=1, retries=1, backoff_factor=0.01, retry_after_max=0.05)


def encodings(secret: str) -> set[str]:
    """Every form of `secret` searched for."""
    pct = quote(secret, safe="")
    forms = {
        secret,
        pct,
        re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), pct),
        quote(secret),
        quote_plus(secret),
        re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote_plus(secret)),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
    }
    return {form for form in forms if len(form) >= 4}


class Sweep:
    """Collects every text an error path produces."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.errors = 0

    def add(self, *values: object) -> None:
        self.texts += [str(v) for v in values] + [repr(v) for v in values]

    def error(self, call: Callable[[], object]) -> RetentlyOAuthError:
        """Runs `call`, which must raise one of our errors, and collects everything that error can show."""
        try:
            result = call()
        except RetentlyOAuthError as exc:
            self.errors += 1
            chain: BaseException | None = exc
            while chain is not None:
                self.add(chain, *chain.args, *vars(chain).values())
                chain = chain.__cause__ or (None if chain.__suppress_context__ else chain.__context__)
            return exc
        pytest.fail(f"expected an error, got {result!r}")

    def attempt(self, call: Callable[[], object]) -> None:
        """Runs `call`, which may succeed or raise one of our errors (collected). A document that loads is not
        collected: its repr shows the keys of additional properties, by design of the generated layer."""
        try:
            call()
        except RetentlyOAuthError:
            self.error(call)

    def check(self, caplog: pytest.LogCaptureFixture) -> None:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        logs = [formatter.format(record) for record in caplog.records]
        text = "\n".join(self.texts + logs)
        hits = [(secret, form) for secret in (*SECRETS, *CORES) for form in encodings(secret) if form in text]
        assert not hits


@pytest.fixture
def sweep(caplog: pytest.LogCaptureFixture) -> Iterator[Sweep]:
    caplog.set_level(logging.DEBUG)
    collected = Sweep()
    yield collected
    assert collected.texts  # not vacuous
    collected.check(caplog)


def echo_handler(mode: str) -> Callable[[Request], Response]:
    """A token endpoint that repeats what it was sent, decoded and encoded, in one kind of answer."""

    def handle(request: Request) -> Response:
        body = request.get_data(as_text=True)
        values = [v for _, v in request.form.items(multi=True)]
        echoed = " ".join([body, *values, *(json.dumps(v)[1:-1] for v in values), json.dumps(body), ACCESS])
        html = echoed.replace("&", "&amp;").replace("<", "&lt;")
        answers = {
            "oauth": (400, json.dumps({"error": "invalid_grant", "error_description": f"token {echoed} revoked"})),
            "oauth-unknown": (401, json.dumps({"error": echoed, "error_description": echoed})),
            "html": (500, f"<html><body><p>{html}</p><pre>{echoed}</pre></body></html>"),
            "malformed": (200, '{"access_token": "' + ACCESS + '", "echo": "' + echoed),
            "wrong-types": (200, json.dumps({"access_token": ACCESS, "expires_in": "x", echoed: 1})),
            "token-type": (200, json.dumps({"access_token": ACCESS, "token_type": echoed})),
            "empty": (200, json.dumps({"access_token": "", "refresh_token": REFRESH, "echo": echoed})),
            "gateway": (502, f"upstream said: {echoed}"),
            "form": (400, f"error=invalid_grant&access_token={quote_plus(ACCESS)}&echo={quote_plus(echoed)}"),
        }
        status, text = answers[mode]
        return Response(text, status, content_type="application/json" if text[:1] == "{" else "text/html")

    return handle


ECHO_MODES = ["oauth", "oauth-unknown", "html", "malformed", "wrong-types", "token-type", "empty", "gateway", "form"]


@pytest.mark.parametrize("mode", ECHO_MODES)
def test_token_endpoint_echoes(httpserver: HTTPServer, sweep: Sweep, mode: str, tmp_path: Path) -> None:
    httpserver.expect_request("/token").respond_with_handler(echo_handler(mode))
    url = httpserver.url_for("/token")
    client = OAuthClient(
        "cid", CLIENT_SECRET, "http://127.0.0.1/cb", endpoints=Endpoints(url, url), transport=Transport(FAST)
    )
    sweep.add(client)
    sweep.error(lambda: client.refresh(REFRESH))
    sweep.error(lambda: client.refresh(REFRESH, redact=[ACCESS]))
    sweep.error(lambda: client.exchange_code(CODE, code_verifier=VERIFIER))
    for store in (MemoryStore(), FileStore(tmp_path / "creds.json")):
        manager = TokenManager(client, store, refresh_token=REFRESH)
        sweep.add(manager, store)
        sweep.error(manager.access_token)
        sweep.error(manager.refresh)


def test_embedded_server_faults_and_rejections(sweep: Sweep, tmp_path: Path) -> None:
    with RetentlyServer(client_secret=CLIENT_SECRET, slow_seconds=2.5, api_key=API_KEY) as server:
        config = TransportConfig(read_timeout=1, retries=1, backoff_factor=0.01, retry_after_max=0.05)
        client = OAuthClient(
            server.client_id,
            CLIENT_SECRET,
            server.redirect_uri,
            endpoints=server.endpoints,
            transport=Transport(config),
        )
        refresh = server.issue_refresh_token()
        token = client.refresh(refresh)
        sweep.add(token, client)
        for fault in ("html_500", "malformed_json", "drop", "huge", "slow"):
            server.inject(fault)
            sweep.error(lambda: client.refresh(refresh, redact=[token.access_token]))
        server.inject("retry_after_503", "retry_after_503", "retry_after_503")
        sweep.error(lambda: client.refresh(refresh))
        sweep.error(lambda: client.refresh(REFRESH))  # unknown refresh token: invalid_grant
        sweep.error(lambda: client.exchange_code(CODE, code_verifier=VERIFIER))
        wrong = OAuthClient(server.client_id, "Wr0ng#" + CLIENT_SECRET, server.redirect_uri, endpoints=server.endpoints)
        sweep.error(lambda: wrong.refresh(refresh))
        store = FileStore(tmp_path / "creds.json")
        manager = TokenManager(client, store, refresh_token=REFRESH)
        sweep.error(manager.access_token)  # ReauthorizationRequired
        http = AuthorizedHTTP(manager, base_url=server.base_url)
        sweep.add(manager, http)
        sweep.error(lambda: http.get("/api/v2/customers"))
        extra = [token.access_token, refresh]
    hidden = " ".join(extra)
    assert all(secret not in "\n".join(sweep.texts) for secret in extra), hidden[:0]


def test_network_failures(sweep: Sweep) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/token?api_key={quote(API_KEY)}"
    client = OAuthClient(
        "cid", CLIENT_SECRET, "http://127.0.0.1/cb", endpoints=Endpoints(url, url), transport=Transport(FAST)
    )
    sweep.error(lambda: client.refresh(REFRESH))
    sweep.error(lambda: client.exchange_code(CODE, code_verifier=VERIFIER))
    manager = TokenManager(client, MemoryStore(), refresh_token=REFRESH)
    sweep.error(manager.access_token)
    http = AuthorizedHTTP(manager, base_url=f"http://127.0.0.1:{port}")
    sweep.error(lambda: http.get(f"/api?key={quote(API_KEY)}"))


def stored_document() -> dict[str, str]:
    return {
        "client_id": "cid",
        "client_secret": CLIENT_SECRET,
        "token_url": "https://app.retently.com/api/oauth/token",
        "access_token": ACCESS,
        "refresh_token": REFRESH,
        "expires_at": "2030-01-01T00:00:00Z",
    }


def test_store_errors(sweep: Sweep, tmp_path: Path) -> None:
    good = json.dumps(stored_document())
    corrupt = [
        good[:-20],
        good.replace(f'"{ACCESS}"', "5"),
        good[:-1] + f', {json.dumps(REFRESH)}: 1, {json.dumps(ACCESS)}: 2, "n": {"9" * 5000}}}',
        good[:-1] + f", {json.dumps(CLIENT_SECRET)}: 1}}",
        good.replace('"expires_at"', json.dumps(REFRESH)),
        good.replace('"2030-01-01T00:00:00Z"', json.dumps(VERIFIER)),
        "[" + good + "]",
        good + " " + json.dumps(CODE),
    ]
    for i, text in enumerate(corrupt):
        path = tmp_path / f"c{i}.json"
        path.write_text(text)
        store = FileStore(path)
        sweep.error(store.load)
        sweep.error(lambda store=store: TokenManager.from_store(store))  # type: ignore[misc]
    path = tmp_path / "creds.json"
    path.write_text(good)
    path.chmod(0o644)
    sweep.add(FileStore(path).permission_warning(), FileStore(path), FileStore(path).load())
    os.symlink(tmp_path / "victim", tmp_path / "creds.json.lock")

    def lock() -> None:
        with FileStore(path).locked():
            pass

    sweep.error(lock)
    (tmp_path / "dir.json").mkdir()
    sweep.error(FileStore(tmp_path / "dir.json").load)
    with (tmp_path / "big.json").open("w") as handle:
        handle.write(good[:-1] + ', "pad": "' + "x" * (1 << 20) + '"}')
    sweep.error(FileStore(tmp_path / "big.json").load)


def test_callback_errors(sweep: Sweep) -> None:
    client = OAuthClient("cid", CLIENT_SECRET, "http://127.0.0.1/cb")
    state = "st4te-sweep"
    code = quote_plus(CODE)
    echo = quote_plus(f"{CODE} {CLIENT_SECRET} {json.dumps(CODE)} {quote(CLIENT_SECRET)}")
    urls = [
        f"http://127.0.0.1/cb?code={code}&error=access_denied&error_description={echo}&state={state}",
        f"http://127.0.0.1/cb?code={code}&error={echo}&state={state}",
        f"http://127.0.0.1/cb?code={code}&state=other",
        f"http://127.0.0.1/cb?code={code}",
        f"http://127.0.0.1/cb?code={code}&code={code}&state={state}",
        f"http://127.0.0.1/cb?code={code}&state={state}\ud800",
        f"http://127.0.0.1/cb?error=x&error_description={echo}",
        f"http://[::1/cb?code={code}&state={state}",
        f"http://127.0.0.1/cb?code={code}&state={state}" + "&x=y" * 5000,
        f"http://127.0.0.1/cb?state={state}&error_description={echo}",
    ]
    for url in urls:
        sweep.error(lambda url=url: client.parse_callback(url, expected_state=state))  # type: ignore[misc]
    sweep.error(lambda: client.parse_callback("http://127.0.0.1/cb?code=x", expected_state=CODE + "\udfff"))


def test_document_errors(sweep: Sweep) -> None:
    document = stored_document()
    cases: list[object] = [
        {**document, "access_token": 5},
        {**document, "refresh_token": [REFRESH]},
        {**document, CLIENT_SECRET: ACCESS},
        {**document, "expires_at": CODE},
        {"credentials": {"client_secret": CLIENT_SECRET, "refresh_token": 7, "api_key": API_KEY}},
        {"credentials": {API_KEY: CLIENT_SECRET, "api_key": API_KEY, "client_secret": CLIENT_SECRET}},
        [REFRESH, CODE],
    ]
    for model in (StoredCredentials, TokenResponse, retently_oauth.models.SourceRetently):
        for data in cases:
            sweep.attempt(lambda data=data, model=model: retently_oauth.structure(data, model))  # type: ignore[misc]
            text = json.dumps(data)
            sweep.error(lambda text=text, model=model: retently_oauth.loads(text[:-3], model))  # type: ignore[misc]
    huge = json.dumps(document)[:-1] + f', "n": {"9" * 5000}}}'
    for model in (StoredCredentials, TokenResponse, retently_oauth.models.SourceRetently):
        sweep.error(lambda model=model: retently_oauth.loads(huge, model))  # type: ignore[misc]


def test_token_response_parser_with_the_secrets_it_is_given(sweep: Sweep) -> None:
    """The parser on its own, as the fuzz test drives it: what it is told is secret never comes back."""
    bodies = [
        json.dumps({"error": "invalid_client", "error_description": f"secret {CLIENT_SECRET} wrong"}).encode(),
        f"<h1>{quote(REFRESH)} {quote(CLIENT_SECRET).lower()}</h1>".encode(),
        ('{"access_token": "' + ACCESS + '", "refresh_token": ' + json.dumps(REFRESH)).encode(),
        json.dumps({"access_token": ACCESS, "token_type": f"mac {CODE}"}).encode(),
    ]
    for status in (200, 400, 401, 500, 503):
        for body in bodies:
            response = TransportResponse(status=status, headers={"content-type": "application/json"}, body=body)
            secrets = (CLIENT_SECRET, REFRESH, CODE)
            try:
                parse_token_response(response, secrets=secrets)
            except RetentlyOAuthError as exc:
                sweep.add(exc, *vars(exc).values())


def test_the_redactor_itself() -> None:
    redact = Redactor([CLIENT_SECRET, None, "", "abc"])
    assert "secrets" in repr(redact) and CLIENT_SECRET not in repr(redact)
    for form in encodings(CLIENT_SECRET):
        assert redact(f"<{form}>") == "<***>", form
    assert redact("abc is too short to redact") == "abc is too short to redact"
    html = CLIENT_SECRET.replace("&", "&amp;")
    assert redact(html) == "***"
    import base64

    for prefix in (b"", b"u:", b"id:"):
        encoded = base64.b64encode(prefix + CLIENT_SECRET.encode()).decode()
        assert "***" in redact(encoded)
    assert secrets_in('{"access_token": "a\\/b", "x": 1}') == ["a\\/b", "a/b"]
    assert "ok-1" in secrets_in("x=1&refresh_token=ok-1&y=2")
    assert mask_tokenlike("refresh token SECRETRT123456 is revoked") == "refresh token *** is revoked"
    assert mask_tokenlike("authorization_code expired") == "authorization_code expired"
    assert printable("a\x1b[2Jb\u202e\ud800c\n\td", 100) == "a?[2Jb??c d"
    assert len(printable("x" * 1000, 50)) == 50


def test_a_successful_flow_shows_no_secret(sweep: Sweep) -> None:
    """The other side: reprs and DEBUG logs of a whole good flow."""
    with RetentlyServer(client_secret=CLIENT_SECRET, api_key=API_KEY) as server:
        client = OAuthClient(server.client_id, CLIENT_SECRET, server.redirect_uri, endpoints=server.endpoints)
        auth = client.authorize_url(pkce=True)
        location = urllib3.PoolManager().request("GET", auth.url, redirect=False).headers["Location"]
        code = client.parse_callback(location, expected_state=auth.state)
        token = client.exchange_code(code, code_verifier=auth.code_verifier)
        manager = TokenManager(client, MemoryStore())
        manager.store_token(token)
        http = AuthorizedHTTP(manager, base_url=server.base_url)
        assert http.get("/api/v2/customers").status == 200
        sweep.add(client, auth, token, manager, http)
        found = [code, token.access_token, token.refresh_token or "", auth.code_verifier or ""]
    assert not [s for s in found if s in "\n".join(sweep.texts)]
