"""Which proxy, if any, a request goes through: an explicit proxy URL, or the environment as curl and requests read it.

Environment (read once, when a `Transport` is made): `https_proxy` / `HTTPS_PROXY` for https URLs, `http_proxy` /
`HTTP_PROXY` for http URLs, `all_proxy` / `ALL_PROXY` for either, the lower-case name first; `HTTP_PROXY` is
ignored when `REQUEST_METHOD` is set (a CGI program, where a client's `Proxy:` header lands in it). `no_proxy` /
`NO_PROXY` lists hosts that go direct: comma- or space-separated host names (matching the host and its
subdomains; a leading dot or `*.` means the same), IP addresses or networks (`10.0.0.0/8`), any of them with
`:port` to match that port only, and `*` for every host.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

import attrs
from retently_oauth_models._runtime import secret_repr
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from .exceptions import ArgumentError


def check_proxy_url(url: str, what: str = "proxy_url") -> str:
    """`url` as an absolute http(s) proxy URL (`host:port` alone means http); ArgumentError otherwise.

    Userinfo is allowed here (proxy credentials) and never repeated in messages.
    """
    if not isinstance(url, str) or not url.strip():
        raise ArgumentError(f"{what} must be a non-empty string")
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    if any(c <= " " or c in {"\x7f", "\\"} or c > "~" for c in url):
        raise ArgumentError(f"{what} contains whitespace, a control character, a backslash or non-ASCII")
    try:
        parts = parse_url(url)
    except (LocationParseError, ValueError):
        raise ArgumentError(f"{what} is not a valid URL (bad host or port)") from None
    if parts.scheme not in ("http", "https"):
        raise ArgumentError(f"{what} must be an http:// or https:// proxy (SOCKS is not supported)")
    if not parts.host:
        raise ArgumentError(f"{what} has no host")
    return url


def _env(environ: Mapping[str, str], name: str) -> str | None:
    for key in (name.lower(), name.upper()):
        if key == "HTTP_PROXY" and "REQUEST_METHOD" in environ:
            continue
        value = environ.get(key, "").strip()
        if value:
            return value
    return None


@attrs.frozen
class ProxySettings:
    """Proxy URLs per scheme, and the hosts that bypass them."""

    http: str | None = attrs.field(default=None, repr=secret_repr)
    https: str | None = attrs.field(default=None, repr=secret_repr)
    no_proxy: tuple[str, ...] = ()

    @classmethod
    def explicit(cls, url: str) -> ProxySettings:
        """One proxy for http and https URLs, no exceptions."""
        url = check_proxy_url(url)
        return cls(http=url, https=url)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ProxySettings | None:
        """What the environment says, or None when it names no proxy."""
        fallback = _env(environ, "all_proxy")
        http = _env(environ, "http_proxy") or fallback
        https = _env(environ, "https_proxy") or fallback
        if http is None and https is None:
            return None
        no_proxy = (_env(environ, "no_proxy") or "").replace(",", " ").split()
        return cls(
            http=check_proxy_url(http, "the http_proxy environment variable") if http else None,
            https=check_proxy_url(https, "the https_proxy environment variable") if https else None,
            no_proxy=tuple(entry.lower() for entry in no_proxy),
        )

    def proxy_for(self, scheme: str, host: str, port: int | None) -> str | None:
        """The proxy URL for a request to `scheme://host:port`, or None to go direct."""
        proxy = self.https if scheme == "https" else self.http if scheme == "http" else None
        if proxy is None or bypasses(self.no_proxy, host, port or (443 if scheme == "https" else 80)):
            return None
        return proxy


def bypasses(no_proxy: tuple[str, ...], host: str, port: int) -> bool:
    """True if `host:port` matches an entry of a `no_proxy` list (see the module docstring)."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in no_proxy:
        if entry == "*":
            return True
        name, entry_port = _split_port(entry)
        if entry_port is not None and entry_port != port:
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = name.lstrip("*").lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    """`host:port`, `[v6]:port`, `v6` or `host` into host and port (None when absent or not a number)."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, _port(port)
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, _port(port)
    return entry, None


def _port(text: str) -> int | None:
    """`text` as a port number if it is one (ASCII digits, at most 5 of them), else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 5 else None
