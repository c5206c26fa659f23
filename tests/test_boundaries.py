"""The layout tells the architecture: these checks keep the parts independent.

The kit's oracle must not inherit the reference's bugs, so the kit never imports the
reference (it starts the reference testee as a command); the reference never leans on the
kit; only the reference's transport module talks to pika.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "conformance" / "nameko_conformance"
REFERENCE = ROOT / "reference" / "nameko_reference"


def imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def python_files(package: Path) -> list[Path]:
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def offending(package: Path, forbidden: set[str], allowed_files: tuple[str, ...] = ()) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {sorted(imported_top_level_modules(path) & forbidden)}"
        for path in python_files(package)
        if path.name not in allowed_files and imported_top_level_modules(path) & forbidden
    ]


def test_packages_exist():
    assert python_files(KIT), "conformance/nameko_conformance has no modules"
    assert python_files(REFERENCE), "reference/nameko_reference has no modules"


def test_kit_imports_neither_the_reference_nor_nameko():
    assert offending(KIT, {"nameko_reference", "nameko"}) == []


def test_reference_imports_neither_the_kit_nor_nameko():
    assert offending(REFERENCE, {"nameko_conformance", "nameko"}) == []


ORACLE = KIT / "oracle"
IO_MODULES = {"pika", "socket", "subprocess", "threading", "asyncio", "os", "time", "pytest", "urllib", "http"}


def test_the_oracle_is_pure():
    """Judgements take observations and return findings: the oracle touches no broker, process, clock or test
    runner (it reads the schemas through the kit's data module, which caches them)."""
    assert python_files(ORACLE), "the oracle package is missing"
    assert offending(ORACLE, IO_MODULES) == []


def test_only_the_reference_transport_imports_pika():
    assert offending(REFERENCE, {"pika"}, allowed_files=("transport.py",)) == []


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import pika\n", {"pika"}),
        ("from nameko_reference.codec import x\n", {"nameko_reference"}),
        ("from . import sibling\n", set()),
        ("import nameko_conformance.plugin as p\n", {"nameko_conformance"}),
    ],
)
def test_import_scan_sees_absolute_imports_only(tmp_path, source, expected):
    module = tmp_path / "m.py"
    module.write_text(source)
    assert imported_top_level_modules(module) == expected
