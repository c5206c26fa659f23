"""Run a port's client driver once with one job, within a wall-clock limit, and check its outcome document.

The contract is spec chapter 16: the driver takes the broker from `NAMEKO_CONFORMANCE_AMQP_URI` and the exchange
from `NAMEKO_CONFORMANCE_RPC_EXCHANGE` (DRIVER-1), reads `{"calls": […]}` on stdin (DRIVER-2), writes
`{"outcomes": […]}` on stdout (DRIVER-5) with error kinds from a closed list (DRIVER-6), and exits 0 whenever it
wrote outcomes (DRIVER-7). `build_job` and `check_outcome_document` are pure; `run_driver` does the I/O.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass, field

AMQP_URI_VARIABLE = "NAMEKO_CONFORMANCE_AMQP_URI"
RPC_EXCHANGE_VARIABLE = "NAMEKO_CONFORMANCE_RPC_EXCHANGE"
ERROR_KINDS = ("MethodNotFound", "IncorrectSignature", "MalformedRequest", "UnknownService", "timeout", "remote",
               "protocol")
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


def check_outcome(outcome, index: int) -> list[tuple[str, str]]:
    where = f"outcome {index}"
    if not isinstance(outcome, dict):
        return [("DRIVER-5", f"{where} is not an object: {outcome!r}")]
    if set(outcome) == {"result"}:
        return []
    if set(outcome) != {"error"}:
        return [("DRIVER-5", f"{where} has members {sorted(outcome)}; expected exactly 'result' or 'error'")]
    error = outcome["error"]
    if not isinstance(error, dict) or not {"kind", "exc_type", "message"} <= set(error):
        return [("DRIVER-5", f"{where}: error must be an object with kind, exc_type and message: {error!r}")]
    if error["kind"] not in ERROR_KINDS:
        return [("DRIVER-6", f"{where}: error kind {error['kind']!r} is not one of {', '.join(ERROR_KINDS)}")]
    return []


def check_outcome_document(stdout: str, job: dict) -> tuple[list | None, list[tuple[str, str]]]:
    """(outcomes, problems) from a driver's standard output; outcomes is None when there is no usable document."""
    text = stdout.strip()
    if not text:
        return None, [("DRIVER-5", "the driver wrote nothing to standard output")]
    try:
        document = json.loads(text)
    except ValueError as exc:
        return None, [("DRIVER-5", f"standard output is not one JSON object ({exc})")]
    if not isinstance(document, dict) or not isinstance(document.get("outcomes"), list):
        return None, [("DRIVER-5", "standard output is not an object with an 'outcomes' array")]
    outcomes = document["outcomes"]
    problems = []
    if len(outcomes) != len(job["calls"]):
        problems.append(("DRIVER-5", f"{len(outcomes)} outcomes for {len(job['calls'])} calls"))
    for index, outcome in enumerate(outcomes):
        problems += check_outcome(outcome, index)
    return outcomes, problems


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


def driver_environment(amqp_uri: str, rpc_exchange: str | None, base: dict | None = None) -> dict:
    environment = dict(os.environ if base is None else base)
    environment[AMQP_URI_VARIABLE] = amqp_uri
    if rpc_exchange is None:
        environment.pop(RPC_EXCHANGE_VARIABLE, None)
    else:
        environment[RPC_EXCHANGE_VARIABLE] = rpc_exchange
    return environment


def run_driver(client_cmd: str, job: dict, *, amqp_uri: str, rpc_exchange: str | None = None,
               wall_clock_limit: float | None = None, cwd: str | None = None) -> DriverResult:
    """Run `client_cmd` (split with shlex) once with `job` on stdin; kill it and its children on overrun."""
    command = tuple(shlex.split(client_cmd))
    limit = default_wall_clock_limit(job) if wall_clock_limit is None else wall_clock_limit
    started = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=driver_environment(amqp_uri, rpc_exchange), cwd=cwd, text=True,
                               encoding="utf-8", errors="backslashreplace", start_new_session=True)
    try:
        stdout, stderr = process.communicate(json.dumps(job), timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        return DriverResult(DRIVER_HUNG, None, (("DRIVER-5", f"no outcome within the {limit:g} s limit"),), None,
                            stdout, stderr, time.monotonic() - started, command)
    seconds = time.monotonic() - started
    outcomes, problems = check_outcome_document(stdout, job)
    if outcomes is None:
        status = DRIVER_FAILED if process.returncode != 0 else INVALID_OUTCOME
    elif problems:
        status = INVALID_OUTCOME
    else:
        status = OK
    if outcomes is not None and process.returncode != 0:
        problems.append(("DRIVER-7", f"the driver wrote outcomes but exited with status {process.returncode}"))
        status = INVALID_OUTCOME
    return DriverResult(status, outcomes, tuple(problems), process.returncode, stdout, stderr, seconds, command)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
