"""What a downstream SDK looks like on top of retently-oauth: it holds an `AuthorizedHTTP`, never a bare
PoolManager, and never thinks about tokens again."""

from __future__ import annotations

import json
from typing import Any

import attrs

from retently_oauth import RETENTLY, AuthorizedHTTP, Endpoints
from retently_oauth.models import SourceRetently
from retently_oauth.store import CredentialStore


class RetentlyAPIError(Exception):
    """The API answered with an error status."""

    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__(f"Retently API answered HTTP {status}")


@attrs.frozen
class Customer:
    id: str
    email: str


class RetentlyCustomers:
    """A minimal Retently API client: `RetentlyCustomers.from_config(config).list()`."""

    def __init__(self, http: AuthorizedHTTP) -> None:
        self.http = http

    @classmethod
    def from_config(
        cls,
        config: SourceRetently,
        *,
        store: CredentialStore | None = None,
        base_url: str = "https://app.retently.com",
        endpoints: Endpoints = RETENTLY,
    ) -> RetentlyCustomers:
        """From a connector config (`{"credentials": {...}}`), OAuth or API token alike. A store keeps rotated
        refresh tokens across runs; the URLs are Retently's unless a test points them elsewhere."""
        return cls(AuthorizedHTTP.from_credentials(config, store=store, base_url=base_url, endpoints=endpoints))

    def list(self) -> list[Customer]:
        response = self.http.get("/api/v2/customers")
        if response.status != 200:
            raise RetentlyAPIError(response.status)
        body: dict[str, Any] = json.loads(response.data)
        return [Customer(id=item["id"], email=item["email"]) for item in body["data"]]
