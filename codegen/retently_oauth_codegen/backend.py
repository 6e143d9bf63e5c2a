"""datamodel-code-generator back end that writes attrs classes.

datamodel-code-generator has no attrs output type, so this module adds one through its own extension points:
a `DataModel` subclass with its own template and imports, and a field subclass that knows how the attrs template
spells each kind of field (required, defaulted, optional, nullable, secret).
"""

from __future__ import annotations

from typing import Any, ClassVar

from datamodel_code_generator.imports import Import
from datamodel_code_generator.model import dataclass as dmcg_dataclass
from datamodel_code_generator.model import type_alias as dmcg_type_alias

RUNTIME_MODULE = "._runtime"

IMPORT_DEFINE = Import(from_="attrs", import_="define")
IMPORT_FIELD = Import(from_="attrs", import_="field")
IMPORT_ANY = Import(from_="typing", import_="Any")
IMPORT_UNSET = Import(from_=RUNTIME_MODULE, import_="UNSET")
IMPORT_UNSET_TYPE = Import(from_=RUNTIME_MODULE, import_="Unset")
IMPORT_SECRET_REPR = Import(from_=RUNTIME_MODULE, import_="secret_repr")
IMPORT_KEYS_REPR = Import(from_=RUNTIME_MODULE, import_="keys_repr")


def docstring_text(text: str) -> str:
    """Text that stays inside a triple-quoted docstring whatever it holds (a quote or backslash at its end)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def is_secret(extras: dict[str, Any]) -> bool:
    """A field is secret when the schema marks it `writeOnly` or `x-secret`."""
    return bool(extras.get("writeOnly") or extras.get("x_secret") or extras.get("x-secret"))


class AttrsField(dmcg_dataclass.DataModelField):
    """A field as the attrs template writes it."""

    @property
    def is_secret(self) -> bool:
        return is_secret(self.extras)

    @property
    def is_nullable(self) -> bool:
        return bool(self.data_type.is_optional)

    @property
    def has_schema_default(self) -> bool:
        return not self.required and self.default is not None

    @property
    def attrs_annotation(self) -> str:
        hint = self.type_hint
        if not self.required and self.is_nullable and not self.has_schema_default:
            return f"{hint.removesuffix(' | None')} | Unset | None"
        return hint

    @property
    def attrs_default(self) -> str | None:
        """The default as Python source, or None for a required field."""
        if self.required:
            return None
        if self.has_schema_default:
            return repr(self.default)
        if self.is_nullable:
            return "UNSET"
        return "None"

    @property
    def attrs_assignment(self) -> str:
        default = self.attrs_default
        if self.is_secret:
            args = ([] if default is None else [f"default={default}"]) + ["repr=secret_repr"]
            return " = field(" + ", ".join(args) + ")"
        return "" if default is None else f" = {default}"

    @property
    def field_description(self) -> str | None:
        description = self.extras.get("description")
        return None if description is None else docstring_text(str(description))

    @property
    def imports(self) -> tuple[Import, ...]:
        extra: list[Import] = []
        if self.is_secret:
            extra += [IMPORT_FIELD, IMPORT_SECRET_REPR]
        if self.attrs_default == "UNSET":
            extra += [IMPORT_UNSET, IMPORT_UNSET_TYPE]
        base = tuple(i for i in super().imports if i.from_ != "dataclasses")
        return base + tuple(extra)


class AttrsModel(dmcg_dataclass.DataClass):
    """An object schema as an `@attrs.define(frozen=True, kw_only=True)` class."""

    TEMPLATE_FILE_PATH: ClassVar[str] = "attrs_model.jinja2"
    DEFAULT_IMPORTS: ClassVar[tuple[Import, ...]] = (IMPORT_DEFINE,)

    @property
    def allows_additional_properties(self) -> bool:
        return self.extra_template_data.get("additionalProperties") is not False

    @property
    def imports(self) -> tuple[Import, ...]:
        base = tuple(i for i in super().imports if i.from_ != "dataclasses")
        if any(isinstance(f, AttrsField) and f.has_schema_default for f in self.fields):
            base = (*base, IMPORT_FIELD)
        if self.allows_additional_properties:
            return (*base, IMPORT_FIELD, IMPORT_ANY, IMPORT_KEYS_REPR)
        return base


class AttrsTypeAlias(dmcg_type_alias.TypeAlias):
    """A union or alias; the schema's document root, which only holds `$defs`, is left out."""

    def render(self, *, class_name: str | None = None) -> str:
        if self.reference.path.endswith("#"):
            return ""
        return super().render(class_name=class_name)
