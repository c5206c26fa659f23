"""Shared loaders for the schema and fixture checks: the schemas folder as a local registry, and the requirement IDs.

Nothing here reaches the network: every ``$ref`` resolves through a registry built from ``schemas/``. jsonschema is
imported lazily, because tox's ``spec`` env runs other tests in this folder with pytest alone.
"""

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = REPO / "schemas"
FIXTURES_DIR = REPO / "fixtures"
REQUIREMENTS_FILE = REPO / "spec" / "requirements.json"


def load_schemas(folder: Path = SCHEMAS_DIR) -> dict[str, dict]:
    """Every ``*.schema.json`` in the folder, by file name."""
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.schema.json"))}


def build_registry(schemas: dict[str, dict]):
    """A ``referencing.Registry`` that knows every schema by its ``$id``; it retrieves nothing from elsewhere."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    resources = [(schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7)) for schema in schemas.values()]
    return Registry().with_resources(resources)


def load_requirement_ids(path: Path = REQUIREMENTS_FILE) -> frozenset[str]:
    registry = json.loads(path.read_text(encoding="utf-8"))
    return frozenset(requirement["id"] for requirement in registry["requirements"])


@pytest.fixture(scope="session")
def schemas() -> dict[str, dict]:
    return load_schemas()


@pytest.fixture(scope="session")
def schema_registry(schemas):
    return build_registry(schemas)


@pytest.fixture(scope="session")
def validator_for(schemas, schema_registry):
    """``validator_for("wire-message.schema.json")`` gives a draft-07 validator that resolves ``$ref`` locally."""
    from jsonschema import Draft7Validator

    cache: dict[str, Draft7Validator] = {}

    def make(file_name: str) -> Draft7Validator:
        if file_name not in cache:
            cache[file_name] = Draft7Validator(schemas[file_name], registry=schema_registry)
        return cache[file_name]

    return make


@pytest.fixture(scope="session")
def requirement_ids() -> frozenset[str]:
    return load_requirement_ids()
