"""Mutation-tests the kit's oracle (conformance/nameko_conformance/oracle/) with mutmut, using only the offline
oracle tests, and prints the score and every mutant that survived.

    python conformance/mutation/run.py [--work-dir DIR] [--jobs N] [--min-score 90] [--keep]

mutmut 3 mutates a copy it makes under ``mutants/`` and imports the package from ``src/`` there, so this script lays
out a scratch tree that looks like that (the package with its data as the wheel carries it, the offline tests under
``tests/``) instead of running in the checkout, which stays untouched. Exit status: 0 when the score reaches
``--min-score``, 1 when it does not, 2 when mutmut itself failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PACKAGE = REPO / "conformance" / "nameko_conformance"
DATA = ("schemas", "fixtures", "spec")
# The offline tests that judge the oracle: pure, no broker, no processes.
TEST_PATTERNS = ("test_oracle_*.py",)
# test_oracle_client*.py judge oracle/client.py and oracle/driver.py, which this run does not mutate.
SKIPPED_TESTS = ("test_oracle_client",)
HELPERS = ("oracle_fakes.py",)  # fake messages and declare outcomes the tests share
KILLED = {1, 3}
SURVIVED = {0}


def lay_out(work: Path) -> None:
    """The scratch tree: src/nameko_conformance (+ _data as in the wheel), tests/, setup.cfg."""
    if work.exists():
        shutil.rmtree(work)
    package = work / "src" / "nameko_conformance"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in DATA:
        shutil.copytree(REPO / name, package / "_data" / name)
    tests = work / "tests"
    tests.mkdir()
    for pattern in TEST_PATTERNS:
        for test in sorted((REPO / "conformance" / "tests" / "unit").glob(pattern)):
            if not test.name.startswith(SKIPPED_TESTS):
                shutil.copy2(test, tests / test.name)
    for helper in HELPERS:
        shutil.copy2(REPO / "conformance" / "tests" / "unit" / helper, tests / helper)
    shutil.copy2(HERE / "setup.cfg", work / "setup.cfg")


def results(work: Path) -> dict[str, int | None]:
    """Every mutant's exit code, from the .meta files mutmut writes beside each mutated module."""
    codes: dict[str, int | None] = {}
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        codes.update(json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {}))
    return codes


def show(work: Path, mutant: str) -> str:
    shown = subprocess.run([sys.executable, "-m", "mutmut", "show", mutant], cwd=work, capture_output=True,
                           text=True)
    return "\n".join(line for line in shown.stdout.splitlines()
                     if line.startswith(("+", "-")) and not line.startswith(("+++", "---")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", type=Path, help="scratch tree (default: a new temporary directory)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="mutants tested at once")
    parser.add_argument("--min-score", type=float, default=90.0, help="percent of mutants that must be killed")
    parser.add_argument("--keep", action="store_true", help="keep the scratch tree (mutmut browse/show work there)")
    parser.add_argument("--diffs", action="store_true", help="print each surviving mutant's diff")
    args = parser.parse_args(argv)

    work = (args.work_dir or Path(tempfile.mkdtemp(prefix="oracle-mutation-"))).resolve()
    lay_out(work)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)  # the package must come from the mutated copy only
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs)], cwd=work,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.monotonic() - started
    codes = results(work)
    if run.returncode != 0 or not codes:
        print(run.stdout[-4000:])
        print(f"mutmut run failed (exit {run.returncode}); scratch tree kept at {work}", file=sys.stderr)
        return 2
    killed = [m for m, c in codes.items() if c in KILLED]
    survived = sorted(m for m, c in codes.items() if c in SURVIVED)
    other = sorted((m, c) for m, c in codes.items() if c not in KILLED | SURVIVED)
    score = 100.0 * len(killed) / len(codes)
    print(f"oracle mutation score: {len(killed)}/{len(codes)} killed ({score:.1f} %), {len(survived)} survived, "
          f"{len(other)} other; {elapsed:.0f} s with {args.jobs} jobs")
    for mutant, code in other:
        print(f"  other  {mutant} (exit {code})")
    for mutant in survived:
        print(f"  survived  {mutant}")
        if args.diffs:
            print("    " + show(work, mutant).replace("\n", "\n    "))
    if args.keep or args.work_dir:
        print(f"scratch tree: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if score >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
