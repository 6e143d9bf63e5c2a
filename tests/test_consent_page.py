"""The embedded server's consent page (`RetentlyServer(consent="page")`), over plain HTTP, and the test controls
that let a browser test act while a client is inside its token request. The default stays `consent="auto"`.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import urllib3

from retently_oauth import OAuthClient, Token
from retently_oauth.testing import RetentlyServer

BOUND = 10.0
"""Hang guard for anything that should take well under a second."""


def http() -> urllib3.PoolManager:
    return urllib3.PoolManager(retries=False, timeout=BOUND)


def client_of(server: RetentlyServer) -> OAuthClient:
    return OAuthClient(server.client_id, server.client_secret, server.redirect_uri, endpoints=server.endpoints)


def ticket_of(page: bytes) -> str:
    marker = b'name="ticket" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index(b'"', start)].decode()


def answer(server: RetentlyServer, ticket: str, decision: str) -> urllib3.BaseHTTPResponse:
    return http().request(
        "POST",
        server.endpoints.authorize_url,
        body=urlencode({"ticket": ticket, "decision": decision}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        redirect=False,
    )


def test_the_default_still_consents_at_once() -> None:
    with RetentlyServer() as server:
        auth = client_of(server).authorize_url(pkce=True)
        response = http().request("GET", auth.url, redirect=False)
        assert response.status == 302
        assert "code=" in response.headers["Location"]


def test_the_consent_page_shows_who_asks_and_two_buttons() -> None:
    with RetentlyServer(consent="page") as server:
        auth = client_of(server).authorize_url(scope="<script>alert(1)</script>", pkce=True)
        page = http().request("GET", auth.url, redirect=False)
        assert page.status == 200
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        text = page.data.decode()
        assert '<form method="post" action="/api/oauth/authorize">' in text
        assert 'value="allow">Allow</button>' in text and 'value="deny">Deny</button>' in text
        assert server.client_id in text and server.redirect_uri in text
        assert "<script>" not in text and "&lt;script&gt;" in text
        assert auth.state not in text  # kept on the server, under the page's ticket
        assert server.counts["authorize"] == 1


def test_allow_redirects_with_a_code_that_exchanges_with_pkce() -> None:
    with RetentlyServer(consent="page") as server:
        client = client_of(server)
        auth = client.authorize_url(pkce=True)
        page = http().request("GET", auth.url, redirect=False)
        response = answer(server, ticket_of(page.data), "allow")
        assert response.status == 302
        location = response.headers["Location"]
        assert location.startswith(server.redirect_uri + "?")
        code = client.parse_callback(location, expected_state=auth.state)
        token = client.exchange_code(code, code_verifier=auth.code_verifier)
        assert isinstance(token, Token) and token.refresh_token
        assert server.counts["consent_allowed"] == 1


def test_deny_redirects_with_access_denied_and_the_state() -> None:
    with RetentlyServer(consent="page") as server:
        auth = client_of(server).authorize_url()
        page = http().request("GET", auth.url, redirect=False)
        response = answer(server, ticket_of(page.data), "deny")
        assert response.status == 302
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        assert query["error"] == ["access_denied"] and query["state"] == [auth.state]
        assert "code" not in query
        assert server.counts["consent_denied"] == 1


@pytest.mark.parametrize(("ticket", "decision"), [("unknown", "allow"), (None, "maybe"), (None, "")])
def test_an_unknown_ticket_or_decision_is_an_error_page_not_a_redirect(ticket: str | None, decision: str) -> None:
    with RetentlyServer(consent="page") as server:
        page = http().request("GET", client_of(server).authorize_url().url, redirect=False)
        response = answer(server, ticket or ticket_of(page.data), decision)
        assert response.status == 400
        assert "Location" not in response.headers
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_a_ticket_is_answered_once() -> None:
    with RetentlyServer(consent="page") as server:
        page = http().request("GET", client_of(server).authorize_url().url, redirect=False)
        ticket = ticket_of(page.data)
        assert answer(server, ticket, "allow").status == 302
        again = answer(server, ticket, "allow")
        assert again.status == 400
        assert b"already answered" in again.data


def test_an_unknown_client_gets_an_error_page_and_no_redirect() -> None:
    with RetentlyServer(consent="page") as server:
        query = urlencode({"client_id": "someone-else", "redirect_uri": "https://evil.example/", "state": "s"})
        response = http().request("GET", f"{server.endpoints.authorize_url}?{query}", redirect=False)
        assert response.status == 400
        assert "Location" not in response.headers
        assert b"evil.example" not in response.data


def test_an_unknown_consent_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="consent"):
        RetentlyServer(consent="sometimes")  # type: ignore[arg-type]


def test_token_requests_are_held_inside_the_block_and_served_after_it() -> None:
    with RetentlyServer() as server:
        client = client_of(server)
        refresh_token = server.issue_refresh_token()
        results: list[Token] = []
        with server.hold_token_requests():
            worker = threading.Thread(target=lambda: results.append(client.refresh(refresh_token)), daemon=True)
            worker.start()
            assert server.wait_for("held", 1, timeout=BOUND)
            assert results == [] and server.counts["refresh_token"] == 0
        worker.join(BOUND)
        assert not worker.is_alive()
        assert len(results) == 1 and server.counts["refresh_token"] == 1


def test_wait_for_gives_up_after_its_timeout() -> None:
    with RetentlyServer() as server:
        assert not server.wait_for("held", 1, timeout=0.05)
