"""A schema change regenerates into importable code, and `codegen diff` classifies it."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from retently_oauth_codegen.cli import main as codegen_main
from retently_oauth_codegen.generate import SCHEMA, generate


def _evolve(tmp_path: Path) -> Path:
    schema = json.loads(SCHEMA.read_text())
    token = schema["$defs"]["TokenResponse"]["properties"]
    token["id_token"] = {"type": "string", "writeOnly": True, "description": "OpenID Connect ID token."}
    del token["scope"]
    new = tmp_path / "new.schema.json"
    new.write_text(json.dumps(schema, indent=2))
    return new


def test_regenerated_package_imports_and_round_trips(tmp_path: Path) -> None:
    new = _evolve(tmp_path)
    out = tmp_path / "out"
    generate(new, out)
    sys.path.insert(0, str(out))
    saved = {k: v for k, v in sys.modules.items() if k.startswith("retently_oauth_models")}
    for key in saved:
        del sys.modules[key]
    try:
        package: Any = importlib.import_module("retently_oauth_models")
        assert Path(package.__file__).is_relative_to(out)
        converter = package.make_converter()
        doc = {"access_token": "a", "id_token": "i", "expires_in": 5, "scope": "now an extra key"}
        token = converter.structure(doc, package.TokenResponse)
        assert token.id_token == "i"
        assert token.additional_properties == {"scope": "now an extra key"}
        assert converter.unstructure(token) == doc
        assert "'i'" not in repr(token)
    finally:
        sys.path.remove(str(out))
        for key in [k for k in sys.modules if k.startswith("retently_oauth_models")]:
            del sys.modules[key]
        sys.modules.update(saved)


def test_diff_reports_removal_as_breaking_and_addition_as_compatible(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = _evolve(tmp_path)
    assert codegen_main(["diff", str(SCHEMA), str(new)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "BREAKING  TokenResponse.scope: field removed" in out
    assert "compatible  TokenResponse.id_token: optional field added" in out
    assert len(out) == 2


def test_diff_classifies_other_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = json.loads(SCHEMA.read_text())
    defs = schema["$defs"]
    defs["TokenResponse"]["required"].append("expires_in")
    defs["CodeChallengeMethod"]["enum"].remove("plain")
    defs["Type"]["enum"].append("PrivateApp")
    defs["PropertyConnectionAuth"]["properties"]["expires_in"]["type"] = "integer"
    defs["ErrorResponse"]["properties"]["error_description"]["type"] = "string"
    defs["OAuth"]["properties"]["client_id"]["type"] = ["string", "null"]
    del defs["RetentlyCredentials"]
    new = tmp_path / "new.schema.json"
    new.write_text(json.dumps(schema))
    assert codegen_main(["diff", str(SCHEMA), str(new)]) == 1
    out = set(capsys.readouterr().out.splitlines())
    assert {
        "BREAKING  TokenResponse.expires_in: optional -> required",
        "BREAKING  CodeChallengeMethod: enum value 'plain' removed",
        "compatible  Type: enum value 'PrivateApp' added",
        "BREAKING  PropertyConnectionAuth.expires_in: type changed from float to int",
        "BREAKING  ErrorResponse.error_description: no longer accepts null (type narrowed)",
        "compatible  OAuth.client_id: now also accepts null",
        "BREAKING  RetentlyCredentials: class removed",
    } <= out


def test_diff_of_identical_schemas_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert codegen_main(["diff", str(SCHEMA), str(SCHEMA)]) == 0
    assert capsys.readouterr().out == ""


def test_unreadable_schema_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert codegen_main(["diff", str(bad), str(SCHEMA)]) == 2
