"""How fast the kit runs, and how it holds up against hostile targets (issue 8 item 7, issue 9 item 4).

    python conformance/bench/kit_bench.py [--runs 5] [--only core,silent,drop,flood,huge]

Figures (printed as a Markdown table for the README):
- core: median wall time of ``nameko-conformance run`` against the reference testee (the default server suite,
  the shared broker), over ``--runs`` runs; once as the CLI runs today and once without pytest's plugin autoload
  (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`` plus ``-p nameko_conformance.plugin``), to show what foreign plugins cost;
- silent / drop: wall time of a run against a target that goes silent after the readiness echo, and one that
  drops every second reply (the raw testee's ``silent`` and ``drop-replies`` faults);
- flood / huge: the kit's own peak RSS (its process only, ``kit_rss.py``) against a target that answers every 10th
  request 10,001 times, and one whose every 10th reply carries a 50 MiB result.

Times depend on the machine and its load: compare figures taken on one machine, never assert them in tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW_TESTEE = HERE.parent / "testees" / "broken" / "raw_testee.py"
KIT_RSS = HERE / "kit_rss.py"
REFERENCE = f"{sys.executable} -m nameko_reference.testee"
NO_AUTOLOAD = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def run_kit(target_cmd: str, env: dict | None = None, extra: tuple[str, ...] = ()) -> tuple[float, int, int]:
    """(wall seconds, exit code, kit peak RSS in KiB) of one run."""
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = Path(tmp) / "rss"
        command = [sys.executable, str(KIT_RSS), "run", "--quiet", "--target-cmd", target_cmd,
                   "--report-dir", str(Path(tmp) / "report"), *extra]
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=900,
                              env={**os.environ, **(env or {}), "KIT_RSS_FILE": str(rss_file)})
        wall = time.monotonic() - started
        rss = int(rss_file.read_text()) if rss_file.is_file() else 0
    return wall, done.returncode, rss


def raw(fault: str) -> str:
    return f"{sys.executable} {RAW_TESTEE} --fault {fault}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="core,silent,drop,flood,huge")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    rows: list[tuple[str, str]] = []
    if "core" in wanted:
        for label, env, extra in (("core run vs reference (CLI as is)", None, ()),
                                  ("core run vs reference (no plugin autoload)", NO_AUTOLOAD,
                                   ("--", "-p", "nameko_conformance.plugin"))):
            walls = []
            for _ in range(args.runs):
                wall, code, _ = run_kit(REFERENCE, env, extra)
                walls.append(wall)
                if code not in (0, 1):
                    print(f"warning: {label}: exit code {code}", file=sys.stderr)
            rows.append((label, f"median {statistics.median(walls):.1f} s over {len(walls)} runs "
                                f"(min {min(walls):.1f}, max {max(walls):.1f})"))
    for key, fault, what in (("silent", "silent", "silent after the readiness echo"),
                             ("drop", "drop-replies", "drops every second reply")):
        if key in wanted:
            wall, code, rss = run_kit(raw(fault))
            rows.append((f"target {what}", f"{wall:.1f} s to verdicts (exit {code}), kit RSS {rss // 1024} MiB"))
    for key, fault, what in (("flood", "flood", "floods (10,001 replies to every 10th request)"),
                             ("huge", "huge-replies", "sends 50 MiB replies (every 10th)")):
        if key in wanted:
            wall, code, rss = run_kit(raw(fault))
            rows.append((f"target {what}", f"kit peak RSS {rss // 1024} MiB, {wall:.1f} s (exit {code})"))
    print("| figure | value |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    main()
