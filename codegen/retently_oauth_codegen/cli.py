"""The generator's command line: `retently-oauth-codegen` (or `python -m codegen` from a checkout).

The generator's own modules (and datamodel-code-generator, jinja2 and ruff, the `codegen` extra) are imported only
once the arguments are read, so `--help` works, and a missing extra is one line naming it, not a traceback."""

from __future__ import annotations

import argparse
import difflib
import importlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .layout import DOCS, PACKAGE, SCHEMA_NAME, checkout

EXTRA = "pip install 'retently-oauth[codegen]'"
DESCRIPTION = (
    "Generate a typed attrs/cattrs package (and Markdown reference pages) from a JSON Schema, check that a "
    "generated package is up to date, or list the API changes between two schema versions. Errors are one line, "
    "'error: ...', with exit status 2."
)
_CHECKOUT = (
    "the retently-oauth checkout in the current directory (or the one the generator runs from); required outside "
    "a checkout"
)


class _Usage(Exception):
    """A one-line usage error (exit status 2)."""


def _check(generate: Callable[..., Path], schema: Path, output: Path, package: str, class_name: str | None) -> int:
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
        sys.stdout.flush()
        print(
            f"{output / package} or {output / DOCS} differs from what the schema produces: regenerate", file=sys.stderr
        )
        return 1
    print(f"{output / package} and {output / DOCS} are up to date")
    return 0


def _options(p: argparse.ArgumentParser, *, paths: bool = True) -> None:
    if paths:
        p.add_argument(
            "--schema",
            type=Path,
            default=None,
            help=f"the JSON Schema file to read (default: schema/{SCHEMA_NAME} of {_CHECKOUT})",
        )
        p.add_argument(
            "--out",
            type=Path,
            default=None,
            help="the directory the package (OUT/PACKAGE/) and its reference pages (OUT/docs/models/) are written "
            f"into; give each package an --out of its own (default: generated/ of {_CHECKOUT})",
        )
    p.add_argument(
        "--package",
        default=PACKAGE,
        help=f"the generated package's import name, a Python identifier (default: {PACKAGE})",
    )
    p.add_argument(
        "--class-name",
        default=None,
        help="the name of the root model, even when the schema has a title (default: the title, else Model)",
    )


def parser() -> argparse.ArgumentParser:
    """The command's argument parser (every option has a description)."""
    top = argparse.ArgumentParser(prog="retently-oauth-codegen", description=DESCRIPTION)
    sub = top.add_subparsers(dest="command", metavar="{generate,check,diff}")
    _options(
        sub.add_parser(
            "generate",
            help="write the package and its reference pages from the schema (the default)",
            description="Write OUT/PACKAGE/ and OUT/docs/models/ from the schema, replacing the files a previous "
            "run wrote; refuses to replace a directory holding a file the generator did not write.",
        )
    )
    _options(
        sub.add_parser(
            "check",
            help="fail (exit 1) with a unified diff when the written package or pages are stale",
            description="Regenerate into a temporary directory and compare with OUT/PACKAGE/ and OUT/docs/models/: "
            "exit 0 when equal, 1 with a unified diff on standard output when not.",
        )
    )
    d = sub.add_parser(
        "diff",
        help="list the API changes between two schema versions; exit 1 if any breaks",
        description="List what changes in the generated API from OLD to NEW; exit 1 if any change breaks callers.",
    )
    d.add_argument("old", type=Path, help="the schema file the current package was generated from")
    d.add_argument("new", type=Path, help="the changed schema file")
    _options(d, paths=False)
    return top


def _missing_extra() -> str | None:
    """The name of a module of the `codegen` extra that is not installed, if any."""
    for name in ("datamodel_code_generator", "jinja2", "ruff"):
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):  # a module set to None in sys.modules, or half-installed
            return name
    return None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return _run(args)
    except _Usage as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `codegen check | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 1


def _run(args: argparse.Namespace) -> int:
    command = args.command or "generate"
    missing = _missing_extra()
    try:
        if missing is not None:
            raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)
        generate_module = importlib.import_module(".generate", __package__)
        diff_module = importlib.import_module(".diff", __package__)
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] == __package__:
            raise
        name = (exc.name or missing or "a dependency").partition(".")[0]
        raise _Usage(f"the generator needs the codegen extra ({name} is not installed): {EXTRA}") from None
    error: type[Exception] = generate_module.GenerationError
    package: str = getattr(args, "package", PACKAGE)
    class_name: str | None = getattr(args, "class_name", None)
    try:
        if command == "diff":
            result: int = diff_module.main(args.old, args.new, class_name=class_name)
            return result
        schema, out = _paths(getattr(args, "schema", None), getattr(args, "out", None))
        generate_module.check_package_name(package)
        if command == "check":
            return _check(generate_module.generate, schema, out, package, class_name)
        written = generate_module.generate(schema, out, package=package, class_name=class_name)
        print(f"wrote {written}")
        return 0
    except error as exc:
        raise _Usage(" ".join(str(exc).split())) from None
    except RecursionError:
        raise _Usage("schema nested too deeply") from None


def _paths(schema: Path | None, out: Path | None) -> tuple[Path, Path]:
    """`--schema` and `--out`, the checkout's defaults filling in an absent one."""
    if schema is None or out is None:
        root = checkout()
        if root is None:
            absent = [f"--{n}" for n, v in (("schema", schema), ("out", out)) if v is None]
            raise _Usage(
                f"{' and '.join(absent)} {'is' if len(absent) == 1 else 'are'} required: the defaults are a "
                f"retently-oauth checkout's schema/{SCHEMA_NAME} and generated/, and there is none here"
            )
        schema = schema if schema is not None else root / "schema" / SCHEMA_NAME
        out = out if out is not None else root / "generated"
    return schema, out


if __name__ == "__main__":
    sys.exit(main())
