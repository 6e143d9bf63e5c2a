"""Writes the converter module: one straight-line structure function and one unstructure function per schema node.

A structure function `_sN(v, path, problems)` checks every keyword of its node against the JSON value `v` (strict
JSON types, no coercion), records each problem with its JSON path (never the value), and returns the structured
value (a generated class instance, an enum member, a date-time, a list or dict of those, or the JSON value itself),
or `_INVALID`. Combinators (allOf, anyOf, oneOf, not, if/then/else) call member functions with a scratch list.
Runtime helpers are imported under `_`-prefixed names, so no generated class can shadow them.
"""

from __future__ import annotations

from typing import Any

from .fast import Fast
from .ir import Node, Py, Schema
from .nodes import arrays, combinators, consts, numbers, objects, strings
from .nodes.common import _isinstance_test, _part, _rename, _show, builds, expected_one_of, py_literal

_JSON_TYPE_TEST = {
    "object": "type(v) is dict",
    "array": "type(v) is list",
    "string": "type(v) is str",
    "boolean": "type(v) is bool",
    "null": "v is None",
}
_NOUN = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "boolean": "a boolean",
    "null": "null",
    "integer": "an integer",
    "number": "a number",
}


_IN_PLACE = ("class", "enum", "datetime", "date", "uuid")
_SCALAR_TYPES = {"string", "integer", "number", "boolean", "null"}


class Writer:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.functions: list[str] = []
        self.constants: list[str] = []
        self.done: set[int] = set()
        self.udone: set[int] = set()
        self.queue: list[Node] = []
        self.uqueue: list[Node] = []
        self.patterns: dict[str, str] = {}
        self.sets: dict[tuple[Any, ...], str] = {}
        self.string_enums: set[str] = set()
        self.setters: set[str] = set()

    # -- helpers -------------------------------------------------------------------------------------------------

    def fn(self, node: Node) -> str:
        """The structure function of a node, queued for writing."""
        node = node.target()
        if node.boolean is True:
            return "_s_any"
        if node.boolean is False:
            return "_s_never"
        if id(node) not in self.done:
            self.done.add(id(node))
            self.queue.append(node)
        return node.fn

    def ufn(self, node: Node) -> str | None:
        node = node.target()
        assert node.own_py is not None
        if node.boolean is not None or not builds(node.own_py, self.schema):
            return None
        if id(node) not in self.udone:
            self.udone.add(id(node))
            self.uqueue.append(node)
        return node.ufn

    def pattern(self, text: str) -> str:
        if text not in self.patterns:
            name = f"_RE{len(self.patterns)}"
            self.patterns[text] = name
            self.constants.append(f"{name} = _re.compile({text!r})")
        return self.patterns[text]

    def slot_setter(self, model: str, index: int, name: str) -> str:
        """A module constant holding the setter of one field's slot (faster than object.__setattr__)."""
        constant = f"_F_{model}_{index}"
        if constant not in self.setters:
            self.setters.add(constant)
            self.constants.append(f"{constant} = _slot_setter({model}, {name!r})")
        return constant

    def const_set(self, values: tuple[Any, ...]) -> str:
        if values not in self.sets:
            name = f"_SET{len(self.sets)}"
            self.sets[values] = name
            self.constants.append(f"{name}: Any = frozenset(({py_literal(list(values))[1:-1]},))")
        return self.sets[values]

    # -- structure -----------------------------------------------------------------------------------------------

    def write_all(self) -> None:
        for model in self.schema.models.values():
            self.fn(model.node)
            self.ufn(model.node)
        while self.queue or self.uqueue:
            while self.queue:
                self.functions.append(self.structure(self.queue.pop(0)))
            while self.uqueue:
                self.functions.append(self.unstructure(self.uqueue.pop(0)))

    def inlinable(self, node: Node) -> bool:
        """A leaf of scalar checks, written into its parent's function instead of called."""
        n = node.target()
        if n.boolean is not None or n.ref is not None or n.types is None or not set(n.types) <= _SCALAR_TYPES:
            return False
        if n.all_of or n.any_of or n.one_of or n.not_ is not None or n.if_ is not None:
            return False
        if n.model is not None:
            values = n.enum or ()
            return n.model.kind == "enum" and bool(values) and all(type(x) is str for x in values) and not n.has_const
        return True

    def inline(self, node: Node, var: str, pexpr: str, target: str) -> list[str]:
        """Lines that check `var` against a leaf node and set `target` (to _INVALID, or anything, on a problem)."""
        n = node.target()
        if n.model is not None:  # a string enum
            message = expected_one_of(n.enum or ())
            lines = [
                f"{target} = _ENUMV_{n.model.name}.get({var}) if type({var}) is str else None",
                f"if {target} is None:",
                f"    problems.append(_Problem({pexpr}, {message!r}))",
                f"    {target} = _INVALID",
            ]
            self.string_enums.add(n.model.name)
            return lines
        body: list[str] = []
        if n.has_const:
            body += consts.equal_check(self, [n.const], "expected " + _show(n.const))
        if n.enum is not None:
            body += consts.equal_check(self, list(n.enum), expected_one_of(n.enum))
        typed, result = self._typed(n, True)
        body += typed
        if result is None:
            body.append("r = v")
        return _rename(body, {"v": var, "path": pexpr, "r": target})

    def call(self, node: Node, var: str, pexpr: str, target: str, sink: str = "problems") -> list[str]:
        """Lines that structure `var` with a node's checks and set `target`: inline for leaves, else a call."""
        if sink == "problems" and self.inlinable(node):
            return self.inline(node, var, pexpr, target)
        return [f"{target} = {self.fn(node)}({var}, {pexpr}, {sink})"]

    def structure(self, n: Node) -> str:
        assert n.own_py is not None
        lines = [f"def {n.fn}(v: Any, path: str, problems: list[_Problem]) -> Any:"]
        body: list[str] = []
        result = "v"
        body.append("before = len(problems)")
        if n.has_const:
            body += consts.equal_check(self, [n.const], "expected " + _show(n.const))
        if n.enum is not None:
            body += consts.equal_check(self, list(n.enum), expected_one_of(n.enum))
        if n.not_ is not None:
            body += [
                "scratch = []",
                f"{self.fn(n.not_)}(v, path, scratch)",
                "if not scratch:",
                '    problems.append(_Problem(path, "must not match the schema in not"))',
            ]
        if n.if_ is not None and (n.then is not None or n.else_ is not None):
            body += ["scratch = []", f"{self.fn(n.if_)}(v, path, scratch)"]
            body.append("if not scratch:")
            then = n.then
            body.append(f"    {self.fn(then)}(v, path, problems)" if then is not None else "    pass")
            if n.else_ is not None:
                body += ["else:", f"    {self.fn(n.else_)}(v, path, problems)"]
        if n.ref is not None and (not n.ref_only or n.model is not None):
            if n.source == "ref":
                body.append(f"r = {self.fn(n.ref)}(v, path, problems)")
                result = "r"
            else:
                body.append(f"{self.fn(n.ref)}(v, path, problems)")
        for member in n.all_of:
            if n.source == "allof" and member is n.builder:
                body.append(f"r = {self.fn(member)}(v, path, problems)")
                result = "r"
            else:
                body.append(f"{self.fn(member)}(v, path, problems)")
        if n.any_of:
            building = n.source == "union" and not n.one_of
            body += combinators.any_of(self, n, building)
            if building:
                result = "r"
        if n.one_of:
            building = n.source == "union"
            body += combinators.one_of(self, n, building)
            if building:
                result = "r"
        if n.source == "enum" and n.model is not None:
            body += [
                "if len(problems) == before and v is not None:",
                f"    r = _enum_member(_ENUM_{n.model.name}, {n.model.name}, v)",
                "    if r is None:  # guard: a value the schema accepts is never read as None",
                f'        problems.append(_Problem(path, "not a member of {n.model.name}"))',
                "else:",
                "    r = v",
            ]
            result = "r"
        typed = self._typed(n, n.source in ("types", "class"))
        body += typed[0]
        if typed[1] is not None:
            result = typed[1]
        text = "\n".join(body)
        declare = [f"{name}: Any" for name in ("r", "x", "y", "out", "tag") if f"{name} = " in text]
        for f in n.model.fields if n.model is not None and n.model.kind == "class" else ():
            if f"f_{f.name} = " in text:
                declare.append(f"f_{f.name}: Any")
        if "scratch = " in text:
            declare.append("scratch: list[_Problem] = []")
        if "best_score" in text:
            declare.append("score: int")
        if result != "v":
            declare = [d if d != "r: Any" else "r: Any = _INVALID" for d in declare]
        body = [*declare, *body]
        if result == "v" and n.source == "types" and self.holds_containers(n.own_py):
            result = "_copy_json(v)"  # free-form JSON: a copy, never the caller's arrays and objects
        body += ["if len(problems) != before:", "    return _INVALID", f"return {result}"]
        return "\n".join(lines + ["    " + line for line in body])

    def _typed(self, n: Node, building: bool) -> tuple[list[str], str | None]:
        """The per-JSON-type checks; the result variable when this part builds the value."""
        lines: list[str] = []
        result: str | None = None
        allowed = n.types
        blocks: list[tuple[str, list[str]]] = []
        obj = objects.object_(self, n, building)
        dict_part = _part(n.own_py, "dict")
        if building and not obj[1] and dict_part is not None and n.allows("object"):
            # a map whose values are kept as they came: a copy, never the caller's dict (nor its containers)
            copy = "_copy_json(v)" if self.holds_containers(dict_part.args[0]) else "v.copy()"
            obj = ([*obj[0], f"r = {copy}"], True)
        if obj[0] or (allowed is not None and "object" in allowed):
            blocks.append(("type(v) is dict", obj[0]))
            if obj[1]:
                result = "r"
        arr = arrays.array(self, n, building)
        if arr[0] or (allowed is not None and "array" in allowed):
            blocks.append(("type(v) is list", arr[0]))
            if arr[1]:
                result = "r"
        s = strings.string(self, n, building)
        if s[0] or (allowed is not None and "string" in allowed):
            blocks.append(("type(v) is str", s[0]))
            if s[1]:
                result = "r"
        num = numbers.number(self, n)
        int_ok = n.allows("integer")
        num_ok = n.allows("number") if allowed is None else "number" in allowed
        if allowed is None or int_ok or num_ok:
            if allowed is not None and not num_ok:
                if self.schema.strict_integers:
                    test = "type(v) is int"
                else:
                    test = "type(v) is int or (type(v) is float and v.is_integer())"
            else:
                test = "type(v) is int or type(v) is float"
            if num or allowed is not None:
                if allowed is not None and not num_ok and not self.schema.strict_integers:
                    # an integral float (draft 6+ calls 1.0 an integer) is stored as the int its annotation says
                    num = [*num, "if type(v) is float:", "    v = int(v)"]
                    if result is not None:
                        num.append("    r = v")
                blocks.append((test, num))
        if allowed is not None:
            if "boolean" in allowed:
                blocks.append(("type(v) is bool", []))
            if "null" in allowed:
                blocks.append(("v is None", []))
        if result is not None:
            lines.append("r = v")
        if not blocks:
            return lines, result
        for i, (test, block) in enumerate(blocks):
            lines.append(f"{'if' if i == 0 else 'elif'} {test}:")
            lines += ["    " + line for line in block] or ["    pass"]
        if allowed is not None:
            shown = [t for t in allowed if t != "null"] or ["null"]
            expected = " or ".join(dict.fromkeys(_NOUN.get(t, t) for t in shown))
            lines += ["else:", f"    problems.append(_wrong(path, {expected!r}, v))"]
        return lines, result

    # -- unstructure ---------------------------------------------------------------------------------------------

    def holds_containers(self, py: Py, seen: frozenset[str] = frozenset()) -> bool:
        """Whether a value of `py` kept as JSON may be or hold an array or an object."""
        if py.kind in ("list", "dict", "any"):
            return True
        if py.kind == "alias":
            node = self.schema.models[py.name].node
            if py.name in seen or node.own_py is None:
                return True
            return self.holds_containers(node.own_py, seen | {py.name})
        return any(self.holds_containers(a, seen) for a in py.args)

    def dump(self, py: Py, expr: str, node: Node | None = None) -> str:
        if not builds(py, self.schema):  # a copy of arrays and objects: the object's own are never handed out
            if py.kind == "list" and not self.holds_containers(py.args[0]):
                return f"({expr}.copy() if type({expr}) is list else {expr})"
            if py.kind == "dict" and not self.holds_containers(py.args[0]):
                return f"({expr}.copy() if type({expr}) is dict else {expr})"
            if self.holds_containers(py):
                return f"_copy_json({expr})"
            return expr
        if py.kind == "class":
            display = self.display(py.name, expr)
            return display if display is not None else f"_u_{py.name}({expr})"
        if py.kind == "enum":
            return f"{expr}._value_"
        if py.kind == "alias":
            target = self.schema.models[py.name].node
            name = self.ufn(target)
            return expr if name is None else f"{name}({expr})"
        if py.kind == "datetime":  # the text it was read from, else RFC 3339
            return f"({expr}.text if type({expr}) is _DateTimeText else _format_datetime({expr}))"
        if py.kind == "date":
            return f"{expr}.isoformat()"
        if py.kind == "uuid":
            return f"_format_uuid({expr})"
        if py.kind == "list" and node is not None:  # a list of classes, enums or date-times: written in place
            t = node.target()
            if t.own_py == py and t.items is not None and not t.prefix_items and py.args[0].kind in _IN_PLACE:
                return f"[{self.dump(py.args[0], '_i', t.items)} for _i in {expr}]"
        if py.kind == "union" and expr.isidentifier():  # one member to write: in place, the rest as they are
            written = [a for a in py.args if builds(a, self.schema)]
            if len(written) == 1 and written[0].kind in ("class", "enum", "datetime", "date", "uuid"):
                test = _isinstance_test(written[0], self.schema, expr)
                if test is not None:
                    return f"({self.dump(written[0], expr, None)} if {test} else {expr})"
        if node is not None:
            name = self.ufn(node)
            if name is not None:
                return f"{name}({expr})"
        raise AssertionError(py)

    def display(self, name: str, expr: str, inside: frozenset[str] = frozenset()) -> str | None:
        """The dict display a simple class (required fields only, no extra keys, always an object) unstructures
        to, written in place of a call to its unstructure function; None for any other class or expression."""
        m = self.schema.models.get(name)
        if m is None or m.kind != "class" or not expr.isidentifier() or name in inside or len(m.fields) > 8:
            return None
        n = m.node.target()
        if m.extra or n.types != ("object",) or not all(f.required for f in m.fields):
            return None
        items = []
        for f in m.fields:
            field_py = f.node.py
            if field_py.kind == "class":
                inner = self.display(field_py.name, f"{expr}.{f.name}", inside | {name})
                value = inner if inner is not None else f"_u_{field_py.name}({expr}.{f.name})"
            else:
                value = self.dump(field_py, f"{expr}.{f.name}", f.node.target())
            items.append(f"{f.key!r}: {value}")
        return "{" + ", ".join(items) + "}"

    def unstructure(self, n: Node) -> str:
        py = n.own_py
        assert py is not None
        head = f"def {n.ufn}(o: Any) -> Any:"
        if n.model is not None and n.model.kind == "class":
            return objects.unstructure_class(self, n, n.model)
        body: list[str] = []
        if py.kind == "list":
            item = self._item_node(n)
            body.append(f"return [{self.dump(py.args[0], 'x', item)} for x in o]")
        elif py.kind == "dict":
            body.append(f"return {{k: {self.dump(py.args[0], 'x', n.additional)} for k, x in o.items()}}")
        elif py.kind == "union":
            members = self._union_nodes(n)
            for arg in py.args:
                if not builds(arg, self.schema):
                    continue
                test = _isinstance_test(arg, self.schema, "o")
                if test is None:
                    continue
                member = members.get(arg)
                if member is None and arg.kind == "list":  # the node's own `type: [array, ...]`
                    value = f"[{self.dump(arg.args[0], 'x', n.items)} for x in o]"
                elif member is None and arg.kind == "dict":
                    value = f"{{k: {self.dump(arg.args[0], 'x', n.additional)} for k, x in o.items()}}"
                else:
                    value = self.dump(arg, "o", member)
                body += [f"if {test}:", f"    return {value}"]
            body.append("return o")
        else:
            body.append(f"return {self.dump(py, 'o', None)}")
        return "\n".join([head, *("    " + line for line in body)])

    def _item_node(self, n: Node) -> Node | None:
        return n.items

    def _union_nodes(self, n: Node) -> dict[Py, Node]:
        out: dict[Py, Node] = {}
        for m in (*n.one_of, *n.any_of, *n.all_of, *([n.ref] if n.ref else [])):
            t = m.target()
            if t.own_py is not None:
                out.setdefault(m.py, t)
        return out


_FORMATS = ("email", "uri", "ipv4", "ipv6", "date-time", "date", "time", "uuid")


def render(schema: Schema) -> dict[str, Any]:
    w = Writer(schema)
    w.write_all()
    fast = Fast(w)
    roots = [m.node.target() for m in schema.models.values() if m.node.target().boolean is None]
    for node in roots:
        fast.fn(node)
    fast.write_all()
    w.write_all()  # full functions the fast path's generic forms call
    table = {n.fn: fast.names[id(n)] for n in roots if fast.names[id(n)] in fast.specialized}
    entries = "".join(f"\n    {full}: {quick}," for full, quick in table.items())
    fast_table = f"_FAST: dict[Any, _Callable[[Any], Any]] = {{{entries}\n}}"
    return {
        "constants": "\n".join(w.constants),
        "functions": "\n\n\n".join([*w.functions, *fast.functions, fast_table]),
        "string_enums": w.string_enums,
    }
