"""The differential harness: generate a package from a schema, import it, and compare its verdicts with jsonschema's.

Used by the corpus sweep (`nox -s corpus`) and by the generator's regression tests. Third-party imports
(jsonschema, hypothesis-jsonschema, yaml) are made inside the functions that need them.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import distribution
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS_LIST = Path(__file__).resolve().parent / "corpus.toml"
CODEGEN_SOURCE = ROOT / "codegen" / "retently_oauth_codegen"

FORMATS = ("date-time", "date", "time", "uuid", "email", "uri", "ipv4", "ipv6")
"""The formats the generator enforces; jsonschema's FormatChecker is restricted to these."""

Json = Any


# --- the corpus list --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    id: str
    path: str
    dist: str | None = None
    sdist: str | None = None
    pointer: str | None = None
    draw: bool = True  # False: hypothesis-jsonschema cannot draw from it in reasonable time (see corpus.toml)
    count: int = 15  # documents to draw
    seeds: tuple[str, ...] = ()  # our own documents (JSON texts) for it, judged by jsonschema like any other

    @property
    def package(self) -> str:
        return f"corpus_{self.id}"

    @property
    def source(self) -> str:
        return f"{self.dist or self.sdist} {self.path}" + (f" #{self.pointer}" if self.pointer else "")


def load_corpus() -> list[Entry]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    with CORPUS_LIST.open("rb") as f:
        entries = [Entry(**{**raw, "seeds": tuple(raw.get("seeds", ()))}) for raw in tomllib.load(f)["schema"]]
    ids = [e.id for e in entries]
    assert len(set(ids)) == len(ids), "duplicate ids in corpus.toml"
    return entries


def cache_dir() -> Path:
    configured = os.environ.get("RETENTLY_CORPUS_CACHE")
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / "retently-corpus-cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _load_document(path: Path) -> Json:
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)


def _resolve_pointer(document: Json, pointer: str) -> Json:
    for token in pointer.lstrip("/").split("/"):
        document = document[token.replace("~1", "/").replace("~0", "~")]
    return document


def _sdist_root(pin: str) -> Path:
    """The extracted source distribution `name==version` (downloaded by the nox session into the cache)."""
    name, version = pin.split("==")
    target = cache_dir() / "src" / f"{name}-{version}"
    if not target.exists():
        archives = sorted((cache_dir() / "sdists").glob(f"{name.replace('-', '_')}-{version}.tar.gz"))
        if not archives:
            raise FileNotFoundError(f"{pin}: no source distribution in {cache_dir() / 'sdists'} (run `nox -s corpus`)")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent))
        with tarfile.open(archives[0]) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(staging, filter="data")
            else:  # pragma: no cover (Python < 3.10.12)
                tar.extractall(staging)  # noqa: S202 (an sdist from PyPI, pinned)
        with contextlib.suppress(OSError):  # another worker won
            staging.rename(target)
    (top,) = [p for p in target.iterdir() if p.is_dir()]
    return top


def schema_file(entry: Entry) -> Path:
    """A file holding the entry's schema: the installed file itself (so relative `$ref`s resolve beside it), or,
    for a schema inside a larger document, that part written out verbatim as JSON."""
    if entry.dist:
        name, version = entry.dist.split("==")
        dist = distribution(name)
        assert dist.version == version, f"{name} {dist.version} is installed, corpus.toml pins {version}"
        located = Path(str(dist.locate_file(entry.path)))
    else:
        assert entry.sdist
        located = _sdist_root(entry.sdist) / entry.path
    if not located.is_file():
        raise FileNotFoundError(f"{entry.source}: not found at {located}")
    if entry.pointer is None and located.suffix == ".json":
        return located
    document = _load_document(located)
    if entry.pointer:
        document = _resolve_pointer(document, entry.pointer)
    out = cache_dir() / "schemas" / f"{entry.id}.schema.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")
    return out


# --- generating and importing -----------------------------------------------------------------------------------


def generator_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(CODEGEN_SOURCE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(CODEGEN_SOURCE).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def generate_package(schema: Path, out: Path, package: str, class_name: str | None = None) -> Path:
    """Runs the generator's Python API (the agreed signature)."""
    from retently_oauth_codegen.generate import generate

    kwargs: dict[str, Any] = {"package": package}
    if class_name is not None:
        kwargs["class_name"] = class_name
    result: Path = generate(schema, out, **kwargs)
    return result


def package_files(package_dir: Path) -> dict[str, bytes]:
    return {
        p.relative_to(package_dir).as_posix(): p.read_bytes()
        for p in sorted(package_dir.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@dataclass
class Generated:
    package: str
    directory: Path  # holds the package directory; goes on sys.path
    identical: bool  # a second run wrote the same bytes
    difference: str = ""


def generate_with_command(schema: Path, out: Path, package: str) -> Path:
    """Runs the installed generator's command line in a fresh process (another hash seed, another import order)."""
    command = [sys.executable, "-m", "retently_oauth_codegen", "generate", "--schema", str(schema), "--out", str(out)]
    done = subprocess.run(
        [*command, "--package", package], capture_output=True, text=True, timeout=300, check=False, cwd=out.parent
    )
    if done.returncode != 0:
        raise RuntimeError(f"the command line failed ({done.returncode}) where the API did not: {done.stderr[-1500:]}")
    return out / package


def generate_twice(schema: Path, package: str, workdir: Path, class_name: str | None = None) -> Generated:
    """Generates into `workdir/a` (the Python API) and `workdir/b` (the command line, in another process, unless a
    class name is given) and compares the bytes."""
    first = generate_package(schema, workdir / "a", package, class_name)
    if class_name is None:
        second = generate_with_command(schema, workdir / "b", package)
    else:
        second = generate_package(schema, workdir / "b", package, class_name)
    a, b = package_files(first), package_files(second)
    different = sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))
    return Generated(package, workdir / "a", not different, ", ".join(different))


def generate_cached(entry: Entry) -> Generated:
    """generate_twice, cached on disk by schema bytes and generator source (shared by xdist workers and runs)."""
    schema = schema_file(entry)
    key = hashlib.sha256(schema.read_bytes() + generator_digest().encode()).hexdigest()[:16]
    final = cache_dir() / "generated" / f"{entry.id}-{key}"
    marker = final / "result.json"
    if marker.exists():
        saved = json.loads(marker.read_text())
        return Generated(entry.package, final / "a", saved["identical"], saved["difference"])
    (cache_dir() / "generated").mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{entry.id}-", dir=cache_dir() / "generated"))
    result = generate_twice(schema, entry.package, staging)
    (staging / "result.json").write_text(json.dumps({"identical": result.identical, "difference": result.difference}))
    with contextlib.suppress(OSError):  # another worker finished first: use its copy
        staging.rename(final)
    for stale in (cache_dir() / "generated").glob(f"{entry.id}-*"):  # from earlier generator versions
        if stale.name != final.name and len(stale.name) == len(final.name):
            shutil.rmtree(stale, ignore_errors=True)
    return Generated(entry.package, final / "a", result.identical, result.difference)


def import_package(directory: Path, package: str) -> ModuleType:
    """Imports a generated package by its unique name from `directory`."""
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    existing = sys.modules.get(package)
    if existing is not None and Path(str(existing.__file__)).resolve().is_relative_to(directory.resolve()):
        return existing
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    return importlib.import_module(package)


# --- jsonschema -------------------------------------------------------------------------------------------------


def validator_for(schema_path: Path, schema: Json | None = None) -> Any:
    """jsonschema's validator for the schema's draft, with relative `$ref`s resolved against the schema file and
    a FormatChecker that checks exactly FORMATS. Remote references are refused (no network)."""
    import jsonschema
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource

    if schema is None:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    spec = _specification(cls)

    def retrieve(uri: str) -> Resource[Any]:
        if uri.startswith("file:"):
            from urllib.parse import unquote, urlparse

            contents = _load_document(Path(unquote(urlparse(uri).path)))
            return Resource.from_contents(contents, default_specification=spec)
        raise NoSuchResource(ref=uri)

    uri = schema_path.resolve().as_uri()
    registry: Registry[Any] = Registry(retrieve=retrieve).with_resource(  # type: ignore[call-arg, arg-type]
        uri, Resource.from_contents(schema, default_specification=spec)
    )
    checker = format_checker(cls)
    return cls({"$ref": uri}, registry=registry, format_checker=checker)


def format_checker(cls: Any) -> Any:
    """A FormatChecker for exactly FORMATS, each checked as the schema's draft defines it (as 2020-12 does, for a
    format the draft does not define: the generator enforces all of FORMATS whatever the draft)."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    for name in FORMATS:
        source = (
            cls.FORMAT_CHECKER
            if name in cls.FORMAT_CHECKER.checkers
            else jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        assert name in source.checkers, f"jsonschema cannot check format {name}: install jsonschema[format-nongpl]"
        checker.checkers[name] = source.checkers[name]
    return checker


def _specification(cls: Any) -> Any:
    from referencing import jsonschema as rj

    by_name = {
        "Draft3Validator": rj.DRAFT3,
        "Draft4Validator": rj.DRAFT4,
        "Draft6Validator": rj.DRAFT6,
        "Draft7Validator": rj.DRAFT7,
        "Draft201909Validator": rj.DRAFT201909,
        "Draft202012Validator": rj.DRAFT202012,
    }
    return by_name.get(cls.__name__, rj.DRAFT202012)


# --- verdicts ---------------------------------------------------------------------------------------------------


def json_equal(a: Json, b: Json) -> bool:
    """Equal as JSON: bool is not a number, 1 == 1.0, keys unordered; two RFC 3339 strings naming the same instant
    (e.g. `+00:00` and `Z`) count as equal, since a date-time read into a datetime is written back canonically."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b or _same_instant(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return a is None and b is None


def _same_instant(a: str, b: str) -> bool:
    from datetime import datetime

    def parse(s: str) -> datetime | None:
        if len(s) < 20 or s[4:5] != "-" or s[10:11] not in "Tt ":
            return None
        try:
            return datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None

    x, y = parse(a), parse(b)
    return x is not None and y is not None and x.tzinfo is not None and y.tzinfo is not None and x == y


@dataclass
class Outcome:
    verdict: str  # "accepted", "rejected", "crashed"
    detail: str = ""
    output: Json = None


_STEP = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def path_steps(path: str) -> list[str | int] | None:
    """`$.a[0]["b c"]` -> ["a", 0, "b c"]; None when it is not such a path."""
    if not path.startswith("$"):
        return None
    steps: list[str | int] = []
    at = 1
    while at < len(path):
        match = _STEP.match(path, at)
        if match is None:
            return None
        name, index, quoted = match.groups()
        if name is not None:
            steps.append(name)
        elif index is not None:
            steps.append(int(index))
        else:
            steps.append(re.sub(r"\\(.)", r"\1", quoted))
        at = match.end()
    return steps


def path_in(doc: Json, path: str) -> bool:
    """A problem's path names a place in the document: every step but the last exists (the last may be a missing
    required key)."""
    steps = path_steps(path)
    if steps is None:
        return False
    node = doc
    for step in steps[:-1]:
        in_object = isinstance(node, dict) and isinstance(step, str) and step in node
        in_array = isinstance(node, list) and isinstance(step, int) and step < len(node)
        if not (in_object or in_array):
            return False
        node = node[step]
    return True


def run_generated(package: ModuleType, converter: Any, doc: Json) -> Outcome:
    """Structures `doc` as the package's ROOT and writes it back; any exception but DocumentError is a crash."""
    try:
        obj = converter.structure(doc, package.ROOT)
    except package.DocumentError as exc:
        problems = getattr(exc, "problems", None)
        if not problems:
            return Outcome("crashed", f"DocumentError without problems: {exc!s:.300}")
        misplaced = [str(getattr(p, "path", None)) for p in problems if not path_in(doc, str(getattr(p, "path", "")))]
        if misplaced:
            return Outcome("crashed", f"DocumentError at paths not in the document {misplaced[:3]}: {exc!s:.300}")
        return Outcome("rejected", f"{exc!s:.300}")
    except Exception as exc:
        return Outcome("crashed", f"structure raised {type(exc).__name__}: {exc!s:.300}")
    try:
        out = converter.unstructure(obj, unstructure_as=package.ROOT)
        json.dumps(out)
    except Exception as exc:
        return Outcome("crashed", f"unstructure raised {type(exc).__name__}: {exc!s:.300}")
    return Outcome("accepted", output=out)


def short(doc: Json, limit: int = 300) -> str:
    text = json.dumps(doc, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


@dataclass
class Disagreement:
    doc: Json
    kind: str
    expected: str
    got: Outcome

    def __str__(self) -> str:
        extra = f"\n    written back: {short(self.got.output)}" if self.got.verdict == "accepted" else ""
        return (
            f"  [{self.kind}] document: {short(self.doc)}\n    jsonschema: {self.expected}; generated: "
            f"{self.got.verdict} {self.got.detail}{extra}"
        )


@dataclass
class Differential:
    checked: int = 0
    valid: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)


def compare(validator: Any, package: ModuleType, docs: list[tuple[str, Json]]) -> Differential:
    """Each (kind, document): the package's verdict must be jsonschema's; accepted valid documents round-trip."""
    converter = package.make_converter()
    result = Differential()
    for kind, doc in docs:
        text = json.dumps(doc, sort_keys=True)
        doc = json.loads(text)  # a private copy: nothing shared with other documents
        valid = validator.is_valid(doc)
        result.checked += 1
        result.valid += valid
        got = run_generated(package, converter, doc)
        if json.dumps(doc, sort_keys=True) != text:
            got = Outcome("crashed", f"structuring changed its input document; it was {short(json.loads(text))}")
        expected = "valid" if valid else "invalid"
        if (
            got.verdict == "crashed"
            or (valid and got.verdict != "accepted")
            or (not valid and got.verdict != "rejected")
            or (valid and not json_equal(got.output, doc))
        ):
            if valid and got.verdict == "accepted":
                got.detail = "but the round trip changed the document"
            result.disagreements.append(Disagreement(doc, kind, expected, got))
    return result


# --- documents: drawn, fallback, mutants ------------------------------------------------------------------------


class DrawTimeout(Exception):
    pass


def draw_documents(schema: Json, count: int = 25, seconds: float = 30.0) -> tuple[list[Json], str]:
    """Up to `count` documents drawn by hypothesis-jsonschema (derandomized), and "" or why none could be drawn."""
    import signal

    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis_jsonschema import from_schema

    docs: list[Json] = []

    def on_alarm(signum: int, frame: Any) -> None:
        raise DrawTimeout(f"drawing took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        strategy = from_schema(json.loads(json.dumps(schema)))  # a copy: from_schema changes the schema it is given

        @settings(
            max_examples=count,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def collect(doc: Json) -> None:
            docs.append(doc)

        collect()
    except DrawTimeout as exc:
        return docs, str(exc)
    except Exception as exc:
        return docs, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return docs, ""


def fallback_documents(schema: Json) -> list[Json]:
    """The schema itself, its examples and default, and a few plain seeds (jsonschema judges each)."""
    docs: list[Json] = [schema]  # a schema is a document too (a metaschema's own valid instance)
    if isinstance(schema, dict):
        examples = schema.get("examples")
        if isinstance(examples, list):
            docs.extend(examples)
        if "default" in schema:
            docs.append(schema["default"])
    docs.extend([{}, [], "", 0, None])
    return docs


def _locations(doc: Json, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Json]]:
    yield path, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _locations(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _locations(v, (*path, i))


def _replace(doc: Json, path: tuple[Any, ...], make: Callable[[Json], Json]) -> Json:
    if not path:
        return make(doc)
    copy = json.loads(json.dumps(doc))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = make(parent[path[-1]])
    return copy


def _swap_type(value: Json) -> Json:
    if isinstance(value, bool):
        return "true" if value else 0
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return 7
    if isinstance(value, list):
        return {"0": value[0]} if value else {}
    if isinstance(value, dict):
        return list(value.values())
    return False


def _cross_bound(rng: random.Random) -> Callable[[Json], Json]:
    choice = rng.randrange(4)

    def make(value: Json) -> Json:
        if isinstance(value, bool):
            return not value
        if isinstance(value, (int, float)):
            return [value + 0.5, -value - 1_000_001, value * 1000 + 10**12, 0][choice]
        if isinstance(value, str):
            return ["", value * 40 + "x" * 300, "not-a-format\n", value + " "][choice]
        if isinstance(value, list):
            return [[], value + value, value[:1] * 2, value * 30][choice]
        if isinstance(value, dict):
            return [{}, {**value, **{f"k{i}": i for i in range(30)}}, dict(list(value.items())[:1]), {}][choice]
        return value

    return make


def mutants(doc: Json, rng: random.Random) -> list[tuple[str, Json]]:
    """A value's type swapped, a key dropped, an unknown key added, a bound crossed (one of each where possible)."""
    out: list[tuple[str, Json]] = []
    locations = list(_locations(doc))
    path, _ = rng.choice(locations)
    out.append(("type swapped", _replace(doc, path, _swap_type)))
    objects = [(p, v) for p, v in locations if isinstance(v, dict)]
    non_empty = [(p, v) for p, v in objects if v]
    if non_empty:
        path, value = rng.choice(non_empty)
        key = rng.choice(sorted(value))
        out.append(("key dropped", _replace(doc, path, lambda v: {k: x for k, x in v.items() if k != key})))
    if objects:
        path, _ = rng.choice(objects)
        out.append(("unknown key added", _replace(doc, path, lambda v: {**v, "zz unknown key": "x"})))
    path, _ = rng.choice(locations)
    out.append(("bound crossed", _replace(doc, path, _cross_bound(rng))))
    return out


def draw_cached(schema: Json, count: int, seconds: float) -> tuple[list[Json], str]:
    """draw_documents, cached on disk by schema, count, bound and library versions (drawing is the slow part)."""
    from importlib.metadata import version

    text = json.dumps(schema, sort_keys=True)
    salt = f"{version('hypothesis')} {version('hypothesis-jsonschema')} {count} {seconds}"
    key = hashlib.sha256((salt + text).encode()).hexdigest()[:24]
    path = cache_dir() / "draws" / f"{key}.json"
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        return saved["docs"], saved["why"]
    docs, why = draw_documents(schema, count, seconds)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(f".{os.getpid()}.tmp")
    staging.write_text(json.dumps({"docs": docs, "why": why}), encoding="utf-8")
    staging.replace(path)
    return docs, why


def documents_for(
    schema: Json, seed: str, *, draw: bool = True, seeds: tuple[str, ...] = (), count: int = 15, seconds: float = 60.0
) -> tuple[list[tuple[str, Json]], str]:
    """Drawn documents (plus fallbacks when drawing is off, failed or gave few) and their mutants, deterministic
    for a seed; and why drawing fell short ("" when it did not)."""
    drawn, why = draw_cached(schema, count, seconds) if draw else ([], "not drawn (corpus.toml: draw = false)")
    base = [("drawn", d) for d in drawn] + [("seed", json.loads(text)) for text in seeds]
    if why or len(drawn) < 5:
        base += [("fallback", d) for d in fallback_documents(schema)]
    seen: set[str] = set()
    unique: list[tuple[str, Json]] = []
    for kind, doc in base:
        key = json.dumps(doc, sort_keys=True)
        if key not in seen:
            seen.add(key)
            unique.append((kind, doc))
    rng = random.Random(seed)
    docs = list(unique)
    for _, doc in unique:
        docs.extend(mutants(doc, rng))
    return docs, why or ("" if len(drawn) >= 5 else f"only {len(drawn)} distinct documents drawn")
