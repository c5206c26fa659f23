"""Checks on a client driver's run and on the outcomes it reported (chapter 16, and the client rules of chapters 04,
06 and 07 as the outcomes show them).

A run the driver did not finish, or ended without outcomes, is charged to the rule the probe's misbehaviour tested
(a client that hangs on an undecodable reply breaks RPC-CORR-14, not the driver contract); only a run where the
probe behaved is charged to the driver contract (DRIVER-5).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nameko_conformance.oracle.model import Check, Judgement, short

ERROR_KINDS = ("MethodNotFound", "IncorrectSignature", "MalformedRequest", "UnknownService", "timeout", "remote",
               "protocol")
# Error replies a client surfaces as their own kind (RPC-ERR-11); any other is a remote error.
BUILTIN_KINDS = ("MethodNotFound", "IncorrectSignature", "MalformedRequest")
DRIVER_CONTRACT = ("DRIVER-5",)
# Optional client features a driver may declare absent (spec 16): context data, call id stacks, keyword
# arguments apart from positional ones, per-call timeouts, an RPC exchange other than nameko-rpc.
FEATURES = ("context", "call-ids", "kwargs", "timeouts", "exchange")


@dataclass(frozen=True)
class DriverRun:
    """A driver run as observed: whether the kit had to kill it, its exit status, and the outcome document's text
    (from the outcome file when the driver wrote one, else its standard output)."""

    hung: bool
    exit_code: int | None
    document: str
    calls: int
    seconds: float = 0.0
    channel: str = "stdout"


def outcome_document(text: str, calls: int) -> Judgement:
    """DRIVER-5 (one object ``{"outcomes": [...]}``, one outcome per call, each a result or an error with kind,
    exc_type and message) and DRIVER-6 (kinds from the closed list); the outcomes, or None when unusable."""
    check = Check("DRIVER-5")
    stripped = text.strip()
    if not stripped:
        check.fail("DRIVER-5", "no-document", "one JSON outcome document", "nothing written")
        return check.done(None)
    try:
        document = json.loads(stripped)
    except ValueError as exc:
        check.fail("DRIVER-5", "not-json", "one JSON outcome document", f"{exc} in {short(stripped, 200)}")
        return check.done(None)
    if not isinstance(document, dict) or not isinstance(document.get("outcomes"), list):
        check.fail("DRIVER-5", "no-outcomes-array", "an object with an 'outcomes' array", short(document))
        return check.done(None)
    outcomes = document["outcomes"]
    if len(outcomes) != calls:
        check.fail("DRIVER-5", "outcome-count", f"{calls} outcomes, one per call", f"{len(outcomes)}")
    for index, outcome in enumerate(outcomes):
        where = f"outcome {index}"
        if not isinstance(outcome, dict) or (set(outcome) != {"result"} and set(outcome) != {"error"}):
            check.fail("DRIVER-5", "outcome-shape", f"{where} exactly {{'result'}} or {{'error'}}", short(outcome))
            continue
        if "result" in outcome:
            continue
        error = outcome["error"]
        if not isinstance(error, dict) or not {"kind", "exc_type", "message"} <= set(error):
            check.fail("DRIVER-5", "error-shape", f"{where}: an error with kind, exc_type and message", short(error))
            continue
        check.examine("DRIVER-6")  # examined only where an error outcome was reported
        if error["kind"] not in ERROR_KINDS:
            check.fail("DRIVER-6", "unknown-kind", f"{where}: a kind of {', '.join(ERROR_KINDS)}",
                       short(error["kind"]))
    usable = not any(f.requirement == "DRIVER-5" for f in check.done().findings)
    return check.done(outcomes if usable else None)


def run(observed: DriverRun, charge: tuple[str, ...] = DRIVER_CONTRACT, why: str = "",
        hang_charge: tuple[str, ...] | None = None) -> Judgement:
    """The run as a whole; its outcomes, or None. ``charge`` names the rules a crash breaks (the rule of the probe's
    misbehaviour; the driver contract when the probe behaved), ``hang_charge`` those a hang breaks (``charge`` when
    not given); ``why`` says what the probe did."""
    check = Check()
    during = f" ({why})" if why else ""
    if observed.hung:
        for requirement in hang_charge or charge:
            check.fail(requirement, "client-hung", f"every call finished{during} (each has a timeout)",
                       f"the driver still running after {observed.seconds:.0f} s; the kit killed it")
        return check.done(None)
    if not observed.document.strip() and observed.exit_code not in (0, None):
        for requirement in charge:
            check.fail(requirement, "client-crashed", f"an outcome per call{during}",
                       f"exit status {observed.exit_code} and no outcomes")
        return check.done(None)
    outcomes = check.merge(outcome_document(observed.document, observed.calls))
    check.examine("DRIVER-7")
    if observed.exit_code != 0 and outcomes is not None:
        check.fail("DRIVER-7", "exit-status", "exit status 0 after writing the outcomes",
                   f"status {observed.exit_code}")
    return check.done(outcomes)


def status(judgement: Judgement, observed: DriverRun) -> str:
    """A one-word summary of a run for traces: ok, driver hung, driver failed, invalid outcome."""
    if observed.hung:
        return "driver hung"
    if judgement.ok:
        return "ok"
    return "driver failed" if judgement.value is None and observed.exit_code not in (0, None) else "invalid outcome"


# -- the outcomes of calls ------------------------------------------------------------------------------------------


def result(outcome: Any, expected: Any, requirement: str | tuple, what: str) -> Judgement:
    """The call completed with ``expected``."""
    check = Check(requirement)
    if outcome != {"result": expected}:
        check.fail(requirement, "wrong-outcome", f"{what} to return {short(expected)}", short(outcome))
    return check.done()


def error_kind(outcome: Any, kind: str, requirement: str | tuple, what: str, exc_type: str | None = None) -> Judgement:
    """The call failed with an error of ``kind`` (and ``exc_type`` when given); the error."""
    check = Check(requirement)
    error = outcome.get("error") if isinstance(outcome, dict) else None
    if not isinstance(error, dict) or error.get("kind") != kind or (exc_type is not None
                                                                  and error.get("exc_type") != exc_type):
        wanted = f"a {kind} error" + (f" with exc_type {exc_type!r}" if exc_type else "")
        check.fail(requirement, f"not-{kind.lower()}", f"{what} to fail with {wanted}", short(outcome))
        return check.done(None)
    return check.done(error)


def not_a_result(outcome: Any, requirement: str | tuple, what: str) -> Judgement:
    """The call did not complete with a result."""
    check = Check(requirement)
    if isinstance(outcome, dict) and "result" in outcome:
        check.fail(requirement, "completed-with-result", f"{what} to fail", f"result {short(outcome['result'])}")
    return check.done()


def surfaced_error(outcome: Any, exc_type: str, value: str, what: str, requirement: str = "RPC-ERR-11") -> Judgement:
    """RPC-ERR-11 (RPC-ERR-12 for lenient error objects): a built-in error reply surfaces as its kind, any other
    as a remote error with its exc_type and value. A library with a single error class may report a built-in as
    ``remote`` with the built-in's exc_type (spec 16): that distinguishes it as well, so both are accepted."""
    check = Check(requirement)
    error = outcome.get("error") if isinstance(outcome, dict) else None
    if not isinstance(error, dict):
        check.fail(requirement, "no-error", f"{what} to fail with {exc_type}", short(outcome))
        return check.done()
    kind, seen_type = error.get("kind"), error.get("exc_type")
    if exc_type in BUILTIN_KINDS:
        if not (kind == exc_type or (kind == "remote" and seen_type == exc_type)):
            check.fail(requirement, "builtin-kind", f"{what} surfaced as {exc_type} (or a remote error with "
                       f"exc_type {exc_type})", f"kind {short(kind)} exc_type {short(seen_type)}")
    elif kind != "remote" or seen_type != exc_type:
        check.fail(requirement, "remote-kind", f"{what} surfaced as a remote error with exc_type {exc_type!r}",
                   f"kind {short(kind)} exc_type {short(seen_type)}")
    elif error.get("message") != value:
        check.fail(requirement, "remote-value", f"the remote error carrying the reply's value {value!r}",
                   short(error.get("message")))
    return check.done()


def outcome_channel(observed: DriverRun) -> Judgement:
    """DRIVER-8: the outcome document came through the outcome file (a MAY: standard output decides nothing)."""
    check = Check()
    if observed.channel == "outcome file":
        check.examine("DRIVER-8")
    else:
        check.undecided("DRIVER-8", "the driver writes its outcomes to standard output")
    return check.done()


def describe_answer(observed: DriverRun) -> Judgement:
    """DRIVER-9: the answer to the describe job; the features the driver declares its implementation lacks (a
    driver that ignores ``describe`` answers ``{"outcomes": []}``: it lacks nothing)."""
    check = Check("DRIVER-9")
    if observed.hung or observed.exit_code != 0:
        check.fail("DRIVER-9", "describe-failed", "an answer to the describe job, exit status 0",
                   "no answer within the limit" if observed.hung else f"exit status {observed.exit_code}")
        return check.done(frozenset())
    try:
        document = json.loads(observed.document.strip() or "null")
    except ValueError as exc:
        check.fail("DRIVER-9", "describe-not-json", "a JSON answer to the describe job", f"{exc}")
        return check.done(frozenset())
    lacks = document.get("lacks", []) if isinstance(document, dict) else None
    if not isinstance(lacks, list) or not all(isinstance(f, str) for f in lacks):
        check.fail("DRIVER-9", "describe-lacks", "an object whose 'lacks' is an array of feature names",
                   short(document))
        return check.done(frozenset())
    unknown = sorted(set(lacks) - set(FEATURES))
    if unknown:
        check.fail("DRIVER-9", "unknown-feature", f"features of {', '.join(FEATURES)}", short(unknown))
    return check.done(frozenset(lacks) & frozenset(FEATURES))


def described_client_name(observed: DriverRun) -> str | None:
    """The client name a driver's describe answer gives (``"client_name"``), so the kit can find a reply queue
    named ``rpc.reply-<client_name>-<reply_to>``; None when it gives none usable."""
    try:
        document = json.loads(observed.document.strip() or "null")
    except ValueError:
        return None
    name = document.get("client_name") if isinstance(document, dict) else None
    return name if isinstance(name, str) and name and not any(c in name for c in "*#") else None
