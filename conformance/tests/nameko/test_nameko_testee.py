"""The kit against real nameko: the installed version passes except the deviations in its baseline."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.nameko

HERE = Path(__file__).resolve().parents[2]


def installed_version():
    from importlib.metadata import version
    return version("nameko")


def test_nameko_testee_passes_except_its_baseline(tmp_path):
    """Every requirement passes or is a known deviation listed in the version's baseline; none is stale."""
    version = installed_version()
    baseline = HERE / "baselines" / f"nameko-{version}.json"
    nameko_bin = Path(sys.executable).with_name("nameko")
    command = f"cd {HERE / 'testees'} && exec {nameko_bin} run --config nameko_testee.yaml nameko_testee"
    report_dir = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "nameko_conformance.cli", "run", "--target-cmd", command,
                           "--baseline", str(baseline), "--report-dir", str(report_dir), "--",
                           "-p", "no:pytest_nameko"], capture_output=True, text=True, timeout=600)
    document = json.loads((report_dir / "report.json").read_text())
    bad = {k: v["verdict"] for k, v in document["requirements"].items() if v["verdict"] in ("fail", "stale baseline")}
    assert bad == {}, done.stdout[-4000:]
    assert done.returncode == 0, done.stdout[-4000:]
