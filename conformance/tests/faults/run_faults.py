"""Runs the kit against each single-fault nameko service of catalogue.py and tells which faults it catches.

    python conformance/tests/faults/run_faults.py --nameko 2 --jobs 2 [FAULT ...] [--broker private] [--strict]

For each fault: `nameko-conformance run --target-cmd "<faulty_nameko under nameko run>" --baseline nameko-<version>`
in that nameko's venv, then report.json is read. Verdicts:
  CAUGHT            the gate fails and at least one of the fault's declared IDs fails
  CAUGHT-ELSEWHERE  the gate fails, but none of the declared IDs does
  STALE-ONLY        the gate fails only through stale baselines / kit errors: no check judged anything wrong
  FLAGGED-NONGATING the gate passes, but a declared (SHOULD) ID fails: seen only with --strict
  MISSED            the gate passes and no declared ID fails
  OK / FALSE-FAIL   for the `none` fault: the unfaulted service passes / fails the gate
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTEES = HERE.parent.parent / "testees"
sys.path.insert(0, str(HERE))

from catalogue import BY_NAME, CLIENT_BY_NAME, CLIENT_FAULTS, FAULTS  # noqa: E402

VENVS = {"2": Path("/work/venv-n2"), "3": Path("/work/venv-n3")}
BASELINES = {"2": "nameko-2.14.1", "3": "nameko-3.0.0rc11"}
CLIENT_BASELINES = {"2": "nameko-2.14.1-client", "3": "nameko-3.0.0rc11-client"}
BAD = ("fail", "stale baseline", "kit error")
NON_GATING = ("non-strict",)  # a SHOULD that failed; gates only with --strict


def interpreter(version):
    """The Python with nameko <version>.x and the kit: $NAMEKO<version>_PYTHON, else this interpreter when its
    nameko is that version (in a tox env: it tests the checkout the env was built from), else a dev venv of
    VENVS."""
    given = os.environ.get("NAMEKO{}_PYTHON".format(version))
    if given:
        return Path(given)
    try:
        from importlib.metadata import version as installed
        if installed("nameko").startswith(version + "."):
            return Path(sys.executable)
    except Exception:  # noqa: BLE001 - no nameko here: look for a venv
        pass
    local = VENVS[version] / "bin" / "python"
    if local.exists():
        return local
    raise SystemExit("no Python with nameko {0}.x: set NAMEKO{0}_PYTHON".format(version))


def target_command(python, fault):
    return "cd {} && NAMEKO_CONFORMANCE_FAULT={} exec {} -W ignore -m nameko run --config {} faulty_nameko".format(
        shlex.quote(str(HERE)), shlex.quote(fault), shlex.quote(str(python)),
        shlex.quote(str(TESTEES / "nameko_testee.yaml")))


def client_command(python):
    """The kit runs a client command without a shell: the fault travels in the environment it inherits."""
    return "{} -W ignore {}".format(shlex.quote(str(python)), shlex.quote(str(HERE / "faulty_client.py")))


def run_one(fault, version, out, extra, timeout, client=False):
    python = interpreter(version)
    report_dir = out / "{}n{}".format("client-" if client else "", version) / fault
    report_dir.mkdir(parents=True, exist_ok=True)
    if client:
        launch = ["--client-cmd", client_command(python), "--baseline", CLIENT_BASELINES[version]]
    else:
        launch = ["--target-cmd", target_command(python, fault), "--baseline", BASELINES[version]]
    command = [str(python), "-m", "nameko_conformance.cli", "run"] + launch + [
        "--report-dir", str(report_dir), "--quiet"] + extra
    env = dict(os.environ, NAMEKO_CONFORMANCE_FAULT=fault, NAMEKO_CONFORMANCE_CLIENT_FAULT=fault)
    started = time.time()
    with open(report_dir / "kit.log", "w") as log:
        try:
            code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=timeout,
                                  cwd=str(HERE)).returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
    return judge(fault, version, report_dir, code, time.time() - started, client)


def judge(fault, version, report_dir, code, seconds, client=False):
    expected = list((CLIENT_BY_NAME if client else BY_NAME)[fault].ids)
    row = {"fault": fault, "side": "client" if client else "server", "nameko": version, "expected": expected,
           "exit": code, "seconds": round(seconds),
           "report": str(report_dir / "report.json")}
    try:
        document = json.loads((report_dir / "report.json").read_text())
    except (OSError, ValueError) as exc:
        row.update(gate=None, bad={}, verdict="NO-REPORT", note=str(exc))
        return row
    requirements = document["requirements"]
    bad = {rid: entry["verdict"] for rid, entry in requirements.items() if entry["verdict"] in BAD}
    gate = bool(document["summary"]["gate"])
    expected_seen = {rid: requirements.get(rid, {}).get("verdict", "absent") for rid in expected}
    hit = [rid for rid in expected if rid in bad]
    flagged = [rid for rid in expected if expected_seen[rid] in NON_GATING]
    real = [rid for rid, verdict in bad.items() if verdict == "fail"]
    if fault == "none":
        verdict = "OK" if gate else "FALSE-FAIL"
    elif not gate and not real:
        # only stale baselines (or kit errors) fail: the fault changed what nameko's baseline expects, but no
        # check judged it wrong; a port with its own baseline would pass
        verdict = "STALE-ONLY"
    elif not gate and [rid for rid in hit if bad[rid] == "fail"]:
        verdict = "CAUGHT"
    elif not gate:
        verdict = "CAUGHT-ELSEWHERE"
    elif hit or flagged:
        verdict = "FLAGGED-NONGATING"
    else:
        verdict = "MISSED"
    row.update(gate="PASS" if gate else "FAIL", bad=bad, expected_verdicts=expected_seen, verdict=verdict,
               aborted=document["summary"].get("aborted"))
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("faults", nargs="*", help="fault names (default: all of catalogue.py)")
    parser.add_argument("--nameko", choices=("2", "3", "both"), default="both")
    parser.add_argument("--client", action="store_true", help="client faults (faulty_client.py via --client-cmd)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel kit runs (at most 2)")
    parser.add_argument("--out", default="/tmp/faults-run", help="reports go to OUT/n<version>/<fault>/")
    parser.add_argument("--broker", choices=("auto", "private"), default="auto")
    parser.add_argument("--strict", action="store_true", help="pass --strict to the kit")
    parser.add_argument("--req", help="pass --req GLOB to the kit")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per kit run")
    parser.add_argument("--collect", action="store_true",
                        help="run nothing: judge the reports already in OUT (e.g. of an interrupted run)")
    args = parser.parse_args(argv)
    catalogue = CLIENT_BY_NAME if args.client else BY_NAME
    names = args.faults or [fault.name for fault in (CLIENT_FAULTS if args.client else FAULTS)]
    unknown = [name for name in names if name not in catalogue]
    if unknown:
        parser.error("unknown faults: {}".format(", ".join(unknown)))
    versions = ("2", "3") if args.nameko == "both" else (args.nameko,)
    extra = ["--broker", args.broker] if args.broker != "auto" else []
    extra += ["--strict"] if args.strict else []
    extra += ["--req", args.req] if args.req else []
    out = Path(args.out)
    jobs = [(name, version) for version in versions for name in names if version in catalogue[name].versions]
    rows = []
    if args.collect:
        for name, version in jobs:
            report_dir = out / "{}n{}".format("client-" if args.client else "", version) / name
            if report_dir.is_dir():
                rows.append(judge(name, version, report_dir, None, 0, args.client))
                print_row(rows[-1])
        jobs = []
    with ThreadPoolExecutor(max_workers=max(1, min(2, args.jobs))) as pool:
        futures = [pool.submit(run_one, name, version, out, extra, args.timeout, args.client) for name, version in jobs]
        for future in futures:
            row = future.result()
            rows.append(row)
            print_row(row)
            sys.stdout.flush()
    out.mkdir(parents=True, exist_ok=True)
    table = out / "{}results-n{}.json".format("client-" if args.client else "", args.nameko)
    table.write_text(json.dumps(rows, indent=1))
    print("\nsummary:", summary(rows), "\ntable:", table)
    # A false failure on unfaulted nameko, or a run that wrote no report, is the kit's failure; the rest is a
    # measurement of what it catches (MISSED faults are listed, for the kit to learn).
    return 1 if any(row["verdict"] in ("FALSE-FAIL", "NO-REPORT") for row in rows) else 0


def print_row(row):
    bad = " ".join("{}={}".format(rid, verdict.replace(" ", "_")) for rid, verdict in sorted(row["bad"].items()))
    print("{:<36} n{} {:<18} gate={:<4} expected={:<28} failing: {}".format(
        row["fault"], row["nameko"], row["verdict"], str(row["gate"]), ",".join(row["expected"]) or "-", bad or "-"))


def summary(rows):
    counts = {}
    for row in rows:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    return ", ".join("{}={}".format(k, v) for k, v in sorted(counts.items()))


if __name__ == "__main__":
    sys.exit(main())
