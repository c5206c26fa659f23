"""The client suite against real nameko's standalone client: the installed version passes except the deviations
in its client baseline, and none of them is stale."""

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = pytest.mark.nameko
HERE = Path(__file__).resolve().parents[2]


def test_nameko_client_passes_except_its_baseline(tmp_path):
    baseline = HERE / "baselines" / f"nameko-{version('nameko')}-client.json"
    driver = f"{sys.executable} {HERE / 'drivers' / 'nameko_driver.py'}"
    report_dir = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "nameko_conformance.cli", "run", "--client-cmd", driver,
                           "--baseline", str(baseline), f"--report-dir={report_dir}", "--", "-p", "no:pytest_nameko"],
                          capture_output=True, text=True, timeout=600)
    document = json.loads((report_dir / "report.json").read_text())
    bad = {k: v["verdict"] for k, v in document["requirements"].items() if v["verdict"] in ("fail", "stale baseline")}
    assert bad == {}, done.stdout[-4000:]
    listed = {entry["id"] for entry in json.loads(baseline.read_text())["deviations"]}
    assert {k for k, v in document["requirements"].items() if v["verdict"] == "known deviation"} == listed
    assert done.returncode == 0, done.stdout[-4000:]
