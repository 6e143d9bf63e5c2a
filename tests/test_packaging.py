"""The installed package: light imports, py.typed, and the public API names."""

from __future__ import annotations

import email.message
import email.parser
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
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


def test_the_adapters_libraries_are_imported_only_by_their_adapters() -> None:
    """httpx and requests are extras: `import retently_oauth` and every public name leave them unimported."""
    probe = (
        "import sys, retently_oauth; [getattr(retently_oauth, n) for n in retently_oauth.__all__]; "
        "print(*(m in sys.modules for m in ('httpx', 'requests'))); import retently_oauth.httpx; "
        "import retently_oauth.requests; print(*(m in sys.modules for m in ('httpx', 'requests')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "True", "True"]


def test_every_public_name_resolves() -> None:
    for name in retently_oauth.__all__:
        assert getattr(retently_oauth, name) is not None, name
    assert set(dir(retently_oauth)) == set(retently_oauth.__all__)


# The built wheel's metadata (issue 10, item 9): the license and where the project lives. -----------------------

ROOT = Path(__file__).resolve().parent.parent
PROJECT_URL = "https://github.com/retently-oauth/retently-oauth"


def _wheel_metadata(tmp_path: Path) -> tuple[email.message.Message, dict[str, bytes]]:
    """Builds the wheel with the hatchling of this environment (offline) and reads its METADATA and license."""
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling (the build backend, in the test extra) is not installed")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "wheel", "--directory", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    (wheel,) = tmp_path.glob("retently_oauth-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        licenses = {n.rsplit("/", 1)[-1]: archive.read(n) for n in names if ".dist-info/licenses/" in n}
        return email.parser.BytesParser().parsebytes(archive.read(metadata)), licenses


def test_the_wheel_names_its_license_and_ships_the_license_file(tmp_path: Path) -> None:
    metadata, licenses = _wheel_metadata(tmp_path)
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert set(licenses) == {"LICENSE"}
    text = licenses["LICENSE"].decode()
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 the retently-oauth authors" in text
    assert text == (ROOT / "LICENSE").read_text()


def test_the_wheel_names_the_project_urls(tmp_path: Path) -> None:
    metadata, _ = _wheel_metadata(tmp_path)
    urls = dict(entry.split(", ", 1) for entry in metadata.get_all("Project-URL") or [])
    assert urls == {
        "Homepage": PROJECT_URL,
        "Repository": PROJECT_URL,
        "Issues": f"{PROJECT_URL}/issues",
    }
