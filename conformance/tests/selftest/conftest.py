"""Runs the kit as a user does (the console script in a subprocess) and reads its JSON report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TESTEES = Path(__file__).resolve().parents[2] / "testees"
RAW_TESTEE = TESTEES / "broken" / "raw_testee.py"


def run_kit(tmp_path: Path, *args: str) -> tuple[int, dict, str]:
    report_dir = tmp_path / "report"
    command = [sys.executable, "-m", "nameko_conformance.cli", "run", f"--report-dir={report_dir}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    report = report_dir / "report.json"
    document = json.loads(report.read_text("utf-8")) if report.is_file() else {}
    return done.returncode, document, output


def failing(document: dict) -> set[str]:
    return {req_id for req_id, v in document["requirements"].items() if v["verdict"] in ("fail", "stale baseline")}


def raw_testee_command(fault: str) -> str:
    return f"{sys.executable} {RAW_TESTEE} --fault {fault}"


@pytest.fixture
def kit(tmp_path):
    return lambda *args: run_kit(tmp_path, *args)
