"""Documents: JSON bytes -> object -> JSON text, for the token response and PropertyConnectionAuth.

Ours (generated attrs + generated cattrs hooks) beside pydantic v2 models and msgspec Structs that
datamodel-code-generator writes from the same schema, in one run.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import retently_oauth
from retently_oauth import models

from ._timing import per_call, table

SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "retently_oauth.schema.json"

TOKEN = {"access_token": "a" * 36, "refresh_token": "r" * 36, "expires_in": 21600}
CONNECTION = {
    "access_token": "at-" + "x" * 32,
    "api_url": "https://api.example.com/v1",
    "app_id": "app-123",
    "authorize_url": "https://app.retently.com/api/oauth/authorize",
    "client_id": "cid-" + "c" * 32,
    "client_secret": "cs-" + "s" * 32,
    "consumer_key": "ck",
    "consumer_secret": "csec",
    "dev_api_key": "dev-key",
    "emails": ["a@example.com", "b@example.com"],
    "expires_in": 21600,
    "expiry_date": "2026-11-23T14:16:00Z",
    "key": "k",
    "meta": {"plan": "pro", "seats": 3},
    "name": "Retently",
    "other_auth_info": ["one", "two"],
    "pem": "-----BEGIN-----",
    "refresh_token": "rt-" + "r" * 32,
    "refresh_token_expires_in": 7776000,
    "state": "st",
    "token": "tok",
    "token_url": "https://app.retently.com/api/oauth/token",
}


def _peer_modules(tmp: Path) -> tuple[Any, Any]:
    """pydantic v2 and msgspec models generated from our schema by datamodel-code-generator."""
    from datamodel_code_generator import DataModelType, InputFileType, generate

    kinds = ((DataModelType.PydanticV2BaseModel, "peer_pydantic"), (DataModelType.MsgspecStruct, "peer_msgspec"))
    for kind, name in kinds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            generate(
                SCHEMA,
                input_file_type=InputFileType.JsonSchema,
                output=tmp / f"{name}.py",
                output_model_type=kind,
                use_standard_collections=True,
                use_union_operator=True,
            )
    sys.path.insert(0, str(tmp))
    return importlib.import_module("peer_pydantic"), importlib.import_module("peer_msgspec")


def run() -> str:
    import msgspec

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        peer_pydantic, peer_msgspec = _peer_modules(Path(tmp))
        for label, doc, ours, name in (
            ("token response", TOKEN, models.TokenResponse, "TokenResponse"),
            ("PropertyConnectionAuth (23 fields)", CONNECTION, models.PropertyConnectionAuth, "PropertyConnectionAuth"),
        ):
            data = json.dumps(doc).encode()
            pyd = getattr(peer_pydantic, name)
            ms = getattr(peer_msgspec, name)
            decoder = msgspec.json.Decoder(ms)
            encoder = msgspec.json.Encoder()
            assert json.loads(retently_oauth.dumps(retently_oauth.loads(data, ours))) == doc
            assert json.loads(pyd.model_validate_json(data).model_dump_json(exclude_unset=True)) == doc

            def ours_fn(data: bytes = data, cls: Any = ours) -> object:
                return retently_oauth.dumps(retently_oauth.loads(data, cls))

            def pydantic_fn(data: bytes = data, cls: Any = pyd) -> object:
                return cls.model_validate_json(data).model_dump_json(exclude_unset=True)

            def msgspec_fn(data: bytes = data, encoder: Any = encoder, decoder: Any = decoder) -> object:
                return encoder.encode(decoder.decode(data))

            parsed = json.loads(data)

            def ours_dict_fn(doc: Any = parsed, cls: Any = ours) -> object:
                return retently_oauth.unstructure(retently_oauth.structure(doc, cls))

            def pydantic_dict_fn(doc: Any = parsed, cls: Any = pyd) -> object:
                return cls.model_validate(doc).model_dump(exclude_unset=True)

            hooks = [
                ("retently_oauth structure + unstructure", per_call(ours_dict_fn)),
                ("pydantic v2 model_validate + model_dump", per_call(pydantic_dict_fn)),
            ]
            out.append(table(f"{label}: dict -> object -> dict (the hooks alone)", hooks, hooks[0][0]))
            out.append(f"  ours/pydantic = {hooks[0][1] / hooks[1][1]:.2f}")
            rows = [
                ("retently_oauth loads + dumps", per_call(ours_fn)),
                ("pydantic v2 model_validate_json + dump_json", per_call(pydantic_fn)),
                ("msgspec decode + encode", per_call(msgspec_fn)),
            ]
            out.append(table(f"{label}: JSON bytes -> object -> JSON", rows, "retently_oauth loads + dumps"))
            ours_t, pyd_t, ms_t = (r[1] for r in rows)
            out.append(f"  ours/pydantic = {ours_t / pyd_t:.2f}  ours/msgspec = {ours_t / ms_t:.2f}")
            floor = per_call(lambda data=data: json.dumps(json.loads(data)))
            out.append(f"  stdlib json.loads + json.dumps alone: {floor * 1e6:.2f} µs (our floor without a C parser)")
    return "\n".join(out)
