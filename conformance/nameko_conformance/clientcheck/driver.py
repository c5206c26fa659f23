"""Run a port's client driver once with one job, within a wall-clock limit, and check its outcome document.

The contract is spec chapter 16: the driver takes the broker from `NAMEKO_CONFORMANCE_AMQP_URI` and the exchange
from `NAMEKO_CONFORMANCE_RPC_EXCHANGE` (DRIVER-1), reads `{"calls": […]}` on stdin (DRIVER-2), writes
`{"outcomes": […]}` to the file named by `NAMEKO_CONFORMANCE_OUTCOME_FILE` or to stdout (DRIVER-5) with error
kinds from a closed list (DRIVER-6), and exits 0 whenever it wrote outcomes (DRIVER-7). `build_job` is pure and
`oracle.driver` judges; `run_driver` does the I/O.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from nameko_conformance.oracle import driver as oracle_driver

AMQP_URI_VARIABLE = "NAMEKO_CONFORMANCE_AMQP_URI"
RPC_EXCHANGE_VARIABLE = "NAMEKO_CONFORMANCE_RPC_EXCHANGE"
OUTCOME_FILE_VARIABLE = "NAMEKO_CONFORMANCE_OUTCOME_FILE"
ERROR_KINDS = oracle_driver.ERROR_KINDS
OUTCOME_FILE_LIMIT_BYTES = 16 * 1024 * 1024  # a runaway driver cannot make the kit read without bound
DESCRIBE_JOB = {"calls": [], "describe": True}
DEFAULT_GRACE_SECONDS = 20.0           # process start-up (nameko imports eventlet) and broker connections
UNBOUNDED_CALL_ALLOWANCE_SECONDS = 10.0
OUTPUT_LIMIT_CHARS = 20000

OK = "ok"
DRIVER_HUNG = "driver hung"
DRIVER_FAILED = "driver failed"
INVALID_OUTCOME = "invalid outcome"


@dataclass(frozen=True)
class Call:
    service: str
    method: str
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    timeout: float | None = 5.0
    context: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"service": self.service, "method": self.method, "args": list(self.args),
                "kwargs": dict(self.kwargs), "timeout": self.timeout, "context": dict(self.context)}


def build_job(calls) -> dict:
    """The job document of DRIVER-2."""
    return {"calls": [call.to_json() if isinstance(call, Call) else dict(call) for call in calls]}


def default_wall_clock_limit(job: dict, grace: float = DEFAULT_GRACE_SECONDS) -> float:
    """Enough for a driver that makes the calls one after another, each up to its timeout, plus start-up."""
    return grace + sum(UNBOUNDED_CALL_ALLOWANCE_SECONDS if call.get("timeout") is None else float(call["timeout"])
                       for call in job["calls"])


def check_outcome_document(stdout: str, job: dict) -> tuple[list | None, list[tuple[str, str]]]:
    """(outcomes, problems as (requirement, what was seen)) of an outcome document; the oracle judges it."""
    judgement = oracle_driver.outcome_document(stdout, len(job["calls"]))
    return judgement.value, [(f.requirement, f"{f.expected}: saw {f.observed}") for f in judgement.findings]


@dataclass(frozen=True)
class DriverResult:
    status: str                            # ok, driver hung, driver failed, invalid outcome
    outcomes: list | None
    problems: tuple[tuple[str, str], ...]  # (requirement ID, explanation)
    exit_code: int | None                  # None when the kit killed the driver
    stdout: str
    stderr: str
    seconds: float
    command: tuple[str, ...]
    observed: oracle_driver.DriverRun | None = None  # what the oracle judges (hang, exit status, document)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def report(self) -> str:
        lines = [f"driver {shlex.join(self.command)}: {self.status} after {self.seconds:.1f} s, "
                 f"exit code {self.exit_code}"]
        lines += [f"  {requirement}: {text}" for requirement, text in self.problems]
        for name, text in (("stdout", self.stdout), ("stderr", self.stderr)):
            if text.strip():
                lines.append(f"  --- {name} ---\n{_tail(text)}")
        return "\n".join(lines)


def _tail(text: str) -> str:
    return text if len(text) <= OUTPUT_LIMIT_CHARS else f"…{text[-OUTPUT_LIMIT_CHARS:]}"


def driver_environment(amqp_uri: str, rpc_exchange: str | None, base: dict | None = None,
                       outcome_file: str | None = None) -> dict:
    environment = dict(os.environ if base is None else base)
    environment[AMQP_URI_VARIABLE] = amqp_uri
    if outcome_file is None:
        environment.pop(OUTCOME_FILE_VARIABLE, None)
    else:
        environment[OUTCOME_FILE_VARIABLE] = outcome_file
    if rpc_exchange is None:
        environment.pop(RPC_EXCHANGE_VARIABLE, None)
    else:
        environment[RPC_EXCHANGE_VARIABLE] = rpc_exchange
    return environment


def run_driver(client_cmd: str, job: dict, *, amqp_uri: str, rpc_exchange: str | None = None,
               wall_clock_limit: float | None = None, cwd: str | None = None) -> DriverResult:
    """Run `client_cmd` (split with shlex) once with `job` on stdin; kill it and its children on overrun. The
    outcome document is read from the file named by NAMEKO_CONFORMANCE_OUTCOME_FILE when the driver wrote it
    there, so a library that prints to standard output cannot corrupt it; else from standard output."""
    command = tuple(shlex.split(client_cmd))
    limit = default_wall_clock_limit(job) if wall_clock_limit is None else wall_clock_limit
    with tempfile.TemporaryDirectory(prefix="nameko-conformance-driver-") as scratch:
        outcome_file = os.path.join(scratch, "outcome.json")
        started = time.monotonic()
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=driver_environment(amqp_uri, rpc_exchange, outcome_file=outcome_file),
                                   cwd=cwd, text=True, encoding="utf-8", errors="backslashreplace",
                                   start_new_session=True)
        hung = False
        try:
            stdout, stderr = process.communicate(json.dumps(job), timeout=limit)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            stdout, stderr = process.communicate()
            hung = True
        seconds = time.monotonic() - started
        written = _read_bounded(outcome_file)
    channel = "outcome file" if written is not None and written.strip() else "stdout"
    document = written if channel == "outcome file" else stdout
    observed = oracle_driver.DriverRun(hung, None if hung else process.returncode, document, len(job["calls"]),
                                       seconds, channel)
    judgement = oracle_driver.run(observed)
    problems = tuple((f.requirement, f"{f.expected}: saw {f.observed}") for f in judgement.findings)
    if hung:
        problems = (("DRIVER-5", f"no outcome within the {limit:g} s limit"),)
    return DriverResult(oracle_driver.status(judgement, observed), judgement.value, problems, observed.exit_code,
                        stdout, stderr, seconds, command, observed)


def _read_bounded(path: str) -> str | None:
    """The outcome file's text (at most OUTCOME_FILE_LIMIT_BYTES are read), or None when the driver wrote none."""
    try:
        with open(path, "rb") as handle:
            return handle.read(OUTCOME_FILE_LIMIT_BYTES).decode("utf-8", "backslashreplace")
    except FileNotFoundError:
        return None


def describe(client_cmd: str, *, amqp_uri: str, rpc_exchange: str | None,
             wall_clock_limit: float = DEFAULT_GRACE_SECONDS) -> tuple[Any, DriverResult]:
    """Asks the driver which optional features its implementation lacks (spec 16, the describe job): the oracle's
    judgement of the answer (its value: the lacking features) and the run."""
    run = run_driver(client_cmd, DESCRIBE_JOB, amqp_uri=amqp_uri, rpc_exchange=rpc_exchange,
                     wall_clock_limit=wall_clock_limit)
    return oracle_driver.describe_answer(run.observed), run


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
