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
    """A JSON Schema from ``schemas/``, or ``{}`` (accepts anything) when it does not exist yet."""
    try:
        path = data_file("schemas", file_name)
    except FileNotFoundError:
        return {}
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))
