"""The CI recipes a port copies (recipes/): the workflows are valid against their published JSON Schemas, and the
container definition copies only what exists and runs the kit's console script."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"
WORKFLOWS = [(RECIPES / "github" / "nameko-conformance.yml", "vendor.github-workflows"),
             (RECIPES / "gitlab" / "nameko-conformance.gitlab-ci.yml", "vendor.gitlab-ci")]


def check(path: Path, schema: str) -> subprocess.CompletedProcess:
    tool = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which("check-jsonschema")
    assert tool, "check-jsonschema is a dependency of this test env"
    return subprocess.run([tool, "--builtin-schema", schema, str(path)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("path, schema", WORKFLOWS, ids=["github", "gitlab"])
def test_workflow_is_valid_against_its_published_schema(path, schema):
    done = check(path, schema)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path, schema", WORKFLOWS, ids=["github", "gitlab"])
def test_the_schema_check_can_fail(tmp_path, path, schema):
    broken = tmp_path / path.name
    broken.write_text(path.read_text().replace("runs-on:", "runs_on:").replace("script:", "scripts:"))
    assert check(broken, schema).returncode != 0


@pytest.mark.parametrize("path", [p for p, _ in WORKFLOWS], ids=["github", "gitlab"])
def test_workflow_runs_the_gate_with_the_documented_options(path):
    text = path.read_text()
    assert "nameko-conformance run" in text and "--target-cmd" in text and "--baseline" in text
    assert "rabbitmq" in text and "conformance-report" in text


def test_container_copies_what_exists_and_runs_the_console_script():
    text = (RECIPES / "container" / "Containerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(\S+)", text, flags=re.MULTILINE):
        assert (ROOT / source).exists(), source
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    entry = re.search(r'^ENTRYPOINT \["([^"]+)"\]', text, flags=re.MULTILINE).group(1)
    assert entry in scripts
    # Everything the wheel force-includes is in the build context the Containerfile copies.
    includes = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    copied = set(re.findall(r"^COPY (?!--from)(\S+)", text, flags=re.MULTILINE))
    needed = {path.split("/")[0] for path in includes.get("force-include", {})} | {"conformance", "reference"}
    assert needed <= copied, needed - copied
