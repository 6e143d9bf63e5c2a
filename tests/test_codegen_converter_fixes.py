"""Generated converter fixes, each on a minimal schema generated into a temporary directory and checked against
`jsonschema`'s verdict: a class or enum whose name holds a capital X in a union with a list or dict (sweep F8), an
inline string enum of hundreds of values (F3), and documents or object graphs nested past the recursion limit (F15):
each a DocumentError from the package's own converter, never a bare RecursionError."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .test_codegen_regressions import D7, D2020, Builder, Built

BOUND = 120.0
"""Hang guard for one subprocess, in seconds."""


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    return Builder(tmp_path_factory)


# --- F8: a capital X in a class or enum name ----------------------------------------------------------------------


def test_an_enum_named_with_a_capital_x_in_a_union_with_a_list(build: Builder) -> None:
    schema = {
        "$schema": D7,
        "type": "object",
        "properties": {
            "image": {
                "anyOf": [
                    {"$ref": "#/definitions/XcodeVersions"},
                    {"type": "array", "items": {"$ref": "#/definitions/XcodeVersions"}},
                ]
            }
        },
        "definitions": {"XcodeVersions": {"enum": ["xcode9", "xcode10"]}},
    }
    b = build("x_enum", schema)
    b.accepts({"image": "xcode9"})
    b.accepts({"image": ["xcode9", "xcode10"]})
    b.rejects({"image": "xcode1"}, "$.image")


def test_a_class_named_with_a_capital_x_in_a_union_with_a_dict(build: Builder) -> None:
    schema = {
        "$schema": D7,
        "type": "object",
        "properties": {
            "config": {
                "oneOf": [
                    {"$ref": "#/definitions/XMLConfig"},
                    {"type": "object", "additionalProperties": {"type": "integer"}, "maxProperties": 1},
                ]
            },
            "boxes": {"type": "array", "items": {"anyOf": [{"$ref": "#/definitions/BoxX"}, {"type": "integer"}]}},
        },
        "definitions": {
            "XMLConfig": {
                "type": "object",
                "required": ["xpath", "extra"],
                "properties": {"xpath": {"type": "string"}, "extra": {"type": "boolean"}},
            },
            "BoxX": {"type": "object", "required": ["maxX"], "properties": {"maxX": {"type": "integer"}}},
        },
    }
    b = build("x_class", schema)
    b.accepts({"config": {"xpath": "/a", "extra": True}})
    b.accepts({"config": {"n": 1}})
    b.accepts({"boxes": [{"maxX": 2}, 3]})
    b.rejects({"boxes": [{"maxX": "2"}]}, "$.boxes[0]")


# --- F3: an inline string enum of hundreds of values --------------------------------------------------------------


def test_an_inline_string_enum_of_811_values_gives_a_short_message(build: Builder) -> None:
    values = [f"id-{i}" for i in range(811)]
    schema = {
        "$schema": D7,
        "type": "object",
        "properties": {"lic": {"type": "string", "enum": values}, "n": {"enum": values}},
    }
    b = build("inline_enum", schema)
    b.accepts({"lic": "id-810"}, mutate=False)
    for key in ("lic", "n"):
        error = b.rejects({key: "nope"}, f"$.{key}")
        message = next(p.message for p in error.problems if p.path == f"$.{key}")
        assert message.startswith('expected one of "id-0", "id-1"'), message[:300]
        assert "(811 values)" in message and len(message) < 300, message[:300]
        assert len(str(error)) < 400, len(str(error))


# --- F15: nested past the recursion limit -------------------------------------------------------------------------

TREE = {
    "$schema": D2020,
    "$defs": {
        "Node": {
            "type": "object",
            "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
        }
    },
    "$ref": "#/$defs/Node",
}


def _deep(levels: int) -> dict[str, Any]:
    d: dict[str, Any] = {"children": []}
    for _ in range(levels):
        d = {"children": [d]}
    return d


def _run(built: Built, probe: str) -> subprocess.CompletedProcess[str]:
    """`probe` in a fresh interpreter (a RecursionError leaves no trace on this one) with the package importable."""
    env = {**os.environ, "PYTHONPATH": str(built.package_dir.parent)}
    code = f"import sys, json\nimport {built.package_dir.name} as t\n{probe}"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=BOUND, check=False
    )


def test_structure_and_loads_of_a_deep_document_are_document_errors(build: Builder) -> None:
    b = build("deep_tree", TREE)
    b.accepts(_deep(50), mutate=False)
    probe = (
        "c = t.make_converter()\n"
        "d = {'children': []}\n"
        "for _ in range(5000):\n"
        "    d = {'children': [d]}\n"
        "text = '{\"children\": [' * 5000 + '{\"children\": []}' + ']}' * 5000\n"
        "for name, call in [('structure', lambda: c.structure(d, t.ROOT)),\n"
        "                   ('loads', lambda: c.loads(text, t.ROOT)),\n"
        "                   ('loads_brackets', lambda: c.loads('[' * 100000 + ']' * 100000, t.ROOT))]:\n"
        "    try:\n"
        "        call()\n"
        "    except t.DocumentError as exc:\n"
        "        print(name, exc.problems[0].path, exc.problems[0].message)\n"
        "    else:\n"
        "        print(name, 'accepted')\n"
        "print('after', c.structure({'children': [{'children': []}]}, t.ROOT) is not None)\n"
    )
    ran = _run(b, probe)
    assert ran.returncode == 0, ran.stderr[-1500:]
    lines = ran.stdout.splitlines()
    assert lines[0] == "structure $ nested too deeply", ran.stdout
    assert lines[1] == "loads $ JSON nested too deeply", ran.stdout
    assert lines[2] == "loads_brackets $ JSON nested too deeply", ran.stdout
    assert lines[3] == "after True", ran.stdout


def test_unstructure_and_dumps_of_a_deep_or_self_referencing_object_are_document_errors(build: Builder) -> None:
    b = build("deep_tree", TREE)
    probe = (
        "c = t.make_converter()\n"
        "deep = c.structure({'children': []}, t.ROOT)\n"
        "for _ in range(5000):\n"
        "    deep = type(deep)(children=[deep])\n"
        "loop = c.structure({'children': []}, t.ROOT)\n"
        "loop.children.append(loop)\n"
        "import cattrs\n"
        "p = cattrs.Converter()\n"
        "t.register_hooks(p)\n"
        "for name, obj in [('deep', deep), ('loop', loop)]:\n"
        "    for how, call in [('unstructure', c.unstructure), ('dumps', c.dumps), ('own', p.unstructure)]:\n"
        "        try:\n"
        "            call(obj)\n"
        "        except t.DocumentError as exc:\n"
        "            print(name, how, exc.problems[0].path, exc.problems[0].message)\n"
        "        else:\n"
        "            print(name, how, 'written')\n"
        "print('after', c.dumps(c.structure({'children': []}, t.ROOT)))\n"
    )
    ran = _run(b, probe)
    assert ran.returncode == 0, ran.stderr[-1500:]
    lines = ran.stdout.splitlines()
    assert len(lines) == 7, ran.stdout
    for line in lines[:6]:
        assert line.split(" ", 2)[2] == "$ nested too deeply, or holds itself", ran.stdout
    assert lines[6] == 'after {"children": []}', ran.stdout


def test_the_orjson_converter_reads_and_writes_too_deep_as_document_errors(build: Builder) -> None:
    pytest.importorskip("orjson", reason="the test extra installs orjson; run where it is installed")
    b = build("deep_tree", TREE)
    probe = (
        "c = t.make_converter(json='orjson')\n"
        "text = '{\"children\": [' * 5000 + '{\"children\": []}' + ']}' * 5000\n"
        "deep = c.structure({'children': []}, t.ROOT)\n"
        "for _ in range(5000):\n"
        "    deep = type(deep)(children=[deep])\n"
        "loop = c.structure({'children': []}, t.ROOT)\n"
        "loop.children.append(loop)\n"
        "for name, call in [('loads', lambda: c.loads(text, t.ROOT)), ('deep', lambda: c.dumps(deep)),\n"
        "                   ('loop', lambda: c.dumps(loop))]:\n"
        "    try:\n"
        "        call()\n"
        "    except t.DocumentError as exc:\n"
        "        print(name, exc.problems[0].path, exc.problems[0].message)\n"
        "print('after', c.dumps(c.structure({'children': []}, t.ROOT)).decode())\n"
    )
    ran = _run(b, probe)
    assert ran.returncode == 0, ran.stderr[-1500:]
    assert ran.stdout.splitlines() == [
        "loads $ JSON nested too deeply",
        "deep $ nested too deeply, or holds itself",
        "loop $ nested too deeply, or holds itself",
        'after {"children":[]}',
    ], ran.stdout


# --- text that is not JSON -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("library", ["json", "orjson"])
def test_loads_of_text_that_is_not_json_is_a_document_error(build: Builder, library: str) -> None:
    """Hostile input: a truncated document, an empty body, bytes that are not UTF-8, a lone NaN: each a DocumentError at
    `$` saying where the text broke, never the JSON library's own exception, and never a piece of the text (it may
    hold a secret)."""
    if library == "orjson":
        pytest.importorskip("orjson", reason="the test extra installs orjson; run where it is installed")
    b = build("deep_tree", TREE)
    probe = (
        f"c = t.make_converter(json={library!r})\n"
        "for text in [b'{\"children\": [{\"child', b'', b'\\xff\\xfe{}', '{\"children\": [] ,}', 'sk-secret-value']:\n"
        "    try:\n"
        "        c.loads(text, t.ROOT)\n"
        "    except t.DocumentError as exc:\n"
        "        print(exc.problems[0].path, exc.problems[0].message)\n"
        "    except Exception as exc:\n"
        "        print('bare', type(exc).__name__)\n"
        "print('after', c.structure({'children': []}, t.ROOT) is not None)\n"
    )
    ran = _run(b, probe)
    assert ran.returncode == 0, ran.stderr[-1500:]
    lines = ran.stdout.splitlines()
    assert len(lines) == 6 and lines[5] == "after True", ran.stdout
    for line in lines[:5]:
        assert line.startswith("$ not valid JSON ("), ran.stdout
    assert "secret" not in ran.stdout and "child" not in ran.stdout, ran.stdout


# --- the generated code type-checks (last: it checks what the tests above generated) --------------------------------


def test_mypy_strict_on_these_packages(build: Builder, tmp_path: Path) -> None:
    built = [m for m in build.made.values() if isinstance(m, Built)]
    if not built:
        pytest.fail("no package was generated in this module run")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\npython_version = 3.10\n")
    command = [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(tmp_path / "cache")]
    for m in built:
        command += ["-p", m.package_dir.name]
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(m.package_dir.parent) for m in built)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
