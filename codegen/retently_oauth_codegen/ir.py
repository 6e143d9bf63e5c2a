"""The generator's intermediate representation: a graph of schema nodes.

Each node carries the JSON Schema keywords of one schema object, with their literal JSON Schema meaning, read from
the objects datamodel-code-generator parsed (`capture.py`), and its Python representation (`Py`): a generated
class, enum or alias, or a list, dict, union or scalar. Names, fields and required-ness come from the parser's
results; `$ref`s are resolved with the parser's own reference keys, so a ref names the model the parser made.
"""

from __future__ import annotations

import builtins
import json
import keyword
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from datamodel_code_generator.model.base import DataModel
from datamodel_code_generator.model.enum import Enum as DmcgEnum
from datamodel_code_generator.parser._schema_object import JsonSchemaObject
from datamodel_code_generator.reference import location_of

from .backend import AttrsModel, AttrsTypeAlias
from .capture import GenerationError, Parsed, sanitize
from .scopes import Scopes

SCALARS = ("str", "int", "float", "bool", "none", "any", "datetime", "date", "uuid")
BUILDING_SCALARS = ("datetime", "date", "uuid")


@dataclass(frozen=True)
class Py:
    """A Python representation. kind: class, enum, alias, list, dict, union, literal, or one of SCALARS."""

    kind: str
    name: str = ""
    args: tuple[Py, ...] = ()
    values: tuple[Any, ...] = ()

    def annotation(self) -> str:
        if self.kind in ("class", "enum", "alias"):
            return self.name
        if self.kind == "list":
            return f"list[{self.args[0].annotation()}]"
        if self.kind == "dict":
            return f"dict[str, {self.args[0].annotation()}]"
        if self.kind == "literal":
            return "Literal[" + ", ".join(repr(v) for v in self.values) + "]"
        if self.kind == "union":
            parts: list[str] = []
            for arg in self.args:
                text = arg.annotation()
                if text not in parts:
                    parts.append(text)
            if "Any" in parts:
                return "Any"
            if "None" in parts:  # None last, as people write it
                parts = [p for p in parts if p != "None"] + ["None"]
            return " | ".join(parts)
        return {"none": "None", "any": "Any", "uuid": "UUID"}.get(self.kind, self.kind)


ANY = Py("any")
_UNREADABLE = object()


@dataclass(eq=False)
class Model:
    name: str
    kind: str  # class, enum, alias
    node: Node
    result: Any
    description: str | None = None
    fields: list[FieldInfo] = field(default_factory=list)
    extra: bool = True
    members: list[tuple[str, Any]] = field(default_factory=list)  # enum member name, value


@dataclass(eq=False)
class FieldInfo:
    name: str
    key: str
    required: bool
    node: Node
    """The property schema (metadata: description, default, secrecy)."""
    own: bool
    """Declared in the class's own `properties` (validated there); else inherited through allOf."""
    secret: bool = False
    default_source: str | None = None
    default_value: Any = None
    structured_default: str | None = None
    """A JSON default the representation cannot spell as Python: structured when the key is absent."""
    nullable: bool = False


_META_ONLY = {
    "title",
    "description",
    "default",
    "examples",
    "example",
    "$comment",
    "readOnly",
    "writeOnly",
    "deprecated",
    "$schema",
    "$id",
    "id",
    "$anchor",
    "definitions",
    "$defs",
    "contentEncoding",
    "contentMediaType",
}


@dataclass(eq=False)
class Node:
    index: int
    where: str
    boolean: bool | None = None
    ref: Node | None = None
    ref_only: bool = False
    types: tuple[str, ...] | None = None
    enum: tuple[Any, ...] | None = None
    has_const: bool = False
    const: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None
    accept_date: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    prefix_items: tuple[Node, ...] = ()
    items: Node | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    contains: Node | None = None
    min_contains: int | None = None
    max_contains: int | None = None
    properties: dict[str, Node] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    additional: Node | None = None
    pattern_properties: tuple[tuple[str, Node], ...] = ()
    property_names: Node | None = None
    min_properties: int | None = None
    max_properties: int | None = None
    dependent_required: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dependent_schemas: dict[str, Node] = field(default_factory=dict)
    unevaluated_properties: Node | None = None
    """2019-09 and later: keys that no in-place subschema (allOf, $ref, a matching anyOf/oneOf member, if/then/else,
    dependentSchemas) evaluates must match it (`nodes/unevaluated.py`)."""
    unevaluated_items: Node | None = None
    all_of: tuple[Node, ...] = ()
    any_of: tuple[Node, ...] = ()
    one_of: tuple[Node, ...] = ()
    not_: Node | None = None
    if_: Node | None = None
    then: Node | None = None
    else_: Node | None = None
    discriminator: str | None = None
    description: str | None = None
    title: str | None = None
    has_default: bool = False
    default: Any = None
    secret: bool = False
    model: Model | None = None
    aliases: list[Model] = field(default_factory=list)
    own_py: Py | None = None
    source: str = "types"
    builder: Node | None = None
    """For source allof/ref: the member whose structured value is the node's value."""

    @property
    def fn(self) -> str:
        if self.model is not None and self.model.kind == "class":
            return f"_s_{self.model.name}"
        return f"_s{self.index}"

    @property
    def ufn(self) -> str:
        if self.model is not None and self.model.kind == "class":
            return f"_u_{self.model.name}"
        return f"_u{self.index}"

    def target(self) -> Node:
        """This node, or the node a bare `$ref` leads to."""
        node: Node = self
        seen: set[int] = set()
        while node.ref_only and node.ref is not None and node.model is None and id(node) not in seen:
            seen.add(id(node))
            node = node.ref
        return node

    @property
    def py(self) -> Py:
        """How a value of this schema is represented where it is used."""
        node = self.target()
        if node.model is not None:
            if node.own_py is not None and node.own_py.kind == "union":
                return node.own_py
            return Py(node.model.kind, node.model.name)
        if node.aliases:
            return Py("alias", node.aliases[0].name)
        assert node.own_py is not None
        return node.own_py

    def allows(self, json_type: str) -> bool:
        return self.types is None or json_type in self.types or (json_type == "integer" and "number" in self.types)


@dataclass
class Schema:
    nodes: list[Node] = field(default_factory=list)
    models: dict[str, Model] = field(default_factory=dict)
    root: Model | None = None
    root_node: Node | None = None
    strict_integers: bool = False
    refs_override_siblings: bool = False
    unevaluated: bool = True
    """The dialect has unevaluatedProperties/unevaluatedItems (2019-09 and later, or no `$schema`)."""
    contains_evaluates: bool = True
    """Items that match `contains` count as evaluated for unevaluatedItems (2020-12; not 2019-09)."""


RESERVED = set(keyword.kwlist) | set(dir(builtins))
RESERVED |= {
    "Any",
    "Literal",
    "TypeAlias",
    "Annotated",
    "Enum",
    "UUID",
    "datetime",
    "date",
    "define",
    "field",
    "UNSET",
    "Unset",
    "DocumentError",
    "Problem",
    "ROOT",
    "STRUCTURERS",
    "UNSTRUCTURERS",
    "make_converter",
    "register_hooks",
    "structure_hook",
    "secret_repr",
    "keys_repr",
    "annotations",
}


_FIELD_RESERVED = {
    "self",
    "str",
    "int",
    "float",
    "bool",
    "list",
    "dict",
    "frozenset",
    "Any",
    "Literal",
    "Unset",
    "datetime",
    "date",
    "UUID",
    "None",
    "True",
    "False",
}
"""Field names that would shadow a name the class body's annotations use."""


def is_secret(extras: dict[str, Any]) -> bool:
    return bool(
        extras.get("writeOnly") or extras.get("x-secret") or extras.get("x_secret") or extras.get("airbyte_secret")
    )


def _num(value: Any) -> float | None:
    value = getattr(value, "value", value)  # the parser's UnionIntFloat / FloatConstraint wrappers
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


class Builder:
    def __init__(self, parsed: Parsed, raw_root: dict[str, Any] | Any, base: Path, root_doc: str) -> None:
        self.parsed = parsed
        self.parser = parsed.parser
        self.schema = Schema()
        self.by_key: dict[str, Node] = {}
        self.by_id: dict[int, Node] = {}
        self.keep: list[Any] = []
        self.captured_by_loc: dict[str, Any] = {}
        self.base = base
        self.root_doc = root_doc
        self.class_name = parsed.class_name
        self.documents: dict[str, Any] = {}
        self._scopes: Scopes | None = None
        self._enclosing: dict[int, list[Node]] | None = None
        self.raw_root = raw_root
        dialect = raw_root.get("$schema", "") if isinstance(raw_root, dict) else ""
        dialect = dialect if isinstance(dialect, str) else ""
        self.schema.strict_integers = "draft-04" in dialect or "draft-03" in dialect
        self.schema.refs_override_siblings = any(f"draft-0{n}" in dialect for n in range(3, 8))
        self.schema.unevaluated = not self.schema.refs_override_siblings
        self.schema.contains_evaluates = "2019-09" not in dialect
        for _reference, obj in parsed.parser.captured:
            loc = obj.schema_location
            if loc is not None:
                self.captured_by_loc.setdefault(str(loc), obj)

    @property
    def scopes(self) -> Scopes:
        if self._scopes is None:
            self._scopes = Scopes(self.base, self.root_doc)
        return self._scopes

    # -- refs ----------------------------------------------------------------------------------------------------

    def _ref_key(self, ref: Any, document: str) -> str:
        edge = getattr(ref, "edge", None)
        if edge is not None:
            try:
                return str(self.parser._compute_edge_key(edge).key)
            except Exception:  # noqa: S110 (fall back to resolving the spelling below)
                pass
        ref = str(ref)
        document = str(document)
        if ref.startswith("#"):
            return f"{document}{ref}"
        file_part, _, fragment = ref.partition("#")
        if "://" in file_part:
            return str(ref if "#" in ref else ref + "#")
        joined = str(posixpath.normpath(posixpath.join(posixpath.dirname(document), file_part)))
        return f"{joined}#{fragment}"

    def _load(self, key: str) -> Any:
        if key in self.by_key:
            return None
        try:
            return self.parser._load_ref_schema_object(key)
        except Exception:
            return None

    def _check_pointer(self, key: str, ref: Any, where: str) -> None:
        """A `$ref` into a local file must name a value that is there (the parser would read it as `{}`)."""
        doc, _, pointer = key.partition("#")
        if "://" in doc or (pointer and not pointer.startswith("/")):
            return
        path = self.base / doc
        if doc not in self.documents:
            try:
                self.documents[doc] = json.loads(path.read_bytes())
            except (OSError, ValueError):
                self.documents[doc] = _UNREADABLE
        value = self.documents[doc]
        if value is _UNREADABLE:
            if not path.exists():
                raise GenerationError(f"{where}: $ref {str(ref)!r} names a file that does not exist")
            return
        for token in pointer.split("/")[1:]:
            token = unquote(token).replace("~1", "/").replace("~0", "~")
            if isinstance(value, dict) and token in value:
                value = value[token]
            elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
                value = value[int(token)]
            else:
                raise GenerationError(f"{where}: $ref {str(ref)!r} does not resolve")

    def _resolve(self, ref: Any, document: Any, where: str) -> Node:
        key = self._ref_key(ref, document)
        if key in self.by_key:
            return self.by_key[key]
        self._check_pointer(key, ref, where)
        obj = self.captured_by_loc.get(key)
        if obj is None:
            try:
                obj = self.parser._load_ref_schema_object(key)
            except Exception as exc:
                raise GenerationError(f"{where}: cannot resolve $ref {str(ref)!r}: {type(exc).__name__}") from None
        doc = key.partition("#")[0]
        return self.node(obj, key, doc, key=key)

    # -- nodes ---------------------------------------------------------------------------------------------------

    def node(self, obj: Any, where: str, document: str, key: str | None = None) -> Node:
        if isinstance(obj, dict):
            obj = sanitize(obj)
        if isinstance(obj, dict):
            obj = JsonSchemaObject.model_validate(obj)
            self.keep.append(obj)
        if isinstance(obj, bool):
            n = Node(len(self.schema.nodes), where, boolean=obj)
            self.schema.nodes.append(n)
            return n
        loc = obj.schema_location
        if loc is not None:
            where = str(loc)
            document = loc.document
            key = where
        elif key is None and "#" in where:
            key = where
        if key is not None and key in self.by_key:
            return self.by_key[key]
        if id(obj) in self.by_id:
            return self.by_id[id(obj)]
        self.keep.append(obj)
        n = Node(len(self.schema.nodes), where)
        self.schema.nodes.append(n)
        if key is not None:
            self.by_key[key] = n
        self.by_id[id(obj)] = n
        self._fill(n, obj, where, document)
        return n

    def _child(self, value: Any, where: str, document: str) -> Node:
        return self.node(value, where, document)

    def _fill(self, n: Node, obj: JsonSchemaObject, where: str, document: str) -> None:
        extras: dict[str, Any] = dict(obj.extras or {})
        n.description = obj.description
        n.title = obj.title
        n.secret = bool(obj.writeOnly) or is_secret(extras)
        n.accept_date = bool(extras.get("x-accept-date"))
        if "default" in obj.model_fields_set:
            n.has_default = True
            n.default = obj.default
        if obj.is_boolean_schema_false:
            n.boolean = False
            return
        ref = obj.ref
        if ref is not None:
            n.ref = self._resolve(ref, document, where)
        else:
            for keyword, dynamic in (("$dynamicRef", obj.dynamicRef), ("$recursiveRef", obj.recursiveRef)):
                if dynamic is not None:  # the schema the dynamic scope picks (scopes.py), or a one-line error
                    doc, pointer = self.scopes.resolve(keyword, dynamic, where)
                    n.ref = self._resolve("#" + pointer, doc, where)
                    break
        set_fields = {k for k in obj.model_fields_set if getattr(obj, k) not in (None, [], {})}
        validation = (set_fields - {"ref", "extras", "description", "title", "default", "writeOnly", "readOnly"}) | (
            set(extras) - _META_ONLY - {"x-accept-date", "x-secret", "airbyte_secret"}
        )
        validation = {k for k in validation if not k.startswith(("x-", "x_", "airbyte", "order", "$"))}
        validation -= {"examples", "example", "id", "anchor", "x_enum_varnames", "x_enum_descriptions"}
        validation -= {"x_enum_names", "x_enum_field_as_literal", "custom_type_path", "custom_base_path"}
        validation -= {"recursiveAnchor", "dynamicAnchor", "read_as_const", "nullable", "recursiveRef", "dynamicRef"}
        if n.ref is not None and (not validation or self.schema.refs_override_siblings):
            n.ref_only = True
            return
        if obj.type is not None:
            types = [obj.type] if isinstance(obj.type, str) else list(obj.type)
            n.types = tuple(dict.fromkeys(t for t in types if isinstance(t, str)))
            if "any" in n.types:
                n.types = None
        if "enum" in obj.model_fields_set and obj.enum is not None:
            n.enum = tuple(obj.enum)
        if "const" in extras:
            n.has_const = True
            n.const = extras["const"]
        n.min_length, n.max_length = obj.minLength, obj.maxLength
        n.pattern, n.format = obj.pattern, obj.format
        if n.pattern is not None:
            try:
                re.compile(n.pattern)
            except re.error as exc:
                raise GenerationError(f"{where}/pattern: not a valid regular expression: {exc}") from None
        n.minimum, n.maximum = _num(obj.minimum), _num(obj.maximum)
        n.exclusive_minimum, n.exclusive_maximum = _num(obj.exclusiveMinimum), _num(obj.exclusiveMaximum)
        n.multiple_of = _num(obj.multipleOf)
        # arrays: draft 4-2019 `items: [...]` + additionalItems; 2020-12 prefixItems + items
        if isinstance(obj.items, list):
            n.prefix_items = tuple(self._child(v, f"{where}/items/{i}", document) for i, v in enumerate(obj.items))
            if obj.additionalItems is not None:
                n.items = self._child(obj.additionalItems, f"{where}/additionalItems", document)
        else:
            if obj.prefixItems:
                n.prefix_items = tuple(
                    self._child(v, f"{where}/prefixItems/{i}", document) for i, v in enumerate(obj.prefixItems)
                )
            if obj.items is not None:
                n.items = self._child(obj.items, f"{where}/items", document)
        n.min_items, n.max_items = obj.minItems, obj.maxItems
        n.unique_items = bool(obj.uniqueItems)
        if "contains" in extras:
            n.contains = self._child(extras["contains"], f"{where}/contains", document)
            n.min_contains = extras.get("minContains")
            n.max_contains = extras.get("maxContains")
        for name, value in (obj.properties or {}).items():
            n.properties[name] = self._child(value, f"{where}/properties/{_escape(name)}", document)
        n.required = tuple(dict.fromkeys(r for r in obj.required if isinstance(r, str)))
        if obj.additionalProperties is not None:
            n.additional = self._child(obj.additionalProperties, f"{where}/additionalProperties", document)
        for pattern, value in (obj.patternProperties or {}).items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise GenerationError(f"{where}/patternProperties: not a valid regular expression: {exc}") from None
            at = f"{where}/patternProperties/{_escape(pattern)}"
            n.pattern_properties += ((pattern, self._child(value, at, document)),)
        if obj.propertyNames is not None:
            n.property_names = self._child(obj.propertyNames, f"{where}/propertyNames", document)
        n.min_properties, n.max_properties = obj.minProperties, obj.maxProperties
        deps: dict[str, Any] = {}
        for kw in ("dependencies", "dependentRequired", "dependentSchemas"):
            if isinstance(extras.get(kw), dict):
                deps.update(extras[kw])
        for name, dep in deps.items():
            if isinstance(dep, list):
                n.dependent_required[name] = tuple(str(d) for d in dep)
            elif isinstance(dep, (dict, bool)):
                n.dependent_schemas[name] = self._child(dep, f"{where}/dependentSchemas/{_escape(name)}", document)
        if self.schema.unevaluated and obj.unevaluatedProperties is not None:
            at = f"{where}/unevaluatedProperties"
            n.unevaluated_properties = self._child(obj.unevaluatedProperties, at, document)
        if self.schema.unevaluated and obj.unevaluatedItems is not None:
            n.unevaluated_items = self._child(obj.unevaluatedItems, f"{where}/unevaluatedItems", document)
        n.all_of = tuple(self._child(v, f"{where}/allOf/{i}", document) for i, v in enumerate(obj.allOf))
        n.any_of = tuple(self._child(v, f"{where}/anyOf/{i}", document) for i, v in enumerate(obj.anyOf))
        n.one_of = tuple(self._child(v, f"{where}/oneOf/{i}", document) for i, v in enumerate(obj.oneOf))
        if "not" in extras:
            n.not_ = self._child(extras["not"], f"{where}/not", document)
        if "if" in extras:
            n.if_ = self._child(extras["if"], f"{where}/if", document)
            if "then" in extras:
                n.then = self._child(extras["then"], f"{where}/then", document)
            if "else" in extras:
                n.else_ = self._child(extras["else"], f"{where}/else", document)
        disc = obj.discriminator
        if isinstance(disc, str):
            n.discriminator = disc
        elif disc is not None:
            n.discriminator = getattr(disc, "propertyName", None)

    # -- models --------------------------------------------------------------------------------------------------

    def build(self) -> Schema:
        results: list[DataModel] = self.parsed.results
        used: set[str] = set()
        named: list[tuple[DataModel, str, Node]] = []
        for model in results:
            objs = self.parsed.objects.get(id(model.reference))
            if not objs:
                continue
            obj = objs[0]
            loc = location_of(model.reference) or obj.schema_location
            where = str(loc) if loc is not None else model.reference.path
            document = loc.document if loc is not None else where.partition("#")[0]
            if loc is not None:  # the schema object as written (the parser may have merged $ref siblings into it)
                obj = self._load(where) or obj
            node = self.node(obj, where, document, key=where)
            name = model.class_name
            if name in RESERVED or name.startswith("_"):
                name = name.lstrip("_") + "Model"
            base = name
            count = 1
            while name in used:
                count += 1
                name = f"{base}{count}"
            used.add(name)
            named.append((model, name, node))
        for model, name, node in named:
            is_root = node.where == f"{self.root_doc}#"
            if isinstance(model, (DmcgEnum, AttrsModel)) and node.model is not None and node.model.kind != "alias":
                # the parser made a second model of the same schema object: an alias of the first
                m = Model(name, "alias", node, model, description=node.description)
                node.aliases.append(m)
            elif isinstance(model, DmcgEnum) and _python_ambiguous(node):
                # Python's Enum would merge true with 1 (or 1 with 1.0): the values stay JSON values
                m = Model(name, "alias", node, model, description=node.description)
                node.aliases.append(m)
            elif isinstance(model, DmcgEnum) and not [v for v in listed_values(node) or () if v is not None]:
                # no value the Enum could hold (a member not one listed value, or only null): the values stay JSON
                m = Model(name, "alias", node, model, description=node.description)
                node.aliases.append(m)
            elif isinstance(model, DmcgEnum):
                m = Model(name, "enum", node, model, description=node.description)
                values = [v for v in listed_values(node) or () if v is not None]
                dm_names = [f.name for f in model.fields]
                if len(dm_names) != len(values) or len(set(dm_names)) != len(dm_names):
                    dm_names = [f"V{i}" for i in range(len(values))]
                m.members = [(_member_name(str(n)), v) for n, v in zip(dm_names, values, strict=True)]
                if node.model is None or node.model.kind == "alias":
                    node.model = m
            elif isinstance(model, AttrsModel):
                m = Model(name, "class", node, model, description=node.description)
                node.model = m
            elif isinstance(model, AttrsTypeAlias):
                if node.where == f"{self.root_doc}#" and _definitions_only(node):
                    continue
                m = Model(name, "alias", node, model, description=node.description)
                node.aliases.append(m)
            else:
                continue
            self.schema.models[name] = m
            if is_root and (self.schema.root is None or self.schema.root.kind == "alias"):
                self.schema.root = m
                self.schema.root_node = node
        if self.schema.root is None:
            self._root_without_model(used)
        for m in self.schema.models.values():
            if m.kind == "class":
                self._fields(m)
        for n in list(self.schema.nodes):
            self.own_py(n, set())
        return self.schema

    def _root_without_model(self, used: set[str]) -> None:
        """The parser made no model at the root (a bare `$ref`, say): ROOT is what it leads to, or an alias."""
        key = f"{self.root_doc}#"
        obj: Any
        try:
            obj = self.parser._load_ref_schema_object(key)
        except Exception:
            if not isinstance(self.raw_root, bool):
                return
            obj = self.raw_root  # the schema `true` or `false`: an alias any value (or none) is valid for
        node = self.node(obj, key, self.root_doc, key=key)
        if _definitions_only(node):
            return
        target = node.target()
        if target.model is not None:
            self.schema.root = target.model
        elif target.aliases:
            self.schema.root = target.aliases[0]
        else:
            name = self.class_name or "Model"
            while name in used or name in RESERVED:
                name += "_"
            m = Model(name, "alias", target, None, description=target.description)
            target.aliases.append(m)
            self.schema.models[name] = m
            self.schema.root = m
        self.schema.root_node = node

    def _class_props(self, node: Node, seen: set[int]) -> dict[str, Node]:
        node = node.target()
        if id(node) in seen:
            return {}
        seen.add(id(node))
        props = dict(node.properties)
        for member in (*node.all_of, *([node.ref] if node.ref is not None else [])):
            for key, value in self._class_props(member, seen).items():
                props.setdefault(key, value)
        return props

    def _all_fields(self, result: Any, seen: set[int]) -> list[Any]:
        """The parser's fields of a model, inherited (allOf base classes) first, each JSON key once."""
        if id(result) in seen:
            return []
        seen.add(id(result))
        by_reference = {id(r.reference): r for r in self.parsed.results}
        out: list[Any] = []
        for base in getattr(result, "base_classes", ()):
            ref = getattr(base, "reference", None)
            if ref is not None and id(ref) in by_reference:
                out += self._all_fields(by_reference[id(ref)], seen)
        out += list(result.fields)
        keys: dict[str, Any] = {}
        for f in out:
            key = f.original_name or f.name
            if key is not None:
                keys[key] = f
        return list(keys.values())

    def _enclosing_props(self, node: Node) -> dict[str, Node]:
        """The properties of the objects whose anyOf or oneOf lists `node`: a member that only requires keys
        (`{"required": ["tools"]}`) holds its keys to what the enclosing object says of them."""
        if self._enclosing is None:
            self._enclosing = {}
            for n in self.schema.nodes:
                for member in (*n.any_of, *n.one_of):
                    parents = self._enclosing.setdefault(id(member.target()), [])
                    if n not in parents:
                        parents.append(n)
        parents = self._enclosing.get(id(node), [])
        if len(parents) != 1:  # a member shared by objects that may say different things of its keys: none
            return {}
        return self._class_props(parents[0], set())

    def _fields(self, m: Model) -> None:
        node = m.node
        props = self._class_props(node, set())
        own = node.properties
        taken = {"additional_properties", "_defaulted"}
        for f in self._all_fields(m.result, set()):
            key = f.original_name or f.name
            if key is None:
                continue
            pnode = own.get(key) or props.get(key) or self._enclosing_props(node).get(key)
            if pnode is None:
                pnode = Node(len(self.schema.nodes), f"{node.where}/properties/{_escape(key)}", boolean=True)
                self.schema.nodes.append(pnode)
            name = str(f.name)
            if name.startswith("_"):  # attrs would drop the underscore from the __init__ argument
                name = "field" + name
            if not name.isidentifier():
                name = f"field_{len(m.fields)}"
            while name in taken or keyword.iskeyword(name) or name in _FIELD_RESERVED:
                name = f"{name}_"
            taken.add(name)
            info = FieldInfo(name, key, bool(f.required), pnode, own=key in own)
            info.secret = pnode.secret or is_secret(dict(f.extras or {}))
            m.fields.append(info)
        m.extra = not (node.additional is not None and node.additional.boolean is False and not node.pattern_properties)

    # -- python representation -----------------------------------------------------------------------------------

    def own_py(self, n: Node, busy: set[int]) -> Py:
        if n.own_py is not None:
            return n.own_py
        if id(n) in busy:
            return ANY
        busy.add(id(n))
        py = self._compute(n, busy)
        busy.discard(id(n))
        n.own_py = py
        return py

    def _use(self, n: Node, busy: set[int]) -> Py:
        t = n.target()
        if t.model is not None:
            own = self.own_py(t, busy) if id(t) not in busy else None
            if own is not None and own.kind == "union":
                return own
            return Py(t.model.kind, t.model.name)
        if t.aliases:
            self.own_py(t, busy)
            return Py("alias", t.aliases[0].name)
        return self.own_py(t, busy)

    def _compute(self, n: Node, busy: set[int]) -> Py:
        if n.boolean is not None:
            return ANY
        if n.ref_only and n.ref is not None and n.model is None:
            n.source = "ref"
            n.builder = n.ref
            return self._use(n.ref, busy)
        if n.model is not None and n.model.kind == "class":
            n.source = "class"
            py = Py("class", n.model.name)
            if n.types is not None and "null" in n.types:
                return Py("union", args=(py, Py("none")))
            return py
        if n.model is not None and n.model.kind == "enum":
            n.source = "enum"
            py = Py("enum", n.model.name)
            if None in (listed_values(n) or ()):
                return Py("union", args=(py, Py("none")))
            return py
        members = n.one_of or n.any_of
        if members:
            pys = [self._use(m, busy) for m in members]
            if any(p.kind != "any" for p in pys):
                n.source = "union"
                return _union(pys)
        for member in n.all_of:
            p = self._use(member, busy)
            if p.kind != "any":
                n.source = "allof"
                n.builder = member
                return p
        if n.ref is not None:
            n.source = "ref"
            n.builder = n.ref
            return self._use(n.ref, busy)
        n.source = "types"
        if n.types is None:
            if n.has_const:
                return _literal((n.const,))
            if n.enum is not None:
                return _literal(n.enum)
            return ANY
        if n.has_const:
            return _literal((n.const,))
        if n.enum is not None:
            return _literal(n.enum)
        out: list[Py] = []
        for t in n.types:
            if t == "string":
                fmt = {"date-time": "datetime", "date": "date", "uuid": "uuid"}.get(n.format or "", "str")
                out.append(Py(fmt))
            elif t == "integer":
                out.append(Py("int"))
            elif t == "number":
                out.append(Py("float"))
            elif t == "boolean":
                out.append(Py("bool"))
            elif t == "null":
                out.append(Py("none"))
            elif t == "array":
                item = self._use(n.items, busy) if n.items is not None and not n.prefix_items else ANY
                out.append(Py("list", args=(item,)))
            elif t == "object":
                value = ANY
                if n.additional is not None and not n.properties and not n.pattern_properties:
                    value = self._use(n.additional, busy)
                out.append(Py("dict", args=(value,)))
            else:
                out.append(ANY)
        return out[0] if len(out) == 1 else _union(out)


def _union(pys: list[Py]) -> Py:
    flat: list[Py] = []
    for p in pys:
        for q in p.args if p.kind == "union" else (p,):
            if q not in flat:
                flat.append(q)
    if any(p.kind == "any" for p in flat):
        return ANY
    return flat[0] if len(flat) == 1 else Py("union", args=tuple(flat))


def _literal(values: tuple[Any, ...]) -> Py:
    if values and all(type(v) in (str, int, bool) for v in values):
        return Py("literal", values=tuple(dict.fromkeys(values)))
    if values and all(v is None for v in values):
        return Py("none")
    return ANY


def listed_values(node: Node, busy: frozenset[int] = frozenset()) -> tuple[Any, ...] | None:
    """Every value the schema can accept, when it lists them: its `enum` or `const` (or those a bare `$ref` leads
    to), or, for a oneOf or anyOf whose members each list theirs (`{"const": "a", "description": ...}`, the
    documented enum), all of those. None when the schema does not list its values."""
    chain: Node | None = node
    members: tuple[Node, ...] = ()
    seen = set(busy)
    while chain is not None and id(chain) not in seen:
        seen.add(id(chain))
        if chain.enum is not None:
            return chain.enum
        if chain.has_const:
            return (chain.const,)
        members = members or chain.one_of or chain.any_of
        chain = chain.ref
    if not members:
        return None
    values: dict[str, Any] = {}
    for member in members:
        listed = listed_values(member, frozenset(seen))
        if listed is None:
            return None
        for value in listed:
            values.setdefault(json.dumps(value, sort_keys=True), value)
    return tuple(values.values())


def _python_ambiguous(node: Node) -> bool:
    """Enum values Python holds equal although JSON does not (true and 1, 1 and 1.0)."""
    values = [v for v in listed_values(node) or () if v is not None]
    seen: list[Any] = []
    for v in values:
        for w in seen:
            try:
                if v == w:
                    return True
            except Exception:  # noqa: S112
                continue
        seen.append(v)
    return False


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _member_name(name: str) -> str:
    name = re.sub(r"\W", "_", name)
    if not name or name[0].isdigit():
        name = "V_" + name
    if keyword.iskeyword(name) or name.startswith("_") or name in ("name", "value", "mro"):
        name = name.lstrip("_") + "_" if name.lstrip("_") else "V"
    return name


def where_is_root(where: str) -> bool:
    return where.endswith("#") or where.endswith("#/")


_ASSERTIONS = (
    "types", "ref", "enum", "not_", "if_", "additional", "items", "contains", "property_names",
    "unevaluated_properties", "unevaluated_items", "min_length", "max_length", "pattern", "format", "minimum",
    "maximum", "exclusive_minimum", "exclusive_maximum", "multiple_of", "min_items", "max_items", "min_properties",
    "max_properties",
)  # fmt: skip
_ASSERTION_COLLECTIONS = (
    "properties", "required", "pattern_properties", "prefix_items", "dependent_required", "dependent_schemas",
    "all_of", "any_of", "one_of",
)  # fmt: skip


def _definitions_only(node: Node) -> bool:
    """The schema asserts nothing (a document root that only holds `$defs`): no keyword of any JSON type."""
    return (
        node.boolean is None
        and not node.has_const
        and not node.unique_items
        and all(getattr(node, name) is None for name in _ASSERTIONS)
        and not any(getattr(node, name) for name in _ASSERTION_COLLECTIONS)
    )


def build(parsed: Parsed, raw_root: Any, base: Path, root_doc: str) -> Schema:
    return Builder(parsed, raw_root, base, root_doc).build()
