"""Every testable MUST/SHOULD of the registry is cited by a suite test (or needs the client driver); every cited
ID exists."""

import ast
from pathlib import Path

from nameko_conformance.registry import NEEDS_CLIENT_DRIVER, load_registry

SUITE = Path(__file__).resolve().parents[2] / "nameko_conformance" / "suite"


CLIENT_SUITE = "test_16_client_*.py"


def cited_ids(pattern: str = "test_*.py") -> dict[str, list[str]]:
    cited: dict[str, list[str]] = {}
    for module in SUITE.glob(pattern):
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


def test_driver_list_names_only_known_requirements_the_client_suite_checks():
    """The client-driver list is honest: known IDs, each checked by the client suite and by no server test."""
    registry = load_registry()
    assert sorted(set(NEEDS_CLIENT_DRIVER) - set(registry.requirements)) == []
    client_cited = cited_ids(CLIENT_SUITE)
    server_cited = {req_id for req_id, modules in cited_ids().items()
                    if any(not m.startswith("test_16_client_") for m in modules)}
    assert sorted(set(NEEDS_CLIENT_DRIVER) - set(client_cited)) == []
    assert sorted(set(NEEDS_CLIENT_DRIVER) & server_cited) == []


def test_every_driver_requirement_is_checked_by_the_client_suite():
    """Each DRIVER-* requirement of chapter 16 is cited by a client-suite test."""
    registry = load_registry()
    driver_ids = {r.id for r in registry.requirements.values() if r.role == "driver" and r.testable}
    assert sorted(driver_ids - set(cited_ids(CLIENT_SUITE))) == []
