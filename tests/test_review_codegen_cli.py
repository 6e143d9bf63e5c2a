"""Review session 4 (a new user and a downstream SDK author on a fresh clone): defects found, one test each.

Each test states what a user typed and what they should have got. Run:
`.nox/ci/bin/pytest -q -p no:cacheprovider tests/test_review_codegen_cli.py`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BOUND = 60.0
"""Hang guard for one command, in seconds."""


def codegen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retently_oauth_codegen", *args],
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )


def test_an_unknown_type_in_the_schema_is_an_error(tmp_path: Path) -> None:
    """`{"type": "strin"}` (a typo) generated a field typed `Any` that accepts anything, exit 0. JSON Schema
    allows only its seven type names: a one-line `error: <pointer>: ...`, exit 2."""
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"a": {"type": "strin"}}}))
    done = codegen("generate", "--schema", str(schema), "--out", str(tmp_path / "out"), "--package", "typo_models")
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("error: ") and "/properties/a" in done.stderr and "strin" in done.stderr


def test_a_package_name_that_is_a_keyword_is_refused(tmp_path: Path) -> None:
    """`--package class` wrote `out/class/`, which no `import` statement can name; `--package my-sdk` is already
    refused as "not a Python identifier"."""
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"a": {"type": "string"}}}))
    done = codegen("generate", "--schema", str(schema), "--out", str(tmp_path / "out"), "--package", "class")
    assert done.returncode == 2
    assert "--package" in done.stderr
    assert not (tmp_path / "out" / "class").exists()


def test_two_packages_generated_into_one_out_directory_keep_their_reference_pages(tmp_path: Path) -> None:
    """An SDK with two schemas ran `generate --out generated` once per package: the second run replaced
    `generated/docs/models/` with its own pages (the first package's pages and index gone), so `check` of the first
    package failed for ever after. Each package's pages should stay its own (say `OUT/docs/<package>/`), or the
    second run should refuse the shared directory."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps({"title": "Invoice", "type": "object", "properties": {"n": {"type": "integer"}}}))
    second.write_text(json.dumps({"title": "Refund", "type": "object", "properties": {"m": {"type": "string"}}}))
    out = str(tmp_path / "generated")
    assert codegen("generate", "--schema", str(first), "--out", out, "--package", "invoices").returncode == 0
    again = codegen("generate", "--schema", str(second), "--out", out, "--package", "refunds")
    if again.returncode == 0:
        done = codegen("check", "--schema", str(first), "--out", out, "--package", "invoices")
        assert done.returncode == 0, done.stderr
    else:
        assert again.stderr.startswith("error: ") and "invoices" in again.stderr


def test_generate_never_deletes_a_file_it_did_not_write(tmp_path: Path) -> None:
    """`generate --out . --package mysdk` where `mysdk/` is the SDK's own handwritten package (or holds one module
    of it, `mysdk/client.py`) deleted that module without a word. Expected: refuse (exit 2, naming the file) to
    replace a directory holding files without the generator's "do not edit" header, or leave them alone."""
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({"title": "Invoice", "type": "object", "properties": {"n": {"type": "integer"}}}))
    own = tmp_path / "mysdk" / "client.py"
    own.parent.mkdir()
    own.write_text("class Client: ...\n")
    done = codegen("generate", "--schema", str(schema), "--out", str(tmp_path), "--package", "mysdk")
    assert own.exists(), done.stdout + done.stderr


def test_the_generator_command_without_its_extra_says_what_to_install(tmp_path: Path) -> None:
    """`pip install retently-oauth` (no extra) installs the `retently-oauth-codegen` command too; run, it ended in a
    `ModuleNotFoundError: No module named 'datamodel_code_generator'` traceback. Expected: one line naming the extra
    (`pip install 'retently-oauth[codegen]'`), exit 2."""
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"a": {"type": "string"}}}))
    probe = (
        "import sys\n"
        "sys.modules['datamodel_code_generator'] = None  # as where the codegen extra is not installed\n"
        "from importlib.metadata import entry_points\n"
        "script = [e for e in entry_points(group='console_scripts') if e.name == 'retently-oauth-codegen'][0]\n"
        f"sys.argv = ['retently-oauth-codegen', 'generate', '--schema', {str(schema)!r}, '--out', {str(tmp_path)!r}]\n"
        "sys.exit(script.load()())  # what the installed command runs\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=BOUND, check=False, cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr[-300:]
    assert "Traceback" not in done.stderr and "retently-oauth[codegen]" in done.stderr, done.stderr[-300:]


def test_the_generator_command_without_its_extra_still_has_help_and_names_the_missing_tool(tmp_path: Path) -> None:
    """`--help` needs none of the extra (it ended in the same traceback); without ruff (the extra's formatter)
    `generate` said only "ruff check failed on the generated code: ... No module named ruff"."""
    probe = (
        "import sys\n"
        "sys.modules['datamodel_code_generator'] = sys.modules['jinja2'] = sys.modules[sys.argv[1]] = None\n"
        "from retently_oauth_codegen.cli import main\n"
        "sys.exit(main(sys.argv[2:]))\n"
    )
    helped = subprocess.run(
        [sys.executable, "-c", probe, "ruff", "generate", "--help"],
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    assert helped.returncode == 0 and "--schema" in helped.stdout, helped.stderr[-300:]
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({"type": "object"}))
    probe = probe.replace("sys.modules['datamodel_code_generator'] = sys.modules['jinja2'] = ", "")
    done = subprocess.run(
        [sys.executable, "-c", probe, "ruff", "generate", "--schema", str(schema), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr[-300:]
    assert "ruff" in done.stderr and "retently-oauth[codegen]" in done.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("command", "names"),
    [
        ("generate", ["--schema", "--out", "--package", "--class-name"]),
        ("check", ["--schema", "--out", "--package", "--class-name"]),
        ("diff", ["old", "new", "--class-name"]),
    ],
)
def test_help_describes_every_option(command: str, names: list[str]) -> None:
    """`diff --help` listed `old` and `new` with no word on which is which."""
    done = codegen(command, "--help")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    for name in names:
        at = next(i for i, line in enumerate(lines) if re.match(rf"  {re.escape(name)}\b", line))
        rest = re.sub(rf"^  {re.escape(name)}( [A-Z_]+)?", "", lines[at]).strip()
        following = lines[at + 1] if at + 1 < len(lines) else ""
        described = rest or (following.startswith("    ") and following.strip())
        assert described, f"{command} --help: {name} has no description"


def test_the_installed_command_outside_a_checkout_requires_schema_and_out(tmp_path: Path) -> None:
    """Installed from a wheel (the generator in site-packages) and run in an SDK's directory, `generate` with no
    `--schema` said "cannot read schema" about a path under site-packages, and with `--schema` only wrote into
    site-packages' parent's `generated/`. Outside a checkout both are required: a one-line error, nothing written.
    """
    import retently_oauth_codegen

    site = tmp_path / "venv" / "site-packages"  # the generator's "repository root" is then tmp_path/venv
    shutil.copytree(
        Path(retently_oauth_codegen.__file__).parent,
        site / "retently_oauth_codegen",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    work = tmp_path / "sdk"
    work.mkdir()
    schema = work / "api.schema.json"
    schema.write_text(json.dumps({"title": "Invoice", "type": "object", "properties": {"n": {"type": "integer"}}}))
    env = {**os.environ, "PYTHONPATH": str(site)}

    def run(*args: str, cwd: Path = work) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "retently_oauth_codegen", *args],
            capture_output=True,
            text=True,
            timeout=BOUND,
            check=False,
            cwd=cwd,
            env=env,
        )

    for args in [("generate",), ("check",), ("generate", "--schema", str(schema)), ("check", "--out", "generated")]:
        done = run(*args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, (args, done.stderr)
        missing = [o for o in ("--schema", "--out") if o not in args]
        assert all(o in done.stderr for o in missing) and "Traceback" not in done.stderr, (args, done.stderr)
    assert not (tmp_path / "venv" / "generated").exists() and not (work / "generated").exists()
    done = run("generate", "--schema", str(schema), "--out", "generated", "--package", "sdk_models")
    assert done.returncode == 0, done.stderr
    assert (work / "generated" / "sdk_models" / "models.py").is_file()
    # In a checkout (its schema/ and generated/ in the current directory) the defaults apply again.
    checkout = tmp_path / "checkout"
    (checkout / "schema").mkdir(parents=True)
    (checkout / "generated").mkdir()
    (checkout / "schema" / "retently_oauth.schema.json").write_text(schema.read_text())
    done = run("generate", "--package", "checkout_models", cwd=checkout)
    assert done.returncode == 0, done.stderr
    assert (checkout / "generated" / "checkout_models" / "models.py").is_file()


def test_check_into_a_pipe_closed_early_ends_without_a_traceback(tmp_path: Path) -> None:
    """`codegen check | head` on a stale directory ended in a `BrokenPipeError` traceback (and an "Exception ignored"
    message at exit) once `head` had its lines. The diff of a whole package is far larger than a pipe's buffer."""
    with (tmp_path / "stderr").open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "retently_oauth_codegen", "check", "--out", str(tmp_path / "empty")],
            stdout=subprocess.PIPE,
            stderr=err,
        )
        assert proc.stdout is not None
        head = proc.stdout.read(200)
        proc.stdout.close()
        status = proc.wait(timeout=BOUND)
    stderr = (tmp_path / "stderr").read_text()
    assert head.startswith(b"--- ")
    assert status == 1, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr[-500:]


def test_generate_replaces_its_own_files_and_compiled_caches_but_not_a_page_it_did_not_write(tmp_path: Path) -> None:
    """The other side of refusing: a regeneration replaces what the generator wrote (a stale page, `__pycache__`)
    and a soft keyword (`match`) is a fine package name; a note of the user's in the pages' directory stops it, with
    nothing deleted or rewritten."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps({"title": "Invoice", "type": "object", "properties": {"n": {"type": "integer"}}}))
    second.write_text(json.dumps({"title": "Refund", "type": "object", "properties": {"m": {"type": "string"}}}))
    out = tmp_path / "out"
    args = ("--out", str(out), "--package", "match")
    assert codegen("generate", "--schema", str(first), *args).returncode == 0
    (out / "match" / "__pycache__").mkdir()
    (out / "match" / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"\0")
    done = codegen("generate", "--schema", str(second), *args)
    assert done.returncode == 0, done.stderr
    pages = out / "docs" / "models"
    assert sorted(p.name for p in pages.iterdir()) == ["Refund.md", "index.md"]  # Invoice.md was the generator's
    assert not (out / "match" / "__pycache__").exists()
    (pages / "notes.md").write_text("# Our notes\n")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    done = codegen("generate", "--schema", str(first), *args)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "notes.md" in done.stderr, done.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
