"""A failing run prints reproduce lines that, run as they are, fail the same requirement again."""

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import raw_testee_command, run_kit


def test_printed_reproduce_line_fails_the_same_requirement(tmp_path):
    code, document, output = run_kit(tmp_path, "--target-cmd", raw_testee_command("error-reply-default-exchange"),
                                     "--strict", "--req", "04-errors")
    assert code == 1, output[-3000:]
    findings = document["requirements"]["RPC-REPLY-1"]["findings"]
    assert findings, output[-3000:]
    line = findings[0]["reproduce"]
    assert line.startswith("nameko-conformance run ") and "--strict" in line and "--req" in line
    assert line in output  # the terminal shows the same line
    again = tmp_path / "again"
    again.mkdir()
    # As a user runs it: with the kit's environment on PATH (tox puts its env's bin there; so does an activated venv).
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(line, shell=True, cwd=again, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout[-3000:]
    rerun = json.loads((again / "conformance-report" / "report.json").read_text("utf-8"))
    assert rerun["requirements"]["RPC-REPLY-1"]["verdict"] == "fail"
    assert rerun["options"]["strict"] is True
    assert len(rerun["tests"]) == 1  # exactly the test that failed, not every test citing the requirement
