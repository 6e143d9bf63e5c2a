"""Reading and writing documents: the configured cattrs converter and the four functions around it."""

from __future__ import annotations

import json
from typing import Any, TypeVar, overload

from cattrs.preconf.json import JsonConverter
from retently_oauth_models import STRUCTURERS, Problem, make_converter

from .exceptions import ArgumentError, DocumentError

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
    """A document class (or the credentials union) from JSON-like data: dicts, lists, str, int, float, bool, None."""
    _check_document_type(cls)
    return converter.structure(data, cls)


def unstructure(obj: Any) -> Any:
    """JSON-like data from a document object; absent fields are left out, additional properties put back."""
    if type(obj) not in STRUCTURERS:
        raise ArgumentError(f"{type(obj).__name__} is not a retently_oauth document class")
    return converter.unstructure(obj)


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
    return converter.structure(data, cls)


def dumps(obj: Any) -> str:
    """JSON text from a document object."""
    return _ENCODER.encode(unstructure(obj))
