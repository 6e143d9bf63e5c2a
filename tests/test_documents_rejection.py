"""Bad documents end in DocumentError naming every problem by JSON path, never in anything else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from retently_oauth_models import STRUCTURERS

import retently_oauth
from retently_oauth import DocumentError, RetentlyOAuthError, models
from retently_oauth.exceptions import ArgumentError

from .documents import EXAMPLES, OAUTH_CREDENTIALS


def problems(data: Any, cls: Any) -> list[str]:
    with pytest.raises(DocumentError) as info:
        retently_oauth.structure(data, cls)
    assert isinstance(info.value, RetentlyOAuthError)
    assert isinstance(info.value, ValueError)
    return [str(p) for p in info.value.problems]


def test_missing_required_field_names_its_path() -> None:
    doc = {"credentials": {"auth_type": "Client", "client_id": "c", "refresh_token": "r"}}
    assert problems(doc, models.SourceRetently) == ["$.credentials.client_secret: required field missing"]


def test_every_problem_is_listed() -> None:
    doc = {"access_token": 1, "expires_in": -5, "token_type": [], "scope": None}
    assert problems(doc, models.TokenResponse) == [
        "$.access_token: expected a string, got an integer",
        "$.expires_in: must be >= 0",
        "$.token_type: expected a string, got an array",
    ]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"access_token": 1}, "$.access_token: expected a string, got an integer"),
        ({"access_token": None}, "$.access_token: expected a string, got null"),
        ({"access_token": "a", "expires_in": "3600"}, "$.expires_in: expected an integer, got a string"),
        ({"access_token": "a", "expires_in": True}, "$.expires_in: expected an integer, got a boolean"),
        ({"access_token": "a", "expires_in": 1.5}, "$.expires_in: expected an integer, got a number"),
    ],
)
def test_wrong_types_are_not_coerced(doc: dict[str, Any], expected: str) -> None:
    assert problems(doc, models.TokenResponse) == [expected]


def test_wrong_const_and_unknown_enum_value() -> None:
    oauth = models.SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth
    assert problems({**OAUTH_CREDENTIALS, "auth_type": "client"}, oauth) == ['$.auth_type: expected "Client"']
    assert problems({"credentials": {**OAUTH_CREDENTIALS, "auth_type": "Oauth"}}, models.SourceRetently) == [
        '$.credentials.auth_type: expected one of "Client", "Token"'
    ]
    hub = {"client_id": "c", "client_secret": "s", "refresh_token": "r", "type": "OAuth2"}
    assert problems(hub, models.OAuth) == ['$.type: expected one of "OAuth"']


@pytest.mark.parametrize("data", [None, [], "x", 1, 1.5, True, [OAUTH_CREDENTIALS]])
def test_non_object_input(data: Any) -> None:
    (problem,) = problems(data, models.SourceRetently)
    assert problem.startswith("$: expected an object, got ")


def test_unknown_keys_in_a_closed_document() -> None:
    assert problems({"client_id": "a", "password": "p", "a b": 1}, models.RetentlyCredentials) == [
        "$.password: unknown field",
        '$["a b"]: unknown field',
    ]


def test_nested_list_and_date_paths() -> None:
    doc = {"emails": ["a", 2], "expiry_date": "yesterday", "meta": [], "expires_in": "1"}
    assert problems(doc, models.PropertyConnectionAuth) == [
        "$.emails[1]: expected a string, got an integer",
        "$.expires_in: expected a number, got a string",
        "$.expiry_date: expected an RFC 3339 date-time or date",
        "$.meta: expected an object, got an array",
    ]
    stored = {"client_id": "c", "client_secret": "s", "token_url": "t", "access_token": "a", "refresh_token": "r"}
    assert problems({**stored, "expires_at": "2026-11-23"}, models.StoredCredentials) == [
        "$.expires_at: expected an RFC 3339 date-time"
    ]
    # RFC 3339 requires an offset: a local time would mean a different instant on each host
    assert problems({**stored, "expires_at": "2026-11-23T10:00:00"}, models.StoredCredentials) == [
        "$.expires_at: expected an RFC 3339 date-time"
    ]


def test_union_without_tag_reports_the_closest_variant() -> None:
    assert problems({"credentials": {"client_id": "c"}}, models.SourceRetently) == [
        "$.credentials.client_secret: required field missing",
        "$.credentials.refresh_token: required field missing",
    ]
    (ambiguous,) = problems({"credentials": {}}, models.SourceRetently)
    assert ambiguous.startswith("$.credentials: matches no variant unambiguously")


@pytest.mark.parametrize("text", ["", "{", '{"access_token": "a",}', "[1, 2", b"\xff\xfe{", "null x"])
def test_malformed_json_text(text: str | bytes) -> None:
    with pytest.raises(DocumentError) as info:
        retently_oauth.loads(text, models.TokenResponse)
    assert info.value.problems[0].path == "$"
    assert "not valid JSON" in info.value.problems[0].message


def test_deeply_nested_json_is_a_document_error() -> None:
    with pytest.raises(DocumentError):
        retently_oauth.loads("[" * 100_000 + "]" * 100_000, models.TokenResponse)


def test_bad_arguments_are_argument_errors() -> None:
    with pytest.raises(ArgumentError):
        retently_oauth.structure({}, dict)
    with pytest.raises(ArgumentError):
        retently_oauth.loads(123, models.TokenResponse)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError):
        retently_oauth.unstructure({"access_token": "a"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)

field_names = st.sampled_from(
    sorted({key for _, doc in EXAMPLES for key in doc} | {"credentials", "auth_type", "api_key", "meta", "type"})
)
document_like = st.dictionaries(field_names, json_values, max_size=8) | json_values


@settings(max_examples=300, deadline=None)
@given(cls=st.sampled_from(sorted(STRUCTURERS, key=str)), data=document_like)
def test_any_json_value_gives_an_instance_or_a_document_error(cls: Any, data: Any) -> None:
    try:
        obj = retently_oauth.structure(data, cls)
    except DocumentError as exc:
        assert exc.problems
        assert all(p.path.startswith("$") for p in exc.problems)
    else:
        assert json.loads(json.dumps(retently_oauth.unstructure(obj))) is not None


@settings(max_examples=200, deadline=None)
@given(name_doc=st.sampled_from(EXAMPLES), key=st.text(min_size=1, max_size=6), value=json_values)
def test_mutated_examples_round_trip_or_fail_cleanly(
    name_doc: tuple[str, dict[str, Any]], key: str, value: Any
) -> None:
    name, doc = name_doc
    cls = getattr(models, name)
    mutated = {**doc, key: value}
    try:
        obj = retently_oauth.structure(mutated, cls)
    except DocumentError:
        return
    assert retently_oauth.unstructure(obj) == mutated
