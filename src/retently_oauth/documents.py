"""Reading and writing documents: the configured cattrs converter and the four functions around it."""

from __future__ import annotations

import json
from typing import Any, TypeVar, overload

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
