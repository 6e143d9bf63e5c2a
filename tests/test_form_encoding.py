"""The token request body: our form encoder must give exactly the bytes of the standard library's `urlencode`."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from retently_oauth.flows import form_encode

text = st.text(st.characters(codec="utf-8"), max_size=40)


@given(st.dictionaries(text, text, max_size=6))
def test_form_encode_is_urlencode(form: dict[str, str]) -> None:
    body = form_encode(form)
    assert body == urlencode(form).encode("ascii")
    assert dict(parse_qsl(body.decode("ascii"), keep_blank_values=True)) == form


def test_reserved_characters_are_escaped() -> None:
    form = {"redirect_uri": "http://127.0.0.1:8000/cb?x=1&y=2", "code": "a b+c/d=e%f~g.h_i-j", "é": "ü"}
    assert form_encode(form) == (
        b"redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fcb%3Fx%3D1%26y%3D2&code=a+b%2Bc%2Fd%3De%25f~g.h_i-j&%C3%A9=%C3%BC"
    )
