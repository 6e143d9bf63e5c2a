"""Airbyte's source-retently spec (`airbyte-source-retently` 0.2.24, connectionSpecification, verbatim) generates
a package whose classes read Airbyte's example configs for Retently, with and without `auth_type`."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from .harness import Generated, generate_cached, import_package, json_equal, load_corpus, schema_file, validator_for

ENTRY = next(e for e in load_corpus() if e.id == "airbyte_retently")
SECRETS = ("client-secret-7c1e", "refresh-token-93ad", "api-key-5f02")

OAUTH = {"auth_type": "Client", "client_id": "client-id-1", "client_secret": SECRETS[0], "refresh_token": SECRETS[1]}
TOKEN = {"auth_type": "Token", "api_key": SECRETS[2]}
CONFIGS = {
    "oauth": {"credentials": OAUTH},
    "token": {"credentials": TOKEN},
    "oauth_without_auth_type": {"credentials": {k: v for k, v in OAUTH.items() if k != "auth_type"}},
    "token_without_auth_type": {"credentials": {"api_key": SECRETS[2]}},
    "extra_keys": {"credentials": {**TOKEN, "note": "kept"}, "start_date": "2024-01-01T00:00:00Z", "page_size": 50},
}
INVALID = {
    "oauth_missing_refresh_token": {"credentials": {"auth_type": "Client", "client_id": "c", "client_secret": "s"}},
    "wrong_auth_type": {"credentials": {"auth_type": "Token", "client_id": "c", "client_secret": "s"}},
    "both_members_match": {"credentials": {**{k: v for k, v in OAUTH.items() if k != "auth_type"}, "api_key": "k"}},
    "credentials_not_object": {"credentials": "api-key"},
    "api_key_not_string": {"credentials": {"api_key": 5}},
}


@pytest.fixture(scope="module")
def generated() -> Generated:
    return generate_cached(ENTRY)


@pytest.fixture(scope="module")
def package(generated: Generated) -> ModuleType:
    return import_package(generated.directory, generated.package)


@pytest.fixture(scope="module")
def validator() -> Any:
    return validator_for(schema_file(ENTRY))


def test_spec_is_airbytes_verbatim() -> None:
    path = schema_file(ENTRY)
    schema = json.loads(path.read_text())
    assert schema["title"] == "Retently Api Spec"
    members = schema["properties"]["credentials"]["oneOf"]
    assert [m["properties"]["auth_type"]["const"] for m in members] == ["Client", "Token"]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_example_config_structures_and_round_trips(name: str, package: ModuleType, validator: Any) -> None:
    doc = CONFIGS[name]
    assert validator.is_valid(doc), f"jsonschema rejects the example {name}"
    converter = package.make_converter()
    config = converter.structure(doc, package.ROOT)
    out = converter.unstructure(config, unstructure_as=package.ROOT)
    assert json_equal(out, doc), f"{name}: wrote back {out}"
    for secret in SECRETS:
        assert secret not in repr(config)
        assert secret not in str(config)


def test_the_two_mechanisms_are_different_classes(package: ModuleType) -> None:
    converter = package.make_converter()
    oauth = converter.structure(CONFIGS["oauth_without_auth_type"], package.ROOT).credentials
    token = converter.structure(CONFIGS["token_without_auth_type"], package.ROOT).credentials
    assert type(oauth) is not type(token)
    assert oauth.client_id == "client-id-1"
    assert token.api_key == SECRETS[2]
    assert type(converter.structure(CONFIGS["oauth"], package.ROOT).credentials) is type(oauth)
    assert type(converter.structure(CONFIGS["token"], package.ROOT).credentials) is type(token)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_config_is_a_document_error(name: str, package: ModuleType, validator: Any) -> None:
    doc = INVALID[name]
    assert not validator.is_valid(doc), f"jsonschema accepts {name}"
    with pytest.raises(package.DocumentError) as caught:
        package.make_converter().structure(doc, package.ROOT)
    assert caught.value.problems
    assert all(p.path.startswith("$.credentials") for p in caught.value.problems), caught.value.problems
    for secret in SECRETS:
        assert secret not in str(caught.value)
