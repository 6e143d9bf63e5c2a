"""Reading and writing documents: the configured cattrs converter and the four functions around it."""

from __future__ import annotations

import json
from typing import Any, TypeVar, overload

from cattrs.preconf.json import JsonConverter
from retently_oauth_models import STRUCTURERS, Problem, make_converter
from retently_oauth_models import DocumentError as _GeneratedDocumentError

from .exceptions import ArgumentError, DocumentError, RetentlyOAuthError

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
    except RetentlyOAuthError:
        raise
    except _GeneratedDocumentError as exc:  # the generated layer's own type: the same problems, as ours
        raise DocumentError(STRUCTURERS[cls][0], exc.problems) from None
    except RecursionError:
        raise DocumentError(STRUCTURERS[cls][0], [Problem("$", "nested too deeply")]) from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        problem = Problem("$", f"cannot be read ({type(exc).__name__})")
        raise DocumentError(STRUCTURERS[cls][0], [problem]) from None


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
    except ValueError:  # an integer of more than sys.get_int_max_str_digits() digits (4300 by default)
        name = STRUCTURERS[cls][0]
        raise DocumentError(name, [Problem("$", "not valid JSON (a number with too many digits)")]) from None
    return _structure(data, cls)


def dumps(obj: Any) -> str:
    """JSON text from a document object."""
    return _ENCODER.encode(unstructure(obj))
