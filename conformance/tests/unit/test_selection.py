"""The kit's own selection: only fuzz and client-driver tests are left out by default, so leaving fuzz tests out
can never hide a failure of the default suite."""

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from nameko_conformance.plugin import kit_leaves_out

SUITE = Path(__file__).resolve().parents[2] / "nameko_conformance" / "suite"


class FakeItem:
    def __init__(self, markers=(), fixtures=("conformance_session",)):
        self.markers, self.fixturenames = set(markers), list(fixtures)

    def get_closest_marker(self, name):
        return object() if name in self.markers else None


def kit(**options):
    return SimpleNamespace(**{"fuzz": False, "client_cmd": None, "client_only": False, **options})


@pytest.mark.parametrize("options", [{}, {"fuzz": True}, {"client_cmd": "d", "client_only": False}])
def test_default_suite_tests_are_never_left_out_with_a_target(options):
    assert not kit_leaves_out(FakeItem(), kit(**options))


def test_fuzz_tests_run_only_when_asked_for():
    fuzz = FakeItem({"fuzz"})
    assert kit_leaves_out(fuzz, kit()) and not kit_leaves_out(fuzz, kit(fuzz=True))


def test_client_tests_run_only_with_a_driver_and_client_only_runs_leave_out_the_target():
    client = FakeItem({"client_driver"}, ("client_session",))
    assert kit_leaves_out(client, kit())
    assert not kit_leaves_out(client, kit(client_cmd="d", client_only=True))
    assert kit_leaves_out(FakeItem(), kit(client_cmd="d", client_only=True))


def test_only_the_fuzz_module_carries_the_fuzz_marker():
    """No default-suite module is marked fuzz, so the default exclusion touches fuzz properties only."""
    marked = {m.name for m in SUITE.glob("test_*.py") if "mark.fuzz" in m.read_text("utf-8")}
    assert marked == {"test_fuzz.py"}
    client = {m.name for m in SUITE.glob("test_*.py")
              if any(isinstance(n, ast.Attribute) and n.attr == "client_driver"
                     for n in ast.walk(ast.parse(m.read_text("utf-8"))))}
    assert client == {"test_16_client_requests.py", "test_16_client_replies.py"}
