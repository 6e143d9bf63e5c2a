"""Where the generator reads and writes by default: this repository's schema and `generated/` directory. Standard
library only, so the command line can use it before it knows whether the `codegen` extra is installed."""

from __future__ import annotations

from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent.parent.parent
"""The checkout's root when the generator runs from one (an editable install); elsewhere (a wheel in
site-packages) a directory that holds no schema."""
SCHEMA_NAME = "retently_oauth.schema.json"
SCHEMA = ROOT_DIR / "schema" / SCHEMA_NAME
OUTPUT = ROOT_DIR / "generated"
PACKAGE = "retently_oauth_models"
DOCS = Path("docs") / "models"
"""The reference pages' directory, relative to the output directory."""


def checkout() -> Path | None:
    """The retently-oauth checkout the default `--schema` and `--out` belong to: the current directory, or the
    generator's own repository root, when it holds `schema/retently_oauth.schema.json` and `generated/`."""
    for root in (Path.cwd(), ROOT_DIR):
        if (root / "schema" / SCHEMA_NAME).is_file() and (root / "generated").is_dir():
            return root
    return None
