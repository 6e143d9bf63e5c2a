"""The Markdown reference pages the generator writes beside the package (`generated/docs/models/`): the seed pages'
tables row by row, every model of a schema with a page, no broken link, escaped schema text, and a JSON example on
each page that the generated converter structures and writes back unchanged."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from retently_oauth_codegen.cli import main as codegen_main
from retently_oauth_codegen.generate import DOCS, PACKAGE, SCHEMA, generate

from .corpus.harness import import_package, json_equal

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / "generated" / DOCS
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

# seed file prefix -> the model it documents
SEED_MODELS = {
    "000": "SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth",
    "001": "RetentlyCredentials",
    "002": "OAuth",
    "003": "PropertyConnectionAuth",
}
# Where our schema says more than a seed page, on purpose (see shared/seeds/README.md): the live unified.to SDK's
# PropertyConnectionAuth also carries these three fields (and its expiry_date is a date-time, where seed 003 says
# `date`; types are compared with our own annotations, not the seed's, so that needs no exception here). Our schema
# also keeps the keys it does not name (`additional_properties`), so that a document from a newer API round-trips.
EXTRA_FIELDS = {
    "PropertyConnectionAuth": {
        "dev_api_key",
        "refresh_token_expires_date",
        "refresh_token_expires_in",
        "additional_properties",
    }
}

# Where a seed page says N/A but ours shows the description of the definition the field `$ref`s, as the field's
# docstring in models.py does (a reader of the page learns what the field holds without following the link).
REF_DESCRIPTIONS = {
    ("OAuth", "type"): "HubSpot credentials type.",
    ("PropertyConnectionAuth", "meta"): "Free-form metadata of a connection's authentication.",
}

_SPLIT = re.compile(r"(?<!\\)\|")
_LINK = re.compile(r"\[((?:[^\[\]]|\\\[|\\\])*)\]\(([^)\s]+)\)")


# --- page parsing -----------------------------------------------------------------------------------------------


def unescape_cell(text: str) -> str:
    return text.strip().replace("\\|", "|").replace("<br>", "\n")


def table(page: str, heading: str = "Fields") -> list[dict[str, str]]:
    """The rows of the first table under `## heading`, as {column: unescaped cell}."""
    lines = page.splitlines()
    start = lines.index(f"## {heading}")
    rows = [line for line in lines[start + 1 :] if line.startswith("|")]
    end = next((i for i, line in enumerate(lines[start + 1 :]) if line.startswith("## ")), len(lines))
    rows = [line for line in lines[start + 1 : start + 1 + end] if line.startswith("|")]
    split = [[unescape_cell(c) for c in _SPLIT.split(line.strip())[1:-1]] for line in rows]
    head, body = split[0], split[2:]
    assert all(set(c) <= {"-", " ", ":"} for c in split[1]), f"no delimiter row under {heading}"
    for row in body:
        assert len(row) == len(head), f"a row with {len(row)} cells under a header of {len(head)}: {row}"
    return [dict(zip(head, row, strict=True)) for row in body]


def field_name(cell: str) -> str:
    return cell.strip("`")


def plain_type(cell: str) -> str:
    """A Type cell as Python: links replaced by their text, Markdown escapes and emphasis removed."""
    text = _LINK.sub(lambda m: m.group(1), cell)
    text = re.sub(r"\\(.)", r"\1", text)
    return text.strip("`")


def links(page: str) -> list[str]:
    """The links to pages of ours: relative `Name.md` links (a schema's own descriptions may link pages of its
    author's site, `../cli/x.md` say; those are the schema's text, kept as written)."""
    return [target for _, target in _LINK.findall(page) if re.fullmatch(r"[^/:#]+\.md", target)]


def field_docstrings(package: ModuleType) -> dict[str, dict[str, str]]:
    """Each class's attribute docstrings in the package's models.py, by class and field name."""
    tree = ast.parse((Path(package.__file__).parent / "models.py").read_text(encoding="utf-8"))
    out: dict[str, dict[str, str]] = {}
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef):
            docs = out.setdefault(cls.name, {})
            for first, second in zip(cls.body, cls.body[1:], strict=False):
                if (
                    isinstance(first, ast.AnnAssign)
                    and isinstance(first.target, ast.Name)
                    and isinstance(second, ast.Expr)
                    and isinstance(second.value, ast.Constant)
                    and isinstance(second.value.value, str)
                ):
                    docs[first.target.id] = second.value.value
    return out


def example(page: str) -> Any:
    found = re.search(r"## Example\n\n```json\n(.*?)\n```", page, re.S)
    return None if found is None else json.loads(found.group(1))


# --- shared checks ------------------------------------------------------------------------------------------------


def check_pages(docs: Path, package: ModuleType) -> dict[str, str]:
    """Every model has a page, the index links each, every relative link resolves, every Type cell is the model's
    annotation, and every example structures and writes back equal JSON. Returns the pages by model name."""
    names = sorted(package.STRUCTURERS[cls][0] for cls in package.STRUCTURERS)
    pages = {p.name: p.read_text(encoding="utf-8") for p in docs.glob("*.md")}
    assert "index.md" in pages
    by_model: dict[str, str] = {}
    for name in names:
        file = f"{name}_model.md" if name.lower() == "index" else f"{name}.md"
        assert file in pages, f"no page for {name}"
        assert pages[file].startswith(f"# {name}\n"), f"{file} is not titled {name}"
        assert f"]({file})" in pages["index.md"], f"the index does not link {file}"
        by_model[name] = pages[file]
    assert len(pages) == len(names) + 1, f"pages for no model: {sorted(set(pages) - {'index.md'})}"
    for file, text in pages.items():
        for target in links(text):
            assert (docs / target).is_file(), f"{file}: broken link {target}"
        for row in table(text) if "## Fields" in text else []:  # every nested model's type links its page
            assert links(row["Type"]) or not re.search(r"\]\(", row["Type"]), f"{file}: {row['Type']}"
    docstrings = field_docstrings(package)
    for name, text in by_model.items():  # a Description cell says what the field's docstring in models.py says
        for row in table(text) if "## Fields" in text else []:
            field = field_name(row["Field"])
            if field != "additional_properties":
                said = docstrings[name].get(field, "").replace("\r\n", "\n").replace("\r", "\n").strip() or "N/A"
                assert row["Description"] == said, f"{name}.{field}: {row['Description']!r}, models.py: {said!r}"
    converter = package.make_converter()
    for name, text in by_model.items():
        cls = getattr(package, name)
        if attrs.has(cls):
            # The annotations as written: attrs field types become classes once anything resolves them.
            written = {k: v for b in reversed(cls.__mro__) for k, v in vars(b).get("__annotations__", {}).items()}
            types = {f.name: written[f.name] for f in attrs.fields(cls)}
            for row in table(text):
                assert "Optional[" not in row["Type"] and "Dict[" not in row["Type"]
                assert plain_type(row["Type"]) == types[field_name(row["Field"])], f"{name}.{row['Field']}"
            assert {field_name(r["Field"]) for r in table(text)} == set(types) - {"_defaulted"}
        doc = example(text)
        if "## Example" in text:
            obj = converter.structure(doc, cls)
            back = converter.unstructure(obj, unstructure_as=cls)
            assert json_equal(back, doc), f"{name}: the example {doc!r} was written back as {back!r}"
    return by_model


# --- our schema ----------------------------------------------------------------------------------------------------


def test_every_model_of_our_schema_has_a_page_without_broken_links_and_a_round_tripping_example() -> None:
    import retently_oauth_models

    pages = check_pages(OURS, retently_oauth_models)
    assert all("## Example" in text for text in pages.values()), "a model of our schema without an example"


@pytest.mark.parametrize("prefix", sorted(SEED_MODELS))
def test_seed_page_fields_match_ours_row_by_row(prefix: str) -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"the seed pages are not beside the checkout ({SEEDS} is absent)")
    (seed_file,) = SEEDS.glob(f"{prefix}_*.txt")
    model = SEED_MODELS[prefix]
    seed = seed_file.read_text(encoding="utf-8")
    ours = (OURS / f"{model}.md").read_text(encoding="utf-8")
    assert seed.splitlines()[0] == ours.splitlines()[0] == f"# {model}"
    seed_rows = {field_name(r["Field"]): r for r in table(seed)}
    our_rows = {field_name(r["Field"]): r for r in table(ours)}
    assert set(our_rows) - EXTRA_FIELDS.get(model, set()) == set(seed_rows)
    for name, seed_row in seed_rows.items():
        row = our_rows[name]
        assert row["Required"] == seed_row["Required"], f"{model}.{name}: required"
        # the seed generator printed the JSON spelling of a quote (`\"`) inside the HubSpot links; the text is `"`
        said = REF_DESCRIPTIONS.get((model, name), seed_row["Description"].replace('\\"', '"'))
        assert seed_row["Description"] == "N/A" or (model, name) not in REF_DESCRIPTIONS
        assert row["Description"] == said, f"{model}.{name}: description"
        assert "Optional[" not in row["Type"] and "Dict[" not in row["Type"], f"{model}.{name}: {row['Type']}"
        # the seed links a nested model: so do we, to our page of it; except that a `const` (seed 000's auth_type,
        # an enum of one value there) is a `Literal[...]` here, with no class and so no page of its own
        if "models/" in seed_row["Type"] and not plain_type(row["Type"]).startswith("Literal["):
            assert links(row["Type"]), f"{model}.{name}: {row['Type']} links no page"


def test_pages_say_what_the_schema_says_beyond_the_seeds() -> None:
    oauth = (OURS / "OAuth.md").read_text()
    rows = {field_name(r["Field"]): r for r in table(oauth)}
    assert "secret" in rows["client_secret"]["Details"] and "secret" in rows["refresh_token"]["Details"]
    assert "secret" not in rows["client_id"]["Details"]
    assert rows["type"]["Type"] == "[Type](Type.md) | None"
    assert rows["additional_properties"]["Type"] == "dict\\[str, Any\\]"
    variant = (OURS / "SourceRetentlyAuthenticationMechanismAuthenticateViaRetentlyOAuth.md").read_text()
    auth_type = {field_name(r["Field"]): r for r in table(variant)}["auth_type"]
    assert 'const `"Client"`' in auth_type["Details"] and 'default `"Client"`' in auth_type["Details"]
    union = (OURS / "SourceRetentlyAuthenticationMechanism.md").read_text()
    members = table(union, "Members")
    assert ['`auth_type` is `"Client"`' in m["Told apart by"] for m in members] == [True, False]
    assert ['`auth_type` is `"Token"`' in m["Told apart by"] for m in members] == [False, True]
    expiry = {field_name(r["Field"]): r for r in table((OURS / "PropertyConnectionAuth.md").read_text())}
    assert "format `date-time` (a bare date is accepted on input)" in expiry["expiry_date"]["Details"]
    assert (
        "minimum 0"
        in {field_name(r["Field"]): r for r in table((OURS / "TokenResponse.md").read_text())}["expires_in"]["Details"]
    )
    enum = table((OURS / "CodeChallengeMethod.md").read_text(), "Members")
    assert [r["Value"] for r in enum] == ['`"S256"`', '`"plain"`']


def test_pages_are_byte_reproducible_and_drift_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate(SCHEMA, tmp_path / "a")
    generate(SCHEMA, tmp_path / "b")
    first = {p.name: p.read_bytes() for p in (tmp_path / "a" / DOCS).iterdir()}
    second = {p.name: p.read_bytes() for p in (tmp_path / "b" / DOCS).iterdir()}
    committed = {p.name: p.read_bytes() for p in OURS.iterdir()}
    assert first == second == committed
    page = tmp_path / "a" / DOCS / "OAuth.md"
    page.write_text(page.read_text().replace("HubSpot OAuth credentials.", "Edited."))
    assert codegen_main(["check", "--out", str(tmp_path / "a")]) == 1
    assert "+HubSpot OAuth credentials." in capsys.readouterr().out
    (tmp_path / "a" / DOCS / "Stale.md").write_text("# Stale\n")
    page.write_text(first["OAuth.md"].decode())
    assert codegen_main(["check", "--out", str(tmp_path / "a")]) == 1
    (tmp_path / "a" / DOCS / "Stale.md").unlink()
    assert codegen_main(["check", "--out", str(tmp_path / "a")]) == 0
    assert PACKAGE in capsys.readouterr().out


# --- other schemas (minimal ones written here, in the style of the generator's regression tests) ----------------

D7 = "http://json-schema.org/draft-07/schema#"
D4 = "http://json-schema.org/draft-04/schema#"
D2020 = "https://json-schema.org/draft/2020-12/schema"

SCHEMAS: dict[str, Any] = {
    # a connector spec: a oneOf of credentials told apart by a const tag, secrets, defaults, pattern and bounds
    "connector": {
        "$schema": D7,
        "title": "Connector Spec",
        "description": "A connector's config | with a pipe,\nand a second line.",
        "type": "object",
        "required": ["credentials", "start_date"],
        "additionalProperties": True,
        "properties": {
            "start_date": {
                "type": "string",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                "description": "UTC date, YYYY-MM-DD | inclusive.\nOlder data is skipped.",
            },
            "page_size": {"type": "integer", "minimum": 10, "maximum": 500, "default": 100},
            "region": {"type": "string", "enum": ["eu", "us"], "default": "us"},
            "credentials": {
                "title": "Authentication",
                "oneOf": [
                    {
                        "title": "OAuth2",
                        "type": "object",
                        "required": ["auth_type", "client_id", "client_secret"],
                        "properties": {
                            "auth_type": {"type": "string", "const": "oauth2"},
                            "client_id": {"type": "string", "minLength": 3},
                            "client_secret": {"type": "string", "airbyte_secret": True},
                        },
                    },
                    {
                        "title": "Api Key",
                        "type": "object",
                        "required": ["auth_type", "api_key"],
                        "properties": {
                            "auth_type": {"type": "string", "const": "api_key"},
                            "api_key": {"type": "string", "airbyte_secret": True, "x-secret": True},
                        },
                    },
                ],
            },
        },
    },
    # a draft-04 document type with nested arrays of definitions, a nullable enum and a closed object
    "catalog": {
        "$schema": D4,
        "title": "Catalog",
        "type": "object",
        "additionalProperties": False,
        "required": ["streams"],
        "properties": {
            "streams": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/stream"}},
            "mode": {"enum": ["full", "incremental", None]},
        },
        "definitions": {
            "stream": {
                "type": "object",
                "description": "One stream `name` with *markdown*.",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "maxLength": 64},
                    "cursor": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                    "weight": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
                    "sync": {"$ref": "#/definitions/sync"},
                },
            },
            "sync": {"type": "string", "enum": ["append", "overwrite"], "description": "How rows are written."},
        },
    },
    # a recursive tree and a recursive alias (arrays of arrays), allOf inheritance, an anyOf of a string or null,
    # a date-time and a uuid
    "tree": {
        "$schema": D2020,
        "title": "Tree",
        "$ref": "#/$defs/node",
        "$defs": {
            "base": {
                "type": "object",
                "properties": {"id": {"type": "string", "format": "uuid"}},
                "required": ["id"],
            },
            "node": {
                "allOf": [{"$ref": "#/$defs/base"}],
                "type": "object",
                "properties": {
                    "label": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "created": {"type": "string", "format": "date-time"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                    "kind": {"const": "node"},
                    "nested": {"$ref": "#/$defs/nested"},
                    "matrix": {
                        "type": "array",
                        "items": {"type": "array", "items": {"type": "string", "minLength": 2}},
                    },
                },
            },
            "nested": {"type": "array", "items": {"$ref": "#/$defs/nested"}},
        },
    },
    # what the review of the pages found missing: `$ref`s to described definitions, absent-versus-null fields, and the
    # constraints of object values (additional and pattern properties, property names, dependencies, sizes)
    "gaps": {
        "$schema": D7,
        "title": "Thing",
        "type": "object",
        "required": ["kind", "n"],
        "minProperties": 2,
        "additionalProperties": {"type": "integer", "minimum": 0},
        "dependencies": {"opt": ["maybe"]},
        "properties": {
            "kind": {"$ref": "#/definitions/kind"},
            "n": {"type": ["integer", "null"], "description": "A count, or null."},
            "maybe": {"type": ["string", "null"]},
            "opt": {"type": "string"},
            "with-dash": {"type": "string", "default": "d"},
            "obj": {"$ref": "#/definitions/sub", "description": "Its own words."},
            "obj2": {"$ref": "#/definitions/sub"},
            "tags": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 3}},
            "pp": {
                "type": "object",
                "patternProperties": {"^x-": {"type": "integer"}},
                "propertyNames": {"maxLength": 10},
                "additionalProperties": False,
            },
        },
        "definitions": {
            "kind": {"enum": ["a", "b"], "description": "The kind of thing."},
            "sub": {"type": "object", "description": "A sub object.", "properties": {"x": {"type": "integer"}}},
        },
    },
    # anyOf members that only name required keys, which the enclosing object's properties describe (taskfile.json's
    # root, readthedocs.json's `build`): the example gives those keys values of the described types, and a member
    # made a class of its own gets the enclosing object's required keys too
    "members": {
        "$schema": D7,
        "title": "Conf",
        "type": "object",
        "required": ["version"],
        "additionalProperties": False,
        "anyOf": [{"required": ["includes"]}, {"required": ["tasks"]}],
        "properties": {
            "version": {"type": "string"},
            "includes": {"type": "object", "additionalProperties": {"type": "string"}},
            "tasks": {"type": "array", "items": {"type": "string"}},
            "build": {
                "type": "object",
                "required": ["os"],
                "additionalProperties": False,
                "anyOf": [{"required": ["tools"]}, {"required": ["commands"]}],
                "properties": {
                    "os": {"enum": ["ubuntu-22.04", "ubuntu-24.04"]},
                    "tools": {"type": "object", "properties": {"python": {"type": "string"}}},
                    "commands": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    # parts without a `type` that speak of objects only through patternProperties or properties (openapi 3.1's
    # media-type: allOf specification-extensions and examples): the example is an object, not a string
    "untyped": {
        "$schema": D2020,
        "title": "Media",
        "type": "object",
        "properties": {"schema": {"type": "string"}},
        "allOf": [{"$ref": "#/$defs/ext"}, {"$ref": "#/$defs/examples"}],
        "unevaluatedProperties": False,
        "$defs": {"ext": {"patternProperties": {"^x-": True}}, "examples": {"properties": {"example": True}}},
    },
    # oneOf members that all accept `{}` (bitbucket-pipelines' step/stage/variables items): the example names a key
    # of one member only, so that it matches exactly one
    "ambiguous": {
        "$schema": D7,
        "title": "Steps",
        "type": "array",
        "items": {
            "oneOf": [
                {"type": "object", "additionalProperties": False, "properties": {"step": {"type": "string"}}},
                {"type": "object", "additionalProperties": False, "properties": {"stage": {"type": "string"}}},
            ]
        },
    },
    # a property whose `type` no member of its anyOf can have (bamboo-spec's notification recipients: an array that
    # is an object): no value is valid, so the example leaves the optional key out
    "impossible": {
        "$schema": D7,
        "title": "Notification",
        "type": "object",
        "properties": {
            "recipients": {"type": "array", "anyOf": [{"type": "object"}, {"type": "object", "required": ["a"]}]},
            "events": {"type": "array", "items": {"type": "string"}},
        },
    },
    # an allOf whose first part only annotates (setuptools' file-directive-for-dependencies: a `$$description`, then
    # a `$ref`): the example is the constraining part's
    "annotated": {
        "$schema": D7,
        "title": "Dyn",
        "type": "object",
        "properties": {"deps": {"$ref": "#/definitions/fd"}},
        "definitions": {
            "fd": {"allOf": [{"description": "Beta."}, {"$ref": "#/definitions/file"}]},
            "file": {
                "type": "object",
                "additionalProperties": False,
                "required": ["file"],
                "properties": {"file": {"type": "string"}},
            },
        },
    },
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, ModuleType]]:
    out: dict[str, tuple[Path, ModuleType]] = {}
    for name, schema in SCHEMAS.items():
        base = tmp_path_factory.mktemp(f"pages_{name}")
        path = base / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
        generate(path, base / "out", package=f"pages_{name}")
        out[name] = (base / "out", import_package(base / "out", f"pages_{name}"))
    return out


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_pages_for_other_schemas(name: str, built: dict[str, tuple[Path, ModuleType]]) -> None:
    out, package = built[name]
    pages = check_pages(out / DOCS, package)
    assert any("## Example" in text for text in pages.values())


def test_schema_text_is_escaped_in_table_cells(built: dict[str, tuple[Path, ModuleType]]) -> None:
    out, package = built["connector"]
    page = (out / DOCS / f"{package.ROOT.__name__}.md").read_text()
    rows = {field_name(r["Field"]): r for r in table(page)}
    assert rows["start_date"]["Description"] == "UTC date, YYYY-MM-DD | inclusive.\nOlder data is skipped."
    assert "pattern `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`" in rows["start_date"]["Details"]
    assert "minimum 10" in rows["page_size"]["Details"] and "maximum 500" in rows["page_size"]["Details"]
    assert "default `100`" in rows["page_size"]["Details"]
    told = rows["credentials"]["Details"]  # an inline oneOf has no page: its row says how its members differ
    assert "told apart by `auth_type`" in told
    assert '`auth_type` is `"oauth2"`' in told and '`auth_type` is `"api_key"`' in told
    assert example(page)["start_date"] == "0000-00-00"  # spelled from the pattern
    secrets = [p.read_text() for p in (out / DOCS).glob("*.md") if "client_secret" in p.read_text()]
    assert any("**secret**" in r["Details"] for text in secrets for r in table(text) if "secret" in r["Field"])


def _rows(page: str) -> dict[str, dict[str, str]]:
    return {field_name(r["Field"]): r for r in table(page)}


def test_a_ref_to_a_described_definition_shows_its_description(built: dict[str, tuple[Path, ModuleType]]) -> None:
    assert _rows((OURS / "OAuth.md").read_text())["type"]["Description"] == "HubSpot credentials type."
    out, _ = built["gaps"]
    rows = _rows((out / DOCS / "Thing.md").read_text())
    assert rows["kind"]["Description"] == "The kind of thing."  # a described enum
    assert rows["obj2"]["Description"] == "A sub object."  # a described class
    assert rows["obj"]["Description"] == "Its own words."  # the property's own words first


def test_pages_say_what_unset_and_none_mean(built: dict[str, tuple[Path, ModuleType]]) -> None:
    out, _ = built["gaps"]
    index = (out / DOCS / "index.md").read_text()
    section = index[index.index("## Absent keys and null") :]
    assert "`UNSET`" in section and "`pages_gaps.Unset`" in section and "`null`" in section
    page = (out / DOCS / "Thing.md").read_text()
    assert "(index.md#absent-keys-and-null)" in page
    rows = _rows(page)
    assert "Unset" in rows["maybe"]["Type"]
    assert "absent: `UNSET`; `null`: `None`" in rows["maybe"]["Details"]
    assert "absent: `None` (`null` is refused)" in rows["opt"]["Details"]
    assert "absent" not in rows["n"]["Details"] and "absent" not in rows["kind"]["Details"]  # required
    assert "absent" not in rows["with_dash"]["Details"]  # its default says it
    ours = (OURS / "index.md").read_text()
    assert "## Absent keys and null" in ours and "`retently_oauth_models.UNSET`" in ours
    for file in OURS.glob("*.md"):  # every page with Unset in a Type cell says where it is explained
        text = file.read_text()
        if "## Fields" in text and any("Unset" in r["Type"] for r in table(text)):
            assert "(index.md#absent-keys-and-null)" in text, file.name


def test_pages_say_the_constraints_on_object_values(built: dict[str, tuple[Path, ModuleType]]) -> None:
    out, _ = built["gaps"]
    page = (out / DOCS / "Thing.md").read_text()
    rows = _rows(page)
    assert "values: str, max length 3" in rows["tags"]["Details"]
    assert "keys matching `^x-`: int" in rows["pp"]["Details"]
    assert "key names: max length 10" in rows["pp"]["Details"]
    assert "no other keys" in rows["pp"]["Details"]
    assert "values: int, minimum 0" in rows["additional_properties"]["Details"]
    constraints = re.search(r"^Constraints: (.*)$", page, re.M)
    assert constraints is not None
    assert "min properties 2" in constraints.group(1)
    assert "`opt` requires `maybe`" in constraints.group(1)


def test_examples_of_required_only_members_take_the_enclosing_objects_properties(
    built: dict[str, tuple[Path, ModuleType]],
) -> None:
    out, _ = built["members"]
    # the root's example: `{"required": ["includes"]}` names the key, the root's `includes` says it is an object
    assert example((out / DOCS / "Conf.md").read_text()) == {"includes": {}, "version": "example"}
    # a member made a class of its own: the enclosing object's required `os`, values as its properties describe
    assert example((out / DOCS / "Build.md").read_text()) == {"tools": {}, "os": "ubuntu-22.04"}
    assert example((out / DOCS / "Build1.md").read_text()) == {"commands": ["example"], "os": "ubuntu-22.04"}
