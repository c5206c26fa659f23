"""Where the kit finds the shared data (schemas, fixtures, spec).

An installed wheel carries them under ``nameko_conformance/_data/``; a checkout (or an editable install)
has them at the repository's top level. Every other module asks this one.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_DATA_NAMES = ("schemas", "fixtures", "spec")


def data_dir(name: str) -> Path:
    """The directory holding ``name`` (one of schemas, fixtures, spec)."""
    if name not in _DATA_NAMES:
        raise ValueError(f"unknown data directory {name!r}; expected one of {_DATA_NAMES}")
    candidates = [_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent.parent / name]
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"the kit's {name}/ data is missing (tried {tried}); reinstall nameko-wire-kit")


def data_file(name: str, relative: str) -> Path:
    return data_dir(name) / relative


@lru_cache(maxsize=None)
def load_schema(file_name: str) -> dict:
    """A JSON Schema from ``schemas/``; a missing one is an installation fault, never "accept anything"."""
    return json.loads(data_file("schemas", file_name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def schema_registry():
    """The kit's schemas by ``$id``, so ``$ref``s resolve among them and never over the network."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    resources = [(schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7))
                 for schema in (load_schema(path.name) for path in sorted(data_dir("schemas").glob("*.schema.json")))]
    return Registry().with_resources(resources)


@lru_cache(maxsize=None)
def schema_validator(file_name: str):
    """A draft-07 validator for one schema whose ``$ref``s resolve among the kit's schemas."""
    from jsonschema import Draft7Validator

    return Draft7Validator(load_schema(file_name), registry=schema_registry())
