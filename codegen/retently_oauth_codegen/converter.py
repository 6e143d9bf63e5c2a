"""Writes the converter module: one specialized structure and unstructure function per generated class.

cattrs' own hooks are built at run time and generic; these are straight-line code written once here, so they
check JSON types strictly, collect every problem with its JSON path, keep additional properties, and tell an
absent field from an explicit null, without run-time introspection. `make_converter` registers them on a cattrs
preconf JSON converter, which downstream SDKs can copy and extend.
"""

from __future__ import annotations

from .ir import ModelSpec, SchemaNotSupported, SchemaSpec, TypeSpec
from .templates._runtime import child


def _chain(lines: list[str], ind: str) -> list[str]:
    """Continues an if-chain with `lines` when they open with an `if` at `ind`; else nests them under `else:`."""
    if lines[0].startswith(f"{ind}if "):
        return [f"{ind}elif " + lines[0][len(ind) + 3 :], *lines[1:]]
    return [f"{ind}else:", *(("    " + line) for line in lines)]


class _Writer:
    def __init__(self, spec: SchemaSpec) -> None:
        self.spec = spec
        self.helpers: dict[TypeSpec, str] = {}
        self.helper_code: list[str] = []

    # structure ------------------------------------------------------------------------------------------------

    def value(self, t: TypeSpec, var: str, path: str, target: str, ind: str) -> list[str]:
        """Lines that set `target` to the structured `var`, or record a problem and set it to INVALID."""
        fail = f"{ind}    {target} = INVALID"
        if t.kind in ("str", "bool"):
            noun = {"str": "a string", "bool": "a boolean"}[t.kind]
            return [
                f"{ind}if type({var}) is {t.kind}:",
                f"{ind}    {target} = {var}",
                f"{ind}else:",
                f"{ind}    problems.append(wrong({path}, {noun!r}, {var}))",
                fail,
            ]
        if t.kind in ("int", "float"):
            test = f"type({var}) is int" if t.kind == "int" else f"type({var}) is float or type({var}) is int"
            noun = "an integer" if t.kind == "int" else "a number"
            lines = [f"{ind}if {test}:"]
            bounds = []
            if t.minimum is not None:
                bounds.append((f"{var} < {t.minimum!r}", f"must be >= {t.minimum!r}"))
            if t.maximum is not None:
                bounds.append((f"{var} > {t.maximum!r}", f"must be <= {t.maximum!r}"))
            for n, (cond, message) in enumerate(bounds):
                lines += [
                    f"{ind}    {'if' if n == 0 else 'elif'} {cond}:",
                    f"{ind}        problems.append(Problem({path}, {message!r}))",
                    f"{ind}        {target} = INVALID",
                ]
            if bounds:
                lines += [f"{ind}    else:", f"{ind}        {target} = {var}"]
            else:
                lines += [f"{ind}    {target} = {var}"]
            return [*lines, f"{ind}else:", f"{ind}    problems.append(wrong({path}, {noun!r}, {var}))", fail]
        if t.kind == "any":
            return [f"{ind}{target} = {var}"]
        if t.kind == "datetime":
            return [f"{ind}{target} = structure_datetime({var}, {path}, problems, {t.accept_date!r})"]
        if t.kind == "literal":
            if not all(isinstance(v, str) for v in t.values):
                raise SchemaNotSupported("only string constants are supported")
            options = " or ".join(f"{var} == {v!r}" for v in t.values)
            expected = "one of " + ", ".join(f'"{v}"' for v in t.values) if len(t.values) > 1 else f'"{t.values[0]}"'
            return [
                f"{ind}if type({var}) is str and ({options}):",
                f"{ind}    {target} = {var}",
                f"{ind}else:",
                f"{ind}    problems.append(Problem({path}, {'expected ' + expected!r}))",
                fail,
            ]
        if t.kind == "enum":
            values = self.spec.models[t.name].values
            expected = "expected one of " + ", ".join(f'"{v}"' for v in values)
            return [
                f"{ind}{target} = _ENUM_{t.name}.get({var}, INVALID) if type({var}) is str else INVALID",
                f"{ind}if {target} is INVALID:",
                f"{ind}    problems.append(Problem({path}, {expected!r}))",
            ]
        if t.kind in ("model", "union"):
            return [f"{ind}{target} = _s_{t.name}({var}, {path}, problems)"]
        if t.kind == "nullable":
            assert t.item is not None
            return [
                f"{ind}if {var} is None:",
                f"{ind}    {target} = None",
                *_chain(self.value(t.item, var, path, target, ind), ind),
            ]
        if t.kind in ("list", "dict"):
            return [f"{ind}{target} = {self.container_helper(t)}({var}, {path}, problems)"]
        raise SchemaNotSupported(t.kind)

    def container_helper(self, t: TypeSpec) -> str:
        if t in self.helpers:
            return self.helpers[t]
        assert t.item is not None
        name = f"_s_{t.kind}_{len(self.helpers)}"
        self.helpers[t] = name
        if t.kind == "list":
            loop = "for i, item in enumerate(src):"
            item_path = 'f"{path}[{i}]"'
            head = [
                "    if type(src) is not list:",
                '        problems.append(wrong(path, "an array", src))',
                "        return INVALID",
                "    out: list[Any] = []",
            ]
            add = "out.append(value)"
        else:
            loop = "for key, item in src.items():"
            item_path = "child(path, key)"
            head = [
                "    if type(src) is not dict:",
                '        problems.append(wrong(path, "an object", src))',
                "        return INVALID",
                "    out: dict[str, Any] = {}",
            ]
            add = "out[key] = value"
        self.helper_code.append(
            "\n".join(
                [
                    f"def {name}(src: Any, path: str, problems: list[Problem]) -> Any:",
                    *head,
                    "    before = len(problems)",
                    "    value: Any",
                    f"    {loop}",
                    *self.value(t.item, "item", item_path, "value", "        "),
                    f"        {add}",
                    "    return INVALID if len(problems) != before else out",
                ]
            )
        )
        return name

    def structure_class(self, m: ModelSpec) -> str:
        lines = [
            f"def _s_{m.name}(src: Any, path: str, problems: list[Problem]) -> Any:",
            "    if type(src) is not dict:",
            '        problems.append(wrong(path, "an object", src))',
            "        return INVALID",
            "    before = len(problems)",
        ]
        defaulted = [f for f in m.fields if f.has_default]
        if defaulted:
            lines.append("    defaulted: list[str] = []")
        for f in m.fields:
            path = f"path + {child('', f.key)!r}"
            target = f"f_{f.name}"
            lines += [f"    {target}: Any", f"    v = src.get({f.key!r}, MISSING)", "    if v is MISSING:"]
            if f.required:
                lines += [
                    f'        problems.append(Problem({path}, "required field missing"))',
                    f"        {target} = INVALID",
                ]
            elif f.has_default:
                lines += [f"        {target} = {f.default!r}", f"        defaulted.append({f.name!r})"]
            elif f.unset_when_absent:
                lines.append(f"        {target} = UNSET")
            else:
                lines.append(f"        {target} = None")
            lines += _chain(self.value(f.type, "v", path, target, "    "), "    ")
        if not m.extra:
            lines += [
                f"    if not _KEYS_{m.name}.issuperset(src):",
                "        problems.extend(",
                f'            Problem(child(path, key), "unknown field") for key in src if key not in _KEYS_{m.name}',
                "        )",
            ]
        lines += ["    if len(problems) != before:", "        return INVALID"]
        args = [f"{f.name}=f_{f.name}" for f in m.fields]
        if m.extra:
            args.append(f"additional_properties={{k: x for k, x in src.items() if k not in _KEYS_{m.name}}}")
        call = f"{m.name}(" + ", ".join(args) + ")"
        if defaulted:
            lines += [
                f"    result = {call}",
                "    if defaulted:",
                '        object.__setattr__(result, "_defaulted", frozenset(defaulted))',
                "    return result",
            ]
        else:
            lines.append(f"    return {call}")
        return "\n".join(lines)

    def structure_union(self, m: ModelSpec) -> str:
        members = [self.spec.models[name] for name in m.members]
        tag_key = _common_tag(members)
        lines = [
            f"def _s_{m.name}(src: Any, path: str, problems: list[Problem]) -> Any:",
            "    if type(src) is not dict:",
            '        problems.append(wrong(path, "an object", src))',
            "        return INVALID",
        ]
        if tag_key is not None:
            lines.append(f"    tag = src.get({tag_key!r}, MISSING)")
            tags = []
            for member in members:
                (tag_field,) = (f for f in member.fields if f.key == tag_key)
                for value in tag_field.type.values:
                    tags.append(value)
                    lines += [f"    if tag == {value!r}:", f"        return _s_{member.name}(src, path, problems)"]
            expected = "expected one of " + ", ".join(f'"{v}"' for v in tags)
            lines += [
                "    if tag is not MISSING:",
                f"        problems.append(Problem(path + {child('', tag_key)!r}, {expected!r}))",
                "        return INVALID",
            ]
        # No tag: the variant with most of its required fields present (all of them, for a valid document),
        # so that the problems name the fields it lacks.
        ambiguous = "matches no variant unambiguously: expected one of " + ", ".join(m.members)
        lines.append("    scores = (")
        for member in members:
            keys = member.required_keys
            lines.append(f"        sum(1 for key in {keys!r} if key in src),")
        lines += [
            "    )",
            "    best = max(scores)",
            "    if scores.count(best) > 1:",
            "        problems.append(",
            "            Problem(",
            "                path,",
            f"                {ambiguous!r},",
            "            )",
            "        )",
            "        return INVALID",
        ]
        for n, member in enumerate(members):
            lines += [f"    if scores[{n}] == best:", f"        return _s_{member.name}(src, path, problems)"]
        lines.append("    return INVALID")
        return "\n".join(lines)

    # unstructure ----------------------------------------------------------------------------------------------

    def dump(self, t: TypeSpec, expr: str) -> str:
        if t.kind in ("str", "int", "float", "bool", "any", "literal"):
            return expr
        if t.kind == "datetime":
            return f"unstructure_datetime({expr})"
        if t.kind == "enum":
            return f"{expr}.value"
        if t.kind in ("model", "union"):
            return f"_u_{t.name}({expr})"
        assert t.item is not None
        if t.kind == "nullable":
            inner = self.dump(t.item, expr)
            return expr if inner == expr else f"None if {expr} is None else {inner}"
        inner = self.dump(t.item, "x")
        if t.kind == "list":
            return f"list({expr})" if inner == "x" else f"[{inner} for x in {expr}]"
        return f"dict({expr})" if inner == "x" else f"{{k: {inner} for k, x in {expr}.items()}}"

    def unstructure_class(self, m: ModelSpec) -> str:
        always = [f for f in m.fields if f.required]
        lines = [f"def _u_{m.name}(o: {m.name}) -> dict[str, Any]:"]
        if any(not (f.required or f.has_default) for f in m.fields):
            lines.append("    v: Any")
        items = ", ".join(f"{f.key!r}: {self.dump(f.type, 'o.' + f.name)}" for f in always)
        lines.append(f"    d: dict[str, Any] = {{{items}}}")
        for f in m.fields:
            if f.required:
                continue
            if f.has_default:
                lines += [
                    f"    if {f.name!r} not in o._defaulted:",
                    f"        d[{f.key!r}] = {self.dump(f.type, 'o.' + f.name)}",
                ]
                continue
            absent = "UNSET" if f.unset_when_absent else "None"
            lines += [
                f"    v = o.{f.name}",
                f"    if v is not {absent}:",
                f"        d[{f.key!r}] = {self.dump(f.type, 'v')}",
            ]
        if m.extra:
            lines += [
                "    if o.additional_properties:",
                "        for key, x in o.additional_properties.items():",
                "            d.setdefault(key, x)",
            ]
        lines.append("    return d")
        return "\n".join(lines)

    def unstructure_union(self, m: ModelSpec) -> str:
        lines = [f"def _u_{m.name}(o: {m.name}) -> dict[str, Any]:"]
        for member in m.members:
            lines += [f"    if type(o) is {member}:", f"        return _u_{member}(o)"]
        expected = f"expected one of {', '.join(m.members)}, got "
        lines.append(f"    raise DocumentError({m.name!r}, [Problem('$', {expected!r} + type(o).__name__)])")
        return "\n".join(lines)


def _common_tag(members: list[ModelSpec]) -> str | None:
    """The key every member holds as a distinct string constant, if any."""
    candidates = None
    for member in members:
        keys = {f.key for f in member.fields if f.type.kind == "literal"}
        candidates = keys if candidates is None else candidates & keys
    for key in sorted(candidates or ()):
        values = [v for member in members for f in member.fields if f.key == key for v in f.type.values]
        if len(values) == len(set(values)):
            return key
    return None


def render(spec: SchemaSpec) -> dict[str, str]:
    """The converter module's parts, for the template."""
    w = _Writer(spec)
    classes = [m for m in spec.models.values() if m.kind == "class"]
    unions = [m for m in spec.models.values() if m.kind == "union"]
    enums = [m for m in spec.models.values() if m.kind == "enum"]
    functions = [w.structure_class(m) for m in classes] + [w.structure_union(m) for m in unions]
    functions += [w.unstructure_class(m) for m in classes] + [w.unstructure_union(m) for m in unions]
    constants = [f"_ENUM_{m.name}: dict[str, {m.name}] = {{m.value: m for m in {m.name}}}" for m in enums]
    constants += [f"_KEYS_{m.name}: frozenset[str] = frozenset({m.keys!r})" for m in classes]
    return {
        "constants": "\n".join(constants),
        "functions": "\n\n\n".join(functions + w.helper_code),
        "classes": ", ".join(m.name for m in classes),
        "unions": ", ".join(m.name for m in unions),
        "enums": ", ".join(m.name for m in enums),
        "names": [m.name for m in spec.models.values()],  # type: ignore[dict-item]
    }
