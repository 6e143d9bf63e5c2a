"""The generator's view of the parsed schema: what each generated class and field is, as the converter needs it.

Built from datamodel-code-generator's parse results (names and types as the models module spells them) and the
raw schema (keywords the parser does not carry, such as `minimum` and `x-accept-date`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from datamodel_code_generator.model.base import DataModel
from datamodel_code_generator.model.enum import Enum as DmcgEnum
from datamodel_code_generator.types import DataType

from .backend import AttrsField, AttrsModel, AttrsTypeAlias, is_secret


class SchemaNotSupported(Exception):
    """The schema uses a construct this generator does not turn into code."""


@dataclass(frozen=True)
class TypeSpec:
    """A field's type. `kind` is one of str, int, float, bool, any, datetime, literal, enum, model, union,
    list, dict, nullable."""

    kind: str
    name: str = ""
    item: TypeSpec | None = None
    values: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    accept_date: bool = False

    def describe(self) -> str:
        """The type as `codegen diff` and error messages name it."""
        if self.kind in ("model", "enum", "union"):
            return self.name
        if self.kind == "literal":
            return " | ".join(repr(v) for v in self.values)
        if self.kind == "nullable":
            assert self.item is not None
            return f"{self.item.describe()} | null"
        if self.kind in ("list", "dict"):
            assert self.item is not None
            return f"{self.kind}[{self.item.describe()}]"
        return self.kind


@dataclass(frozen=True)
class FieldSpec:
    name: str
    key: str
    type: TypeSpec
    required: bool
    secret: bool
    has_default: bool
    default: Any
    unset_when_absent: bool
    """Absent and null are told apart: absent is UNSET."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str  # "class", "enum" or "union"
    fields: tuple[FieldSpec, ...] = ()
    extra: bool = False
    members: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    ref: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @property
    def required_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.required)


@dataclass
class SchemaSpec:
    models: dict[str, ModelSpec] = field(default_factory=dict)


def _resolve(raw: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = raw
    for part in ref.lstrip("#").strip("/").split("/"):
        if part:
            node = node[part.replace("~1", "/").replace("~0", "~")]
    assert isinstance(node, dict)
    return node


_PRIMITIVES = {"str": "str", "int": "int", "float": "float", "bool": "bool", "Any": "any", "datetime": "datetime"}


def _type_spec(data_type: DataType, prop: dict[str, Any], names: dict[str, tuple[str, str]]) -> TypeSpec:
    if data_type.is_optional:
        inner = data_type.model_copy(update={"is_optional": False})
        return TypeSpec("nullable", item=_type_spec(inner, prop, names))
    if data_type.literals:
        return TypeSpec("literal", values=tuple(data_type.literals))
    if data_type.reference is not None:
        name, kind = names[data_type.reference.path]
        return TypeSpec(kind, name=name)
    if data_type.is_list:
        (item,) = data_type.data_types
        return TypeSpec("list", item=_type_spec(item, prop.get("items", {}), names))
    if data_type.is_dict:
        (item,) = data_type.data_types or (DataType(type="Any"),)
        return TypeSpec("dict", item=_type_spec(item, {}, names))
    if data_type.type in _PRIMITIVES:
        kind = _PRIMITIVES[data_type.type]
        if kind == "datetime":
            return TypeSpec(kind, accept_date=bool(prop.get("x-accept-date")))
        return TypeSpec(
            kind, minimum=prop.get("minimum"), maximum=prop.get("maximum"), min_length=prop.get("minLength")
        )
    if len(data_type.data_types) == 1:
        return _type_spec(data_type.data_types[0], prop, names)
    raise SchemaNotSupported(f"type {data_type.type_hint!r} is not supported")


def build(results: list[DataModel], raw: dict[str, Any]) -> SchemaSpec:
    names: dict[str, tuple[str, str]] = {}
    for model in results:
        if isinstance(model, AttrsModel):
            names[model.reference.path] = (model.class_name, "model")
        elif isinstance(model, DmcgEnum):
            names[model.reference.path] = (model.class_name, "enum")
        elif isinstance(model, AttrsTypeAlias) and not model.reference.path.endswith("#"):
            names[model.reference.path] = (model.class_name, "union")
    spec = SchemaSpec()
    for model in sorted(results, key=lambda m: m.class_name):
        path = model.reference.path
        if path not in names:
            continue
        node = _resolve(raw, path)
        if isinstance(model, DmcgEnum):
            values = tuple(node["enum"])
            if not all(isinstance(v, str) for v in values):
                raise SchemaNotSupported(f"{model.class_name}: only string enums are supported")
            spec.models[model.class_name] = ModelSpec(model.class_name, "enum", values=values, ref=path)
        elif isinstance(model, AttrsTypeAlias):
            members = []
            for data_type in model.fields[0].data_type.data_types:
                if data_type.reference is None or names[data_type.reference.path][1] != "model":
                    raise SchemaNotSupported(f"{model.class_name}: a union's members must be object schemas")
                members.append(names[data_type.reference.path][0])
            spec.models[model.class_name] = ModelSpec(model.class_name, "union", members=tuple(members), ref=path)
        else:
            assert isinstance(model, AttrsModel)
            props = node.get("properties", {})
            fields = []
            for f in model.fields:
                assert isinstance(f, AttrsField) and f.name is not None
                key = f.original_name or f.name
                if f.name == "additional_properties":
                    raise SchemaNotSupported(f"{model.class_name}: a property may not be named additional_properties")
                tspec = _type_spec(f.data_type, props.get(key, {}), names)
                fields.append(
                    FieldSpec(
                        name=f.name,
                        key=key,
                        type=tspec,
                        required=bool(f.required),
                        secret=is_secret(f.extras),
                        has_default=f.has_schema_default,
                        default=f.default if f.has_schema_default else None,
                        unset_when_absent=f.attrs_default == "UNSET",
                    )
                )
            spec.models[model.class_name] = ModelSpec(
                model.class_name, "class", fields=tuple(fields), extra=model.allows_additional_properties, ref=path
            )
    return spec
