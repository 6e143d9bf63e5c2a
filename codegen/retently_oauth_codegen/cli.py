"""The generator's command line: `retently-oauth-codegen` (or `python -m codegen` from a checkout)."""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from pathlib import Path

from . import diff as schema_diff
from .generate import DOCS, OUTPUT, PACKAGE, SCHEMA, GenerationError, generate


def _check(schema: Path, output: Path, package: str, class_name: str | None) -> int:
    """Regenerates into a temporary directory and prints a unified diff against `output/package` and the reference
    pages `output/docs/models`."""
    changed = False
    with tempfile.TemporaryDirectory() as tmp:
        generate(schema, Path(tmp), package=package, class_name=class_name)
        for sub in (Path(package), DOCS):
            fresh, committed = Path(tmp) / sub, output / sub
            names = sorted({p.name for p in fresh.iterdir()} | {p.name for p in committed.glob("*") if p.is_file()})
            for name in names:
                old = (committed / name).read_text() if (committed / name).exists() else ""
                new = (fresh / name).read_text() if (fresh / name).exists() else ""
                if old != new:
                    changed = True
                    shown = f"{output.name}/{sub.as_posix()}/{name}"
                    sys.stdout.writelines(
                        difflib.unified_diff(
                            old.splitlines(keepends=True),
                            new.splitlines(keepends=True),
                            f"{shown} (committed)",
                            f"{shown} (from schema)",
                        )
                    )
    if changed:
        print(
            f"{output / package} or {output / DOCS} differs from what the schema produces: regenerate", file=sys.stderr
        )
        return 1
    print(f"{output / package} and {output / DOCS} are up to date")
    return 0


def _options(p: argparse.ArgumentParser, *, paths: bool = True) -> None:
    if paths:
        p.add_argument("--schema", type=Path, default=SCHEMA, help="the JSON Schema file")
        p.add_argument("--out", type=Path, default=OUTPUT, help="the directory the package is written into")
    p.add_argument("--package", default=PACKAGE, help="the generated package's import name")
    p.add_argument("--class-name", default=None, help="the name of the root model (even when it has a title)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="retently-oauth-codegen", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    _options(sub.add_parser("generate", help="write the package from the schema (the default)"))
    _options(sub.add_parser("check", help="fail with a diff when the written package is stale"))
    d = sub.add_parser("diff", help="list the API changes between two schema versions; exit 1 if any breaks")
    d.add_argument("old", type=Path)
    d.add_argument("new", type=Path)
    _options(d, paths=False)
    args = parser.parse_args(argv)
    package = getattr(args, "package", PACKAGE)
    class_name = getattr(args, "class_name", None)
    try:
        if args.command == "diff":
            return schema_diff.main(args.old, args.new, class_name=class_name)
        if args.command == "check":
            return _check(args.schema, args.out, package, class_name)
        schema = getattr(args, "schema", SCHEMA)
        out = getattr(args, "out", OUTPUT)
        written = generate(schema, out, package=package, class_name=class_name)
        print(f"wrote {written}")
        return 0
    except GenerationError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except RecursionError:
        print("error: schema nested too deeply", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
