"""The installed package: light imports, py.typed, and the public API names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import retently_oauth_models

import retently_oauth


def test_import_does_not_pull_in_the_generator() -> None:
    probe = (
        "import sys, retently_oauth; "
        "print(','.join(m for m in ('datamodel_code_generator', 'pydantic', 'jinja2') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_py_typed_ships_with_both_packages() -> None:
    for package in (retently_oauth, retently_oauth_models):
        assert package.__file__ is not None
        assert (Path(package.__file__).parent / "py.typed").is_file()


def test_every_generated_class_is_in_models() -> None:
    from retently_oauth import models

    generated = {name for name in retently_oauth_models.__all__ if name[0].isupper()} - {"STRUCTURERS", "UNSTRUCTURERS"}
    assert generated <= set(models.__all__)
    assert {"TokenResponse", "PropertyConnectionAuth", "SourceRetently", "UNSET"} <= set(models.__all__)


def test_documents_alone_do_not_import_the_http_side() -> None:
    """`import retently_oauth` for documents does not pay for urllib3; the HTTP names load on first use."""
    probe = (
        "import sys, retently_oauth; before = 'urllib3' in sys.modules; "
        "retently_oauth.TokenManager; print(before, 'urllib3' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


def test_every_public_name_resolves() -> None:
    for name in retently_oauth.__all__:
        assert getattr(retently_oauth, name) is not None, name
    assert set(dir(retently_oauth)) == set(retently_oauth.__all__)
