"""`$dynamicRef` (2020-12) and `$recursiveRef` (2019-09), resolved through the dynamic scope.

A `$dynamicRef` first resolves like a `$ref`. When it lands on a `$dynamicAnchor` of the same name, the schema it
means is the one of the outermost schema resource in the dynamic scope (the resources the evaluation passed
through, from the root inwards) that declares that `$dynamicAnchor`. A `$recursiveRef: "#"` does the same with
`$recursiveAnchor: true` at resource roots.

The generator writes one structure function per schema, so it needs one answer per `$dynamicRef`. This module
follows every path of resources from the root document to the resource holding the `$dynamicRef` (a `$ref` into
another resource, or an embedded resource, is a step) and takes the outermost declaration on each path: when
every path agrees (the root declares the anchor, say, which is the common use), that is the target; when paths
disagree, the schema cannot be generated and the error names the `$dynamicRef`'s JSON pointer.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

from .capture import GenerationError

MAPS = ("$defs", "definitions", "properties", "patternProperties", "dependentSchemas", "dependencies")
ONE = (
    "items",
    "additionalItems",
    "additionalProperties",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
)
LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_REFS = ("$ref", "$dynamicRef", "$recursiveRef")


@dataclass(eq=False)
class Resource:
    document: str
    pointer: str
    """The resource's root, a JSON pointer in its document ("" for the document's root)."""
    uri: str
    anchors: dict[str, str] = field(default_factory=dict)
    """Plain-name fragments ($anchor and $dynamicAnchor) -> JSON pointer in the document."""
    dynamic: dict[str, str] = field(default_factory=dict)
    recursive: bool = False
    refs: list[tuple[str, str, str]] = field(default_factory=list)
    """(keyword, value, JSON pointer) of each reference written in the resource (not in its embedded resources)."""
    children: list[Resource] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"{self.document}#{self.pointer}"


def subschemas(value: dict[str, Any], pointer: str) -> Iterator[tuple[Any, str]]:
    for key in MAPS:
        sub = value.get(key)
        if isinstance(sub, dict):
            for name, schema in sub.items():
                if isinstance(schema, dict):
                    yield schema, f"{pointer}/{_escape(key)}/{_escape(str(name))}"
    for key in ONE:
        sub = value.get(key)
        if isinstance(sub, dict):
            yield sub, f"{pointer}/{key}"
    for key in LISTS:
        sub = value.get(key)
        if isinstance(sub, list):
            for i, schema in enumerate(sub):
                if isinstance(schema, dict):
                    yield schema, f"{pointer}/{key}/{i}"


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


class Scopes:
    def __init__(self, base: Path, root_doc: str) -> None:
        self.base = base
        self.root_doc = root_doc
        self.resources: list[Resource] = []
        self.by_doc: dict[str, list[Resource]] = {}
        self.by_uri: dict[str, Resource] = {}
        self._edges: dict[int, list[Resource]] | None = None
        pending = [root_doc]
        visited: set[str] = set()
        while pending:
            doc = pending.pop()
            if doc in visited:
                continue
            visited.add(doc)
            path = (base / doc).resolve()
            if not path.is_relative_to(base.resolve()) or not path.is_file():  # the parser refuses it: not read here
                continue
            try:
                raw = json.loads(path.read_bytes())
            except (OSError, ValueError):
                continue
            if not isinstance(raw, dict):
                continue
            self.by_doc[doc] = []  # the documents read: regular files beside the schema
            self._scan(doc, raw, "", None)
            for resource in self.by_doc[doc]:
                for _, ref, _ in resource.refs:
                    file_part = ref.partition("#")[0]
                    if file_part and "://" not in file_part and not file_part.startswith("urn:"):
                        pending.append(self._file(doc, file_part))

    @staticmethod
    def _file(document: str, file_part: str) -> str:
        return str(posixpath.normpath(posixpath.join(posixpath.dirname(document), unquote(file_part))))

    def _scan(self, doc: str, value: dict[str, Any], pointer: str, parent: Resource | None) -> None:
        own_id = value.get("$id")
        resource = parent
        if parent is None or (isinstance(own_id, str) and own_id and not own_id.startswith("#")):
            base_uri = parent.uri if parent is not None else f"file:///{doc}"
            uri = urljoin(base_uri, own_id) if isinstance(own_id, str) and own_id else base_uri
            resource = Resource(doc, pointer, uri.partition("#")[0])
            self.resources.append(resource)
            self.by_doc[doc].append(resource)
            self.by_uri.setdefault(resource.uri, resource)
            if parent is not None:
                parent.children.append(resource)
            resource.recursive = value.get("$recursiveAnchor") is True
        assert resource is not None
        if isinstance(own_id, str) and own_id.startswith("#") and len(own_id) > 1:
            resource.anchors.setdefault(own_id[1:], pointer)
        anchor = value.get("$anchor")
        if isinstance(anchor, str):
            resource.anchors.setdefault(anchor, pointer)
        dynamic = value.get("$dynamicAnchor")
        if isinstance(dynamic, str):
            resource.anchors.setdefault(dynamic, pointer)
            resource.dynamic.setdefault(dynamic, pointer)
        for keyword in _REFS:
            ref = value.get(keyword)
            if isinstance(ref, str):
                resource.refs.append((keyword, ref, pointer))
        for sub, at in subschemas(value, pointer):
            self._scan(doc, sub, at, resource)

    # -- lookups -------------------------------------------------------------------------------------------------

    def enclosing(self, doc: str, pointer: str) -> Resource | None:
        best: Resource | None = None
        for resource in self.by_doc.get(doc, ()):
            p = resource.pointer
            if (pointer == p or pointer.startswith(p + "/") or not p) and (best is None or len(p) > len(best.pointer)):
                best = resource
        return best

    def _locate(self, ref: str, site: Resource) -> tuple[Resource, str] | None:
        """The resource a reference's URI part names and its fragment (unquoted)."""
        uri_part, _, fragment = ref.partition("#")
        fragment = unquote(fragment)
        if not uri_part:
            return site, fragment
        found = self.by_uri.get(urljoin(site.uri, uri_part).partition("#")[0])
        if found is None and "://" not in uri_part and not uri_part.startswith("urn:"):
            roots = self.by_doc.get(self._file(site.document, uri_part))
            found = roots[0] if roots else None
        return None if found is None else (found, fragment)

    def _pointer(self, resource: Resource, fragment: str) -> str | None:
        if not fragment:
            return resource.pointer
        if fragment.startswith("/"):
            return resource.pointer + fragment
        return resource.anchors.get(fragment)

    def _graph(self) -> dict[int, list[Resource]]:
        """Steps of the dynamic scope: resource -> the resources its references and embedded resources enter."""
        if self._edges is not None:
            return self._edges
        edges: dict[int, list[Resource]] = {}
        for resource in self.resources:
            out = list(resource.children)
            for keyword, ref, _ in resource.refs:
                located = self._locate(ref, resource)
                if located is None:
                    continue
                target, fragment = located
                if keyword == "$recursiveRef":
                    out += [r for r in self.resources if r.recursive] + [resource]
                    continue
                pointer = self._pointer(target, fragment)
                if pointer is not None:
                    entered = self.enclosing(target.document, pointer)
                    if entered is not None:
                        out.append(entered)
                if keyword == "$dynamicRef" and fragment in target.dynamic:
                    out += [r for r in self.resources if fragment in r.dynamic]
            edges[id(resource)] = out
        self._edges = edges
        return edges

    # -- resolution ----------------------------------------------------------------------------------------------

    def check(self) -> None:
        """Resolves every `$dynamicRef` and `$recursiveRef` of the schema's documents before the parser reads them
        (its error for one that does not resolve names no JSON pointer)."""
        for resource in self.resources:
            for keyword, ref, pointer in resource.refs:
                if keyword != "$ref":
                    self.resolve(keyword, ref, f"{resource.document}#{pointer}")

    def resolve(self, keyword: str, ref: str, where: str) -> tuple[str, str]:
        """The (document, JSON pointer) a `$dynamicRef` / `$recursiveRef` at `where` ("doc#/pointer") means."""
        doc, _, site_pointer = where.partition("#")
        site = self.enclosing(doc, unquote(site_pointer))
        if site is None:
            raise GenerationError(f"{where}: {keyword} {ref!r} is in a schema this generator did not find")
        located = self._locate(ref, site)
        pointer = self._pointer(*located) if located is not None else None
        if located is None or pointer is None:
            raise GenerationError(f"{where}: {keyword} {ref!r} does not resolve")
        initial, fragment = located
        declares: Callable[[Resource], bool]
        target: Callable[[Resource], str]
        if keyword == "$recursiveRef":
            if ref != "#":
                raise GenerationError(f"{where}: $recursiveRef must be '#', not {ref!r}")
            if not site.recursive:
                return site.document, site.pointer
            declares, target = (lambda r: r.recursive), (lambda r: r.pointer)
        elif fragment and not fragment.startswith("/") and fragment in initial.dynamic:
            declares, target = (lambda r: fragment in r.dynamic), (lambda r: r.dynamic[fragment])
        else:
            return initial.document, pointer
        ends = self._outermost(site, declares, contiguous=keyword == "$recursiveRef")
        chosen = {initial if r is None else r for r in ends} or {initial}
        if len(chosen) > 1:
            shown = " or ".join(sorted(f"{r.document}#{target(r)}" for r in chosen))
            raise GenerationError(
                f"{where}: {keyword} {ref!r} means {shown} depending on the path it is reached by (its dynamic "
                "scope); a generated model has one definition: give each path its own schema"
            )
        (resource,) = chosen
        return resource.document, target(resource)

    def _outermost(
        self, site: Resource, declares: Callable[[Resource], bool], contiguous: bool
    ) -> set[Resource | None]:
        """For each path of resources from the root to `site`: the outermost one that declares the anchor (for
        $recursiveRef also as jsonschema reads it: the outermost of the run of declaring resources next to the
        site); None when no resource on the path declares it."""
        roots = self.by_doc.get(self.root_doc)
        if not roots:
            return {None}
        edges = self._graph()
        root = roots[0]
        first = root if declares(root) else None
        start = (root, first, first)
        seen = {(id(root), id(first), id(first))}
        stack = [start]
        out: set[Resource | None] = set()
        while stack:
            here, outer, run = stack.pop()
            if here is site:
                out.add(outer)
                if contiguous:
                    out.add(run)
            for step in edges.get(id(here), ()):
                anchored = declares(step)
                new_outer = outer if outer is not None else (step if anchored else None)
                new_run = (run if run is not None else step) if anchored else None
                key = (id(step), id(new_outer), id(new_run))
                if key not in seen:
                    seen.add(key)
                    stack.append((step, new_outer, new_run))
        return out
