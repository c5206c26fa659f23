"""Runs the kit as a user does (the console script in a subprocess) and reads its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTEES = Path(__file__).resolve().parents[2] / "testees"
RAW_TESTEE = TESTEES / "broken" / "raw_testee.py"
KIT_RSS = Path(__file__).resolve().parents[2] / "bench" / "kit_rss.py"


def run_kit(tmp_path: Path, *args: str) -> tuple[int, dict, str]:
    code, document, output, _ = run_kit_measured(tmp_path, *args)
    return code, document, output


def run_kit_measured(tmp_path: Path, *args: str) -> tuple[int, dict, str, int]:
    """Like ``run_kit``, and also the kit's own peak RSS in KiB (the target's process not counted)."""
    report_dir = tmp_path / "report"
    rss_file = tmp_path / "kit.rss"
    command = [sys.executable, str(KIT_RSS), "run", f"--report-dir={report_dir}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "KIT_RSS_FILE": str(rss_file)})
    output = done.stdout + done.stderr
    report = report_dir / "report.json"
    document = json.loads(report.read_text("utf-8")) if report.is_file() else {}
    rss = int(rss_file.read_text()) if rss_file.is_file() else 0
    return done.returncode, document, output, rss


def failing(document: dict) -> set[str]:
    return {req_id for req_id, v in document["requirements"].items() if v["verdict"] in ("fail", "stale baseline")}


def raw_testee_command(fault: str, tag: str = "") -> str:
    return f"{sys.executable} {RAW_TESTEE} --fault {fault}" + (f" --tag {tag}" if tag else "")


@pytest.fixture
def kit(tmp_path):
    return lambda *args: run_kit(tmp_path, *args)
