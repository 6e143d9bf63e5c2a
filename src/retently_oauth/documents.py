"""Reading and writing documents: the configured cattrs converter and the four functions around it."""

from __future__ import annotations

import json
import re
import types
import typing
from datetime import datetime, timezone
from enum import Enum
from typing import Any, TypeVar, overload

import attrs
from cattrs.preconf.json import JsonConverter
from retently_oauth_models import STRUCTURERS, Problem, make_converter
from retently_oauth_models import DocumentError as _GeneratedDocumentError

from .exceptions import ArgumentError, DocumentError, RetentlyOAuthError
from .redaction import Redactor

T = TypeVar("T")

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""Built once: `json.dumps` with options builds a new encoder on every call."""

converter: JsonConverter = make_converter(error_type=DocumentError)
"""The cattrs converter that knows every generated class. Downstream SDKs may `converter.copy()` and extend it."""


def _check_document_type(cls: object) -> None:
    try:
        known = cls in STRUCTURERS
    except TypeError:  # unhashable
        known = False
    if not known:
        raise ArgumentError(f"{cls!r} is not a retently_oauth document class")


@overload
def structure(data: Any, cls: type[T]) -> T: ...
@overload
def structure(data: Any, cls: Any) -> Any: ...
def structure(data: Any, cls: Any) -> Any:
    """A document class (or the credentials union) from JSON-like data: dicts, lists, str, int, float, bool, None.

    Any input gives a document or a DocumentError: a failure the converter did not describe (data nested past the
    recursion limit, a value no hook expected) is reported at `$` by its kind, never as a bare ValueError.
    """
    _check_document_type(cls)
    return _structure(data, cls)


def _structure(data: Any, cls: Any) -> Any:
    try:
        return converter.structure(data, cls)
    except _GeneratedDocumentError as exc:  # ours, or the generated layer's own type: the same problems, as ours
        raise _without_secrets(exc, data, STRUCTURERS[cls][0]) from None
    except RetentlyOAuthError:
        raise
    except RecursionError:
        raise DocumentError(STRUCTURERS[cls][0], [Problem("$", "nested too deeply")]) from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        problem = Problem("$", f"cannot be read ({type(exc).__name__})")
        raise DocumentError(STRUCTURERS[cls][0], [problem]) from None


def unstructure(obj: Any) -> Any:
    """JSON-like data from a document object; absent fields are left out, additional properties put back.

    A date-time without a UTC offset (a naive datetime, as `datetime.now()` or `.fromtimestamp(t)` give) is a
    DocumentError naming its JSON path: RFC 3339 text needs an offset, and guessing the local time zone would
    move the instant. What this writes, `structure` reads back.
    """
    if type(obj) not in STRUCTURERS:
        raise ArgumentError(f"{type(obj).__name__} is not a retently_oauth document class")
    data = converter.unstructure(obj)
    try:
        aware = _surely_aware(obj)
    except RecursionError:  # an object graph too deep for the quick look: the bounded walk decides
        aware = False
    if not aware:
        problems = _naive_datetimes(obj, data)
        if problems:
            secrets = _secret_values(data)  # a path names the document's keys, and a key may be a pasted secret
            if secrets:
                redact = Redactor(secrets)
                problems = [Problem(redact(p.path), p.message) for p in problems]
            raise DocumentError(STRUCTURERS[type(obj)][0], problems)
    return data


_LEAVES = (str, int, float, bool, type(None))
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXTRA = "additional_properties"
"""The field of a generated class holding the members the schema does not name; written back beside the others."""


def _child(path: str, key: object) -> str:
    """The JSON path of a member or an item, as the converter's problems write it."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    key = str(key)
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'


def _member(name: str, value: Any, written: Any) -> tuple[str, Any]:
    """The JSON key a field was written under (its name unless the schema's key differs) and what was written."""
    if not isinstance(written, dict):
        return name, None
    if name in written:
        return name, written[name]
    if isinstance(value, datetime):  # the member holding this value's text
        text = value.isoformat()
        for key, item in written.items():
            if item == text:
                return str(key), item
    return name, None


_WALK: dict[type, tuple[str, ...]] = {}
"""Per class, the fields that may hold a date-time (in reverse order, for the walk's stack)."""


def _only_leaves(hint: Any) -> bool:
    """Whether a field's type holds nothing but str, int, float, bool, None, enum members or literals."""
    if hint in _LEAVES or (isinstance(hint, type) and issubclass(hint, Enum)):
        return True
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return True
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset, dict):
        args = typing.get_args(hint)
        return bool(args) and all(arg is Ellipsis or _only_leaves(arg) for arg in args)
    return False


def _fields_to_walk(cls: type) -> tuple[str, ...]:
    names = _WALK.get(cls)
    if names is None:
        fields = attrs.fields(cls)
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # an annotation that does not resolve: walk every field
            hints = {}
        names = tuple(f.name for f in reversed(fields) if f.name not in hints or not _only_leaves(hints[f.name]))
        _WALK[cls] = names
    return names


def _surely_aware(obj: Any) -> bool:
    """The quick look before `unstructure` returns: True when no date-time in the object can lack a UTC offset (each
    field that may hold one is None, a plain value, an aware date-time, a container of plain values or such an
    object); False sends the document to the walk that finds and names each naive one."""
    for name in _WALK.get(type(obj)) or _fields_to_walk(type(obj)):
        item: Any = getattr(obj, name, None)
        kind = type(item)
        if kind in _LEAVES:
            continue
        if kind is dict:
            for value in item.values():
                if type(value) not in _LEAVES:
                    return False
        elif kind is list:
            for value in item:
                if type(value) not in _LEAVES:
                    return False
        elif isinstance(item, datetime):
            zone = item.tzinfo
            if type(zone) is not timezone and (zone is None or item.utcoffset() is None):  # a timezone has an offset
                return False
        elif hasattr(kind, "__attrs_attrs__"):
            if not _surely_aware(item):
                return False
        elif not isinstance(item, Enum):
            return False
    return True


def _naive_datetimes(obj: Any, data: Any) -> list[Problem]:
    """Problems for every date-time without a UTC offset in a document object (a bounded walk beside `data`, what
    it was written as, for the JSON keys)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, Any, str]] = [(obj, data, "$")]
    budget = 100_000
    while stack and budget > 0 and len(problems) < 20:
        budget -= 1
        value, written, path = stack.pop()
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                problems.append(Problem(path, "a date-time needs a UTC offset (tzinfo)"))
        elif isinstance(value, Enum):
            continue
        elif attrs.has(type(value)):
            for name in _fields_to_walk(type(value)):
                item = getattr(value, name, None)
                if type(item) in _LEAVES:
                    continue
                if name == _EXTRA and isinstance(item, dict):  # written beside the fields
                    known = written if isinstance(written, dict) else {}
                    stack.extend((v, known.get(k), _child(path, k)) for k, v in item.items() if type(v) not in _LEAVES)
                    continue
                key, member = _member(name, item, written)
                stack.append((item, member, _child(path, key)))
        elif isinstance(value, (list, tuple)):
            same = isinstance(written, list) and len(written) == len(value)
            for i in range(min(len(value), budget) - 1, -1, -1):
                item = value[i]
                if type(item) not in _LEAVES:
                    stack.append((item, written[i] if same else None, _child(path, i)))
        elif isinstance(value, dict):
            for key, item in value.items():
                if type(item) not in _LEAVES:
                    stack.append((item, written.get(key) if isinstance(written, dict) else None, _child(path, key)))
    return problems


@overload
def loads(text: str | bytes | bytearray, cls: type[T]) -> T: ...
@overload
def loads(text: str | bytes | bytearray, cls: Any) -> Any: ...
def loads(text: str | bytes | bytearray, cls: Any) -> Any:
    """A document object from JSON text."""
    _check_document_type(cls)
    if not isinstance(text, (str, bytes, bytearray)):
        raise ArgumentError(f"expected JSON text (str or bytes), got {type(text).__name__}")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f"line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "encoding"
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        name = STRUCTURERS[cls][0]
        raise DocumentError(name, [Problem("$", f"not valid JSON ({reason} at {where})")]) from None
    except RecursionError:
        raise DocumentError(STRUCTURERS[cls][0], [Problem("$", "JSON nested too deeply")]) from None
    except ValueError:  # an integer of more than sys.get_int_max_str_digits() digits (4300 by default)
        name = STRUCTURERS[cls][0]
        raise DocumentError(name, [Problem("$", "not valid JSON (a number with too many digits)")]) from None
    return _structure(data, cls)


_SECRET_KEYS = frozenset(
    {"client_secret", "access_token", "refresh_token", "api_key", "code", "code_verifier", "id_token", "password"}
)


def _secret_values(data: Any, budget: int = 10_000) -> list[str]:
    """String values of secret-named members anywhere in JSON-like data (a bounded walk)."""
    found: list[str] = []
    stack = [data]
    while stack and budget > 0:
        budget -= 1
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, str):
                    if key in _SECRET_KEYS:
                        found.append(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item[:budget])
    return found


def _without_secrets(exc: _GeneratedDocumentError, data: Any, name: str) -> DocumentError:
    """The error with its problems as ours, and any secret of the document masked where a problem's path repeats
    it (a path names the document's keys, and a key may be a pasted secret)."""
    problems = list(exc.problems)
    secrets = _secret_values(data)
    if secrets:
        redact = Redactor(secrets)
        problems = [Problem(redact(p.path), redact(p.message)) for p in problems]
    elif isinstance(exc, DocumentError):
        return exc
    return DocumentError(name, problems)


def dumps(obj: Any) -> str:
    """JSON text from a document object."""
    return _ENCODER.encode(unstructure(obj))
