"""Bulk data: a page of 1,000 Retently customers (nested company, tags and properties, enums, date-times, optional
and nullable fields, bounded numbers, strings with lengths), read and written back, three ways from one schema.

`schemas/customers.schema.json` is generated into a package of ours at bench time (nothing generated is committed);
`customers_pydantic` and `customers_msgspec` are hand-written equivalents. The records come from a seeded random
generator and are valid for all three; each contender's round trip is checked to give back equal JSON first.

Two round trips, contenders interleaved call by call so a noisy moment lands on all alike, medians reported as
ratios to pydantic v2:
- dict -> objects -> dict: ours `structure` + `unstructure` on the generated converter, pydantic
  `TypeAdapter.validate_python` + `dump_python(mode="json")`, msgspec `convert` + `to_builtins`;
- JSON bytes -> objects -> JSON bytes: ours through the converter's own `loads` + `dumps` with stdlib json (the
  default) and with orjson (`make_converter(json="orjson")`), pydantic `validate_json` + `dump_json`, msgspec
  `json.decode` + `json.encode`.

`python -m bench bulk` (or `--quick` for fewer rounds); `python -m bench.bulk --profile` profiles our dict path.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ._timing import fmt

SCHEMA = Path(__file__).resolve().parent / "schemas" / "customers.schema.json"
PACKAGE = "bench_customers_models"
RECORDS = 1000
SEED = 8


def _rounds() -> int:
    return 5 if os.environ.get("BENCH_QUICK") else 31


# --- data -----------------------------------------------------------------------------------------------------

_FIRST = ["Ana", "Bogdan", "Chloé", "Dmitri", "Emeka", "Fatima", "Gustav", "Hiroshi", "Ines", "José", "Kwame", "Léa"]
_LAST = ["Popescu", "Smith", "García", "Müller", "Okafor", "Nguyen", "Kowalski", "O'Brien", "Rossi", "Tanaka"]
_INDUSTRIES = ["SaaS", "Retail", "Healthcare", "Fintech", "Education", "Logistics", "Media"]
_TAGS = ["vip", "trial", "churn-risk", "enterprise", "smb", "beta", "promoter", "detractor", "eu", "us", "apac"]
_EPOCH = datetime(2019, 1, 1, tzinfo=timezone.utc)


def _object_id(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(24))


def _moment(rng: random.Random) -> str:
    """RFC 3339 in UTC with microseconds (never zero), which every contender writes back the same way."""
    moment = _EPOCH + timedelta(seconds=rng.randrange(200_000_000), microseconds=rng.randrange(1, 1_000_000))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _property(rng: random.Random, i: int) -> dict[str, Any]:
    kind = rng.choice(["text", "date", "integer", "boolean", "collection"])
    value = {
        "text": rng.choice(["Professional plan", "Starter", "Enterprise (annual)", "Free"]),
        "date": _moment(rng),
        "integer": str(rng.randrange(10_000)),
        "boolean": rng.choice(["true", "false"]),
        "collection": ", ".join(rng.sample(_TAGS, 3)),
    }[kind]
    label = rng.choice(["Subscription name", "Register date", "Seats", "Paying", "Modules", "Plan", "Region"])
    return {"label": f"{label} {i}", "name": f"{label.lower().replace(' ', '_')}_{i}", "type": kind, "value": value}


def _maybe(rng: random.Random, record: dict[str, Any], key: str, value: Any, *, present: float, null: float) -> None:
    """Sets `key` to `value` with probability `present`, to null with probability `null`, else leaves it out."""
    draw = rng.random()
    if draw < present:
        record[key] = value
    elif draw < present + null:
        record[key] = None


def customers(count: int = RECORDS, seed: int = SEED) -> list[dict[str, Any]]:
    """`count` customer records, the same for the same seed, valid against the schema."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        record: dict[str, Any] = {
            "id": _object_id(rng),
            "email": f"{first}.{last}.{n}@example.com".lower(),
            "status": rng.choice(["active", "active", "active", "unsubscribed", "bounced", "pending"]),
            "tags": rng.sample(_TAGS, rng.randrange(0, 5)),
            "properties": [_property(rng, i) for i in range(rng.randrange(1, 7))],
            "createdDate": _moment(rng),
        }
        _maybe(rng, record, "firstName", first, present=0.8, null=0.1)
        _maybe(rng, record, "lastName", last, present=0.8, null=0.1)
        if rng.random() < 0.85:
            company: dict[str, Any] = {"id": _object_id(rng), "name": f"{last} & Co {n % 97}"}
            domain = last.lower().replace("'", "")
            _maybe(rng, company, "domain", f"{domain}{n % 97}.example.com", present=0.7, null=0.2)
            if rng.random() < 0.6:
                company["industry"] = rng.choice(_INDUSTRIES)
            if rng.random() < 0.6:
                company["employees"] = rng.randrange(1, 50_000)
            record["company"] = company
        if rng.random() < 0.9:
            record["channel"] = rng.choice(["email", "sms", "web", "inApp", "link"])
        _maybe(rng, record, "lastSurveyedDate", _moment(rng), present=0.6, null=0.2)
        _maybe(rng, record, "npsScore", rng.randrange(11), present=0.6, null=0.2)
        if rng.random() < 0.9:
            record["surveysSent"] = rng.randrange(40)
        if rng.random() < 0.7:
            record["lifetimeValue"] = round(rng.uniform(0, 25_000), 2)
        if rng.random() < 0.5:
            record["unsubscribed"] = record["status"] == "unsubscribed"
        out.append(record)
    return out


# --- our generated package ---------------------------------------------------------------------------------------


def generate_ours(directory: Path) -> Any:
    """Generates the customers schema into `directory/bench_customers_models` and imports it."""
    from retently_oauth_codegen import generate as codegen

    target = directory / PACKAGE
    if "package" in inspect.signature(codegen.generate).parameters:
        codegen.generate(SCHEMA, directory, package=PACKAGE)
    else:  # a generator that writes only its fixed package name: its imports are relative, so rename the folder
        scratch = directory / "_scratch"
        written = codegen.generate(SCHEMA, scratch)
        shutil.move(str(written), str(target))
        shutil.rmtree(scratch)
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(directory))


def root_type(package: Any) -> Any:
    """The root document type: the generated alias named after the schema's title (`Customers`, the array of
    customers) when the generator writes one, else list[Customer]."""
    return getattr(package, "Customers", None) or list[package.Customer]


def orjson_converter(package: Any) -> Any | None:
    """The generated package's converter with orjson for bytes, or None when orjson is not installed.

    Uses the package's own option when it has one (`make_converter(json="orjson")`); otherwise registers the
    generated hooks on cattrs' preconf orjson converter."""
    try:
        import orjson  # noqa: F401
    except ImportError:
        return None
    if "json" in inspect.signature(package.make_converter).parameters:
        return package.make_converter(json="orjson")
    from cattrs.preconf.orjson import make_converter

    converter = make_converter()
    package.register_hooks(converter)
    return converter


# --- timing --------------------------------------------------------------------------------------------------------


def interleaved(fns: list[Callable[[], object]], rounds: int) -> list[tuple[float, float]]:
    """Median (CPU, wall) seconds per call of each function, the functions called in turn after two warm-up rounds.

    CPU time (this thread's) is what the ratios use: on a shared machine it moves less than wall time, which also
    counts the moments another process held the core."""
    for _ in range(2):
        for fn in fns:
            fn()
    cpu: list[list[float]] = [[] for _ in fns]
    wall: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start, start_cpu = time.perf_counter(), time.thread_time()
            fn()
            cpu[i].append(time.thread_time() - start_cpu)
            wall[i].append(time.perf_counter() - start)
    return [(statistics.median(c), statistics.median(w)) for c, w in zip(cpu, wall, strict=True)]


def _report(title: str, names: list[str], times: list[tuple[float, float]], baseline: str) -> list[str]:
    base = times[names.index(baseline)][0]
    lines = [f"{title}  (CPU median, per record, ratio to pydantic v2 by CPU; wall median)"]
    for name, (cpu, wall) in zip(names, times, strict=True):
        lines.append(f"  {name:<56} {fmt(cpu)} {fmt(cpu / RECORDS)}/rec  x{cpu / base:5.2f}   wall {fmt(wall)}")
    return lines


def _contenders(
    ours: Any, data: list[dict[str, Any]]
) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]], list[tuple[str, Any]], Any]:
    """The dict and the JSON contenders, each checked to give back what it was given."""
    import msgspec
    import pydantic
    from pydantic import TypeAdapter

    from . import customers_msgspec, customers_pydantic

    payload = json.dumps(data).encode()
    ours_type = root_type(ours)
    conv = ours.make_converter()
    adapter = TypeAdapter(list[customers_pydantic.Customer])
    ms_type = list[customers_msgspec.Customer]
    decoder = msgspec.json.Decoder(ms_type)
    encoder = msgspec.json.Encoder()

    def ours_dict() -> object:
        return conv.unstructure(conv.structure(data, ours_type), ours_type)

    def pydantic_dict() -> object:
        return adapter.dump_python(adapter.validate_python(data), mode="json", exclude_unset=True)

    def msgspec_dict() -> object:
        return msgspec.to_builtins(msgspec.convert(data, ms_type))

    def ours_json() -> object:
        return conv.dumps(conv.loads(payload, ours_type), unstructure_as=ours_type).encode()

    def pydantic_json() -> object:
        return adapter.dump_json(adapter.validate_json(payload), exclude_unset=True)

    def msgspec_json() -> object:
        return encoder.encode(decoder.decode(payload))

    def json_floor() -> object:
        return json.dumps(json.loads(payload)).encode()

    dicts: list[tuple[str, Any]] = [
        ("ours: structure + unstructure", ours_dict),
        ("pydantic v2: validate_python + dump_python(json)", pydantic_dict),
        ("msgspec: convert + to_builtins", msgspec_dict),
    ]
    ours_objects = conv.structure(data, ours_type)
    pydantic_objects = adapter.validate_python(data)
    halves: list[tuple[str, Any]] = [  # where the time goes: each half alone, ours beside pydantic's
        ("ours: structure alone", lambda: conv.structure(data, ours_type)),
        ("pydantic v2: validate_python alone", lambda: adapter.validate_python(data)),
        ("ours: unstructure alone", lambda: conv.unstructure(ours_objects, ours_type)),
        (
            "pydantic v2: dump_python(json) alone",
            lambda: adapter.dump_python(pydantic_objects, mode="json", exclude_unset=True),
        ),
    ]
    jsons: list[tuple[str, Any]] = [
        ("ours, stdlib json: converter loads + dumps", ours_json),
    ]
    fast = orjson_converter(ours)
    if fast is not None:
        import orjson

        def ours_orjson() -> object:
            return fast.dumps(fast.loads(payload, ours_type), unstructure_as=ours_type)

        def orjson_floor() -> object:
            return orjson.dumps(orjson.loads(payload))

        jsons.append(("ours, orjson: converter loads + dumps", ours_orjson))
    jsons += [
        ("pydantic v2: validate_json + dump_json", pydantic_json),
        ("msgspec: json decode + encode", msgspec_json),
        ("(floor) stdlib json.loads + json.dumps, no objects", json_floor),
    ]
    if fast is not None:
        jsons.append(("(floor) orjson.loads + orjson.dumps, no objects", orjson_floor))
    for name, fn in dicts:
        assert fn() == data, f"{name} does not round-trip"
    structure = {
        "ours": (lambda doc: conv.structure(doc, ours_type), ours.DocumentError),
        "pydantic v2": (adapter.validate_python, pydantic.ValidationError),
        "msgspec": (lambda doc: msgspec.convert(doc, ms_type), msgspec.ValidationError),
    }
    for name, fn in jsons:
        assert json.loads(fn()) == data, f"{name} does not round-trip"
    return dicts, halves, jsons, structure


MUTANTS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("a wrong type", lambda r: r.__setitem__("tags", [*r["tags"], 7])),
    ("a missing required key", lambda r: r.pop("email")),
    ("an unknown key", lambda r: r.__setitem__("nickname", "x")),
    ("an enum value", lambda r: r.__setitem__("status", "archived")),
    ("a maximum", lambda r: r.__setitem__("npsScore", 11)),
    ("a maxLength", lambda r: r.__setitem__("id", r["id"] + "0")),
    ("a minLength", lambda r: r["properties"][0].__setitem__("name", "")),
    ("a date-time", lambda r: r.__setitem__("createdDate", "yesterday")),
]
"""Documents the schema rejects, each one change away from a valid record: each contender should refuse them all."""


def _reference_check(data: list[dict[str, Any]]) -> str:
    """The page is valid and every mutant invalid by the `jsonschema` reference validator (when it is installed)."""
    try:
        import jsonschema
    except ImportError:
        return "reference check skipped: jsonschema is not installed"
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert not list(validator.iter_errors(data)), "the generated page is not valid against the schema"
    for what, mutate in MUTANTS:
        records = json.loads(json.dumps(data[:3]))
        mutate(records[1])
        assert list(validator.iter_errors(records)), f"jsonschema accepts the mutant with {what}"
    return f"reference check: jsonschema {version('jsonschema')} finds the page valid and each mutant invalid"


def _enforced(structure: dict[str, tuple[Callable[[Any], object], type[Exception]]], data: list[Any]) -> list[str]:
    """Which of the MUTANTS each contender refuses with its validation error, so that one checking less is seen to."""
    lines = ["schema checks: a record changed to break one keyword, refused with the library's validation error?"]
    for name, (fn, error) in structure.items():
        accepted: list[str] = []
        other: dict[str, list[str]] = {}
        for what, mutate in MUTANTS:
            records = json.loads(json.dumps(data[:3]))
            mutate(records[1])
            try:
                fn(records)
            except error:
                continue
            except Exception as exc:  # anything but the validation error is a failure, named as such
                other.setdefault(type(exc).__name__, []).append(what)
                continue
            accepted.append(what)
        refused = len(MUTANTS) - len(accepted) - sum(len(v) for v in other.values())
        verdict = [f"{refused}/{len(MUTANTS)} refused with {error.__name__}"]
        verdict += [f"ACCEPTS {', '.join(accepted)}"] if accepted else []
        verdict += [f"raises {kind}, not {error.__name__}, for {', '.join(whats)}" for kind, whats in other.items()]
        lines.append(f"  {name:<12} {'; '.join(verdict)}")
    return lines


def run() -> str:
    data = customers()
    rounds = _rounds()
    size = len(json.dumps(data).encode())
    with tempfile.TemporaryDirectory() as tmp:
        ours = generate_ours(Path(tmp))
    dicts, halves, jsons, structure = _contenders(ours, data)
    out = [f"bulk data: {RECORDS} Retently customers ({size / 1024:.0f} KiB of JSON), median of {rounds} interleaved"]
    out.append(f"ours structures the page as {root_type(ours)!r}")
    for title, contenders in (("dict -> objects -> dict", dicts), ("JSON bytes -> objects -> JSON bytes", jsons)):
        names = [name for name, _ in contenders]
        times = interleaved([fn for _, fn in contenders], rounds)
        baseline = next(name for name in names if name.startswith("pydantic"))
        out += _report(title, names, times, baseline)
        base = times[names.index(baseline)][0]
        out += [
            f"  {name.split(':')[0]} / pydantic = {cpu / base:.2f}"
            for name, (cpu, _) in zip(names, times, strict=True)
            if name.startswith("ours")
        ]
    times = interleaved([fn for _, fn in halves], rounds)
    out.append("where the time goes (dict path, CPU median)")
    for (name, _), (cpu, _) in zip(halves, times, strict=True):
        out.append(f"  {name:<56} {fmt(cpu)} {fmt(cpu / RECORDS)}/rec")
    out.append(f"  ours structure / pydantic validate_python = {times[0][0] / times[1][0]:.2f}")
    out.append(f"  ours unstructure / pydantic dump_python = {times[2][0] / times[3][0]:.2f}")
    out.append(_reference_check(data))
    out += _enforced(structure, data)
    return "\n".join(out)


def profile(rounds: int = 20) -> str:
    """cProfile of our dict round trip, top functions by their own time."""
    import cProfile
    import io
    import pstats

    data = customers()
    with tempfile.TemporaryDirectory() as tmp:
        ours = generate_ours(Path(tmp))
    conv = ours.make_converter()
    ours_type = root_type(ours)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        conv.unstructure(conv.structure(data, ours_type), ours_type)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
    return text.getvalue()


if __name__ == "__main__":
    print(profile() if "--profile" in sys.argv[1:] else run())
