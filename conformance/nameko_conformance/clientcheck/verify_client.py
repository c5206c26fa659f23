"""Named checks on what a client did: its driver's outcomes and the requests the probe recorded.

Each raises ``ConformanceFailure`` whose first line says what was expected and what was seen; the driver's own
report (status, problems, stdout, stderr) follows on the next lines.
"""

from __future__ import annotations

from typing import Any

from nameko_conformance.clientcheck.driver import DRIVER_HUNG, DriverResult
from nameko_conformance.clientcheck.probe_service import ProbeService, RecordedRequest
from nameko_conformance.verify import fail


def _with_report(message: str, run: DriverResult | None) -> str:
    return message if run is None else f"{message}\n{run.report()}"


def verify_driver_answered(run: DriverResult, hang_requirements: tuple[str, ...] = ("DRIVER-5",)) -> list:
    """The driver wrote one valid outcome per call and exited 0; a hang is charged to ``hang_requirements``."""
    if run.status == DRIVER_HUNG:
        fail(_with_report(f"expected the client to finish every call (each has a timeout), saw the driver still "
                          f"running after {run.seconds:.0f} s; the kit killed it", run), hang_requirements)
    if not run.ok:
        requirements = tuple(dict.fromkeys(req for req, _ in run.problems)) or ("DRIVER-5",)
        first = run.problems[0][1] if run.problems else run.status
        fail(_with_report(f"expected a valid outcome document and exit status 0, saw {run.status}: {first}", run),
             requirements)
    return run.outcomes


def verify_result(outcome: dict, expected: Any, requirement: str | tuple, what: str,
                  run: DriverResult | None = None) -> None:
    if outcome != {"result": expected}:
        fail(_with_report(f"expected {what} to return {expected!r}, saw {outcome!r}", run), requirement)


def verify_error_kind(outcome: dict, kind: str, requirement: str | tuple, what: str, exc_type: str | None = None,
                      run: DriverResult | None = None) -> dict:
    error = outcome.get("error") if isinstance(outcome, dict) else None
    if not error or error.get("kind") != kind or (exc_type is not None and error.get("exc_type") != exc_type):
        wanted = f"a {kind} error" + (f" with exc_type {exc_type!r}" if exc_type else "")
        fail(_with_report(f"expected {what} to fail with {wanted}, saw {outcome!r}", run), requirement)
    return error


def verify_no_result(outcome: dict, requirement: str | tuple, what: str, run: DriverResult | None = None) -> None:
    if isinstance(outcome, dict) and "result" in outcome:
        fail(_with_report(f"expected {what} to fail, saw it complete with {outcome['result']!r}", run), requirement)


def verify_requests(probe: ProbeService, methods: list[str], requirement: str | tuple,
                    run: DriverResult | None = None) -> list[RecordedRequest]:
    """The probe received exactly one request per call, for the methods given (in any order)."""
    seen = probe.requests
    if sorted(r.method for r in seen) != sorted(methods):
        fail(_with_report(f"expected one request per call for {methods} at {probe.service}, saw "
                          f"{[r.method for r in seen]}", run), requirement)
    return seen


def request_of(requests: list[RecordedRequest], method: str) -> RecordedRequest:
    return next(r for r in requests if r.method == method)


def verify_replies_routed(probe: ProbeService, run: DriverResult | None = None) -> None:
    """Every reply the probe published with a request's reply_to as key reached a queue (mandatory + confirm)."""
    unrouted = [reply for reply in probe.replies if not reply.routed]
    if unrouted:
        fail(_with_report(f"expected a queue bound to the RPC exchange with each request's reply_to, saw the reply "
                          f"keyed {unrouted[0].routing_key!r} returned unroutable", run), ("RPC-REQ-3", "RPC-CORR-1"))
