"""Keeping our secrets out of the text we repeat: server error pages, OAuth error descriptions, document problems.

A server may echo what it was sent: the form body percent-encoded (`%2F` or `%2f`, `+` for a space), its values
decoded, JSON-escaped (`\\u00e9`, `\\/`) or HTML-escaped, in any mix. `Redactor(secrets)` finds each secret in
all of those encodings, character by character (so a mix of them is found too), and in base64 at any alignment,
and replaces it with `***`. Secrets shorter than `MIN_SECRET_LENGTH` characters are not looked for: masking them
would garble ordinary text and protect nothing.

Exact redaction is the first layer. The second is a heuristic for text no secret list covers: `excerpt()` in the
transport masks runs of 12 or more token characters, and `mask_tokenlike()` here masks such runs that mix letters
and digits (gentler, for error descriptions, where words like `authorization_code` should stay readable).
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote_plus

__all__ = ["MASK", "MIN_SECRET_LENGTH", "Redactor", "mask_tokenlike", "printable", "secrets_in"]

MASK = "***"
MIN_SECRET_LENGTH = 4

_JSON_SHORT = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HTML_NAMED = {"&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "(?:apos|#39)"}


def _hex(value: int, width: int = 0) -> str:
    """A pattern for `value` in hexadecimal (at least `width` digits), in either case."""
    digits = f"{value:0{width}x}"
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)


def _char_alternatives(ch: str) -> list[str]:
    """Every way one character of a secret may come back, longest first: raw, percent-encoded (once or twice),
    `+` for a space, JSON `\\uXXXX` or short escapes, HTML character references."""
    code = ord(ch)
    utf8 = ch.encode("utf-8", "surrogatepass")
    alternatives = [
        re.escape(ch),
        "".join("%" + _hex(b, 2) for b in utf8),
        "".join("%25" + _hex(b, 2) for b in utf8),
        f"&#0{{0,8}}{code};",
        f"&#[xX]0{{0,8}}{_hex(code)};",
    ]
    if code > 0xFFFF:
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        alternatives.append(r"\\u" + _hex(high, 4) + r"\\u" + _hex(low, 4))
    else:
        alternatives.append(r"\\u" + _hex(code, 4))
    if ch in _JSON_SHORT:
        alternatives.append(re.escape(_JSON_SHORT[ch]))
    if ch in _HTML_NAMED:
        alternatives.append(f"&{_HTML_NAMED[ch]};")
    if ch == " ":
        alternatives.append(r"\+")
    return sorted(alternatives, key=len, reverse=True)


def _literal_forms(secret: str) -> set[str]:
    """The secret in each single encoding, as plain text to look for."""
    pct = quote(secret, safe="", errors="surrogatepass")
    plus = quote_plus(secret, safe="", errors="surrogatepass")
    json_ascii = json.dumps(secret)[1:-1]
    return {
        secret,
        pct,
        _lower_hex(pct),
        plus,
        _lower_hex(plus),
        quote(secret, errors="surrogatepass"),
        json_ascii,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json_ascii.replace("/", "\\/"),
        html.escape(secret),
    }


def _lower_hex(text: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def _base64_cores(secret: str) -> list[str]:
    """The part of the secret's base64 (standard and URL-safe) that is the same wherever it sits in a longer
    base64 text: one core per alignment. Cores under 8 characters are left out (too common to mean anything)."""
    data = secret.encode("utf-8", "surrogatepass")
    cores: list[str] = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        full = (offset + len(data)) // 3 * 4
        core = encoded[4 if offset else 0 : full]
        if len(core) >= 8:
            cores += [core, core.replace("+", "-").replace("/", "_")]
    return cores


class Redactor:
    """Replaces every secret it was given, in every encoding a server may echo it in, with `***`.

    Build one per error (they are cheap, and none is needed on the success path); `redactor(text)` is the text
    with the secrets masked. Its repr says how many secrets it holds, never which.
    """

    __slots__ = ("_count", "_pattern")

    def __init__(self, secrets: Iterable[str | None]) -> None:
        unique = sorted(
            {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )
        literals = {form for secret in unique for form in _literal_forms(secret)}
        literals |= {core for secret in unique for core in _base64_cores(secret)}
        parts = [re.escape(form) for form in sorted(literals, key=len, reverse=True)]
        # Then any mix of encodings, one character at a time. Each character's choice is atomic (a lookahead
        # captured and consumed by a back-reference: Python 3.10 has no atomic groups), so hostile text cannot
        # make the search backtrack exponentially; the literal forms above catch what atomic choice would miss.
        group = 0
        for secret in unique:
            chars = []
            for ch in secret:
                group += 1
                chars.append(f"(?=(?P<c{group}>{'|'.join(_char_alternatives(ch))}))(?P=c{group})")
            parts.append("".join(chars))
        self._count = len(unique)
        self._pattern = re.compile("|".join(parts)) if parts else None

    def __repr__(self) -> str:
        return f"Redactor({self._count} secrets)"

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        for _ in range(self._count + 1):  # overlapping secrets: what one match left is found on the next pass
            text, found = self._pattern.subn(MASK, text)
            if not found:
                break
        return text


_SECRET_NAMES = r"(?:access_token|refresh_token|id_token|client_secret|code_verifier|api_key|password)"
"""Not `code`: responses use it for error codes, and the authorization code is always among the secrets sent."""
_JSON_VALUE = re.compile(r'"' + _SECRET_NAMES + r'"\s*:\s*"((?:[^"\\]|\\.){1,4096})')
_FORM_VALUE = re.compile(r"(?<![A-Za-z0-9_])" + _SECRET_NAMES + r"=([^&\s\"'<>;,]{1,4096})")


def secrets_in(text: str) -> list[str]:
    """The values of secret-named fields (`access_token`, `refresh_token`, `code`...) in JSON or form text,
    decoded: what a response itself grants is as secret as what we sent."""
    found: list[str] = []
    for match in _JSON_VALUE.finditer(text):
        raw = match.group(1)
        found.append(raw)
        try:
            value = json.loads(f'"{raw}"')
        except ValueError:
            continue
        if isinstance(value, str):
            found.append(value)
    for match in _FORM_VALUE.finditer(text):
        found += [match.group(1), unquote_plus(match.group(1))]
    return found


_TOKENLIKE = re.compile(r"[A-Za-z0-9._~+/=-]{12,}")


def _mask_mixed(match: re.Match[str]) -> str:
    run = match.group(0)
    has_digit = any(c.isdigit() for c in run)
    has_letter = any(c.isalpha() for c in run)
    return MASK if has_digit and has_letter else run


def mask_tokenlike(text: str) -> str:
    """Runs of 12 or more token characters that mix letters and digits, masked: a second layer for secrets
    nobody told us about, which leaves words like `authorization_code` alone."""
    return _TOKENLIKE.sub(_mask_mixed, text)


def printable(text: str, limit: int = 300) -> str:
    """`text` safe to print on a terminal: control, format and surrogate characters as `?` (no escape sequences,
    no bidi overrides, nothing that cannot be encoded), whitespace runs as one space, at most `limit` characters."""
    cleaned = "".join(ch if ch.isprintable() else " " if ch.isspace() else "?" for ch in text[: limit * 2])
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
