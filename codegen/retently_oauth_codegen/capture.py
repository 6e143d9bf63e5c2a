"""Runs datamodel-code-generator's JSON Schema parser with our attrs back end and records, as the parser creates each
model, enum and alias, the parsed schema object (`JsonSchemaObject`) it came from.

The parser has one extension point every model passes through: `_record_schema_object(reference, obj)`. A subclass
overrides it to keep `(reference, obj)`; references keep their identity when the parser renames them, so after the
parse each result model finds its schema object by `id(model.reference)`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from datamodel_code_generator.enums import DataModelType
from datamodel_code_generator.format import DatetimeClassType, PythonVersion
from datamodel_code_generator.model import get_data_model_types
from datamodel_code_generator.parser.jsonschema import JsonSchemaParser

from .backend import AttrsField, AttrsModel, AttrsTypeAlias

DMCG_VERSION = "0.89.0"
"""The one datamodel-code-generator release this generator is written against (pinned in pyproject.toml)."""

TEMPLATES = Path(__file__).resolve().parent / "templates"


MESSAGE_LIMIT = 300
"""How much of the parser's own error message a one-line error quotes."""


class GenerationError(Exception):
    """The generator cannot produce output; the message is one line and names the JSON pointer at fault."""


class CapturingParser(JsonSchemaParser):
    """The JSON Schema parser, remembering which schema object each model is built from."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.captured: list[tuple[Any, Any]] = []

    def _record_schema_object(self, reference: Any, obj: Any) -> None:
        self.captured.append((reference, obj))
        super()._record_schema_object(reference, obj)

    def _prepare_schema_resources(self, raw: dict[str, Any], path_parts: list[str]) -> dict[str, Any]:
        return super()._prepare_schema_resources(with_local_refs(with_plain_anchors(raw)), path_parts)

    def _schema_object(self, raw: object) -> Any:
        raw = sanitize(raw)
        if raw is False:  # an unsatisfiable schema: the parser reads `false` this way (not by validating it)
            return self.SCHEMA_OBJECT_TYPE(is_boolean_schema_false=True)
        return super()._schema_object(raw)


def with_local_refs(raw: Any) -> Any:
    """The document with each `$ref` that names it by its own root `$id` (`/s.json#/x` or `urn:example:s#/x` in
    the document whose `$id` is `https://example.com/s.json` or `urn:example:s`) written as the fragment `#/x`
    (the parser joins such paths wrongly, and reads a URN as a file name). Embedded resources (a subschema with its
    own `$id`) keep theirs. The same object when there is none."""
    from .scopes import LISTS, MAPS, ONE

    if not isinstance(raw, dict) or not isinstance(raw.get("$id"), str) or ":" not in raw["$id"]:
        return raw
    own = raw["$id"].partition("#")[0]

    def local(ref: str) -> str | None:
        uri, _, fragment = ref.partition("#")
        if not uri:
            return None
        try:
            resolved = urljoin(own, uri)
        except ValueError:
            return None
        return "#" + fragment if resolved.partition("#")[0] == own else None

    def fix(value: Any, depth: int, top: bool) -> Any:
        if not isinstance(value, dict) or depth > 200:
            return value
        sub_id = value.get("$id")
        if not top and isinstance(sub_id, str) and sub_id and not sub_id.startswith("#"):
            return value  # an embedded resource: its refs resolve against its own $id
        out = value
        for keyword in ("$ref", "$dynamicRef"):
            ref = out.get(keyword)
            if isinstance(ref, str) and (new := local(ref)) is not None:
                out = {**out, keyword: new}
        for key in ONE:
            sub = out.get(key)
            if isinstance(sub, dict) and (changed := fix(sub, depth + 1, False)) is not sub:
                out = {**out, key: changed}
        for key in LISTS:
            sub = out.get(key)
            if isinstance(sub, list):
                items = [fix(x, depth + 1, False) for x in sub]
                if any(a is not b for a, b in zip(items, sub, strict=True)):
                    out = {**out, key: items}
        for key in MAPS:
            sub = out.get(key)
            if isinstance(sub, dict):
                entries = {k: fix(v, depth + 1, False) for k, v in sub.items()}
                if any(entries[k] is not sub[k] for k in sub):
                    out = {**out, key: entries}
        return out

    return fix(raw, 0, True)


_PLAIN_NAME = re.compile(r"#[A-Za-z_][-A-Za-z0-9._:]*")


def with_plain_anchors(raw: Any) -> Any:
    """The document with an `$anchor` beside each `$dynamicAnchor` of the same name (a `$dynamicAnchor` is also a
    plain-name fragment for `$ref`; the parser indexes `$anchor`s only), and, in a draft-04 document, beside each
    `"id": "#name"` (draft 4's spelling of a plain-name identifier). The same object when there is none."""
    from .scopes import LISTS, MAPS, ONE

    dialect = raw.get("$schema") if isinstance(raw, dict) else None
    draft4 = isinstance(dialect, str) and ("draft-04" in dialect or "draft-03" in dialect)

    def fix(value: Any, depth: int) -> Any:
        if not isinstance(value, dict) or depth > 200:
            return value
        out = value
        dynamic = value.get("$dynamicAnchor")
        legacy = value.get("id") if draft4 else None
        if isinstance(dynamic, str) and "$anchor" not in value:
            out = {**value, "$anchor": dynamic}
        elif isinstance(legacy, str) and _PLAIN_NAME.fullmatch(legacy) and "$anchor" not in value:
            out = {**value, "$anchor": legacy[1:]}  # (an `id` like "#/definitions/x" is no plain name)
        for key in ONE:
            sub = out.get(key)
            if isinstance(sub, dict) and (new := fix(sub, depth + 1)) is not sub:
                out = {**out, key: new}
        for key in LISTS:
            sub = out.get(key)
            if isinstance(sub, list):
                items = [fix(x, depth + 1) for x in sub]
                if any(a is not b for a, b in zip(items, sub, strict=True)):
                    out = {**out, key: items}
        for key in MAPS:
            sub = out.get(key)
            if isinstance(sub, dict):
                entries = {k: fix(v, depth + 1) for k, v in sub.items()}
                if any(entries[k] is not sub[k] for k in sub):
                    out = {**out, key: entries}
        return out

    return fix(raw, 0)


def _discriminator_ok(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if not isinstance(value, dict) or not isinstance(value.get("propertyName"), str):
        return False
    mapping = value.get("mapping")
    return mapping is None or (isinstance(mapping, dict) and all(isinstance(v, str) for v in mapping.values()))


def _unsatisfiable(value: dict[str, Any]) -> bool:
    """allOf with a `false` member, anyOf/oneOf of only `false` members: no value matches."""
    all_of = value.get("allOf")
    if isinstance(all_of, list) and any(x is False for x in all_of):
        return True
    return any(
        isinstance(value.get(k), list) and value[k] and all(x is False for x in value[k]) for k in ("anyOf", "oneOf")
    )


def sanitize(raw: Any) -> Any:
    """The schema with what the parser refuses, although JSON Schema allows it, made readable:
    - each `discriminator` (an OpenAPI annotation, no JSON Schema assertion): mapping values that are not `$ref`
      strings (pydantic's nested discriminators write objects there) are left out, a discriminator without a
      string propertyName is dropped;
    - an unsatisfiable subschema (`_unsatisfiable`) becomes `false`, which means the same.
    Unchanged (the same object) when there is none of these; else a copy."""
    from .scopes import LISTS, MAPS, ONE, subschemas

    def bad(value: Any, depth: int) -> bool:
        if not isinstance(value, dict) or depth > 200:
            return False
        if "discriminator" in value and not _discriminator_ok(value["discriminator"]):
            return True
        if _unsatisfiable(value):
            return True
        return any(bad(sub, depth + 1) for sub, _ in subschemas(value, ""))

    def fix(value: Any, depth: int) -> Any:
        if not bad(value, depth):
            return value
        if _unsatisfiable(value):
            return False
        out = dict(value)
        disc = out.get("discriminator")
        if "discriminator" in out and not _discriminator_ok(disc):
            if isinstance(disc, dict) and isinstance(disc.get("propertyName"), str):
                mapping = disc.get("mapping")
                kept = {k: v for k, v in mapping.items() if isinstance(v, str)} if isinstance(mapping, dict) else None
                out["discriminator"] = {**disc, "mapping": kept} if kept else {"propertyName": disc["propertyName"]}
            else:
                del out["discriminator"]
        for key in ONE:
            if isinstance(out.get(key), dict):
                out[key] = fix(out[key], depth + 1)
        for key in LISTS:
            if isinstance(out.get(key), list):
                out[key] = [fix(x, depth + 1) for x in out[key]]
        for key in MAPS:
            if isinstance(out.get(key), dict):
                out[key] = {k: fix(v, depth + 1) for k, v in out[key].items()}
        return out

    return fix(raw, 0)


@dataclass
class Parsed:
    parser: CapturingParser
    results: list[Any]
    objects: dict[int, list[Any]] = field(default_factory=dict)
    class_name: str | None = None
    """id(reference) -> the schema objects recorded for it (first is the one the model is built from)."""


def parse(schema_path: Path, class_name: str | None = None) -> Parsed:
    installed = version("datamodel-code-generator")
    if installed != DMCG_VERSION:
        raise GenerationError(
            f"datamodel-code-generator {installed} is installed, but generated code is pinned to {DMCG_VERSION}"
        )
    schema_path = schema_path.resolve()
    base_types = get_data_model_types(DataModelType.DataclassesDataclass, PythonVersion.PY_310)
    options: dict[str, Any] = {}
    if class_name:
        options["class_name"] = class_name
    parser = CapturingParser(
        schema_path,
        base_path=schema_path.parent,
        data_model_type=AttrsModel,
        data_model_root_type=AttrsTypeAlias,
        data_model_field_type=AttrsField,
        data_type_manager_type=base_types.data_type_manager,
        custom_template_dir=TEMPLATES,
        target_python_version=PythonVersion.PY_310,
        target_datetime_class=DatetimeClassType.Datetime,
        use_standard_collections=True,
        use_union_operator=True,
        use_schema_description=True,
        use_double_quotes=True,
        field_include_all_keys=True,
        field_constraints=True,
        keep_model_order=True,
        formatters=[],
        allow_remote_refs=False,  # no network: a remote $ref is a one-line error
        **options,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parser.parse()
        except GenerationError:
            raise
        except Exception as exc:
            text = str(exc)
            first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
            if first.startswith("Fetching remote $ref is disabled:"):
                url = first.partition(":")[2].strip()
                message = f"remote $ref {url} is not fetched (no network): save it beside the schema and refer to it"
                raise GenerationError(f"{schema_path.name}#: {message} by a relative path") from None
            if first.startswith("Blocked unsafe local $ref:"):
                ref = first.partition(":")[2].strip()
                raise GenerationError(f"{schema_path.name}#: $ref {ref} leaves the schema's directory") from None
            if isinstance(exc, RecursionError) or "recursion_depth_exceeded" in text:
                raise GenerationError(f"{schema_path.name}#: schema nested too deeply") from None
            message = " ".join(text.split()) or type(exc).__name__
            if len(message) > MESSAGE_LIMIT:  # pydantic lists every error with its input
                message = message[:MESSAGE_LIMIT] + " [...]"
            raise GenerationError(f"{schema_path.name}#: datamodel-code-generator cannot parse it: {message}") from None
    parsed = Parsed(parser, list(parser.results), class_name=class_name)
    for reference, obj in parser.captured:
        parsed.objects.setdefault(id(reference), []).append(obj)
    return parsed
