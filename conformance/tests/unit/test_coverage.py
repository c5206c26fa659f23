"""Every testable MUST/SHOULD of the registry is cited by a suite test (or needs the client driver); every cited
ID exists."""

import ast
from pathlib import Path

from nameko_conformance.registry import NEEDS_CLIENT_DRIVER, load_registry

SUITE = Path(__file__).resolve().parents[2] / "nameko_conformance" / "suite"


def cited_ids() -> dict[str, list[str]]:
    cited: dict[str, list[str]] = {}
    for module in SUITE.glob("test_*.py"):
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "req":
                for arg in node.args:
                    cited.setdefault(arg.value, []).append(module.name)
    return cited


def test_every_cited_id_is_in_the_registry():
    """Tests cite only IDs the spec defines."""
    registry = load_registry()
    assert sorted(set(cited_ids()) - set(registry.requirements)) == []


def test_every_testable_must_and_should_is_cited():
    """Each testable MUST or SHOULD has a test, or is listed as needing the client driver with a reason."""
    registry = load_registry()
    cited = cited_ids()
    uncovered = [r.id for r in registry.requirements.values()
                 if r.testable and r.strength in ("MUST", "SHOULD") and r.id not in cited and not r.needs_client_driver]
    assert uncovered == []


def test_driver_list_names_only_known_uncited_requirements():
    """The client-driver list is honest: known IDs, none of them also claimed by a test."""
    registry = load_registry()
    assert sorted(set(NEEDS_CLIENT_DRIVER) - set(registry.requirements)) == []
    assert sorted(set(NEEDS_CLIENT_DRIVER) & set(cited_ids())) == []
