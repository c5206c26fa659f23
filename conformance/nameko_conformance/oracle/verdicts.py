"""One verdict per requirement from the evidence of a whole run, and the gate.

``pass`` only where some test examined the requirement and no test found it broken. Everything else says why:
``fail``, ``known deviation`` (every finding accepted by a baseline entry naming that behaviour), ``stale baseline``
(entries none of whose behaviours showed: the requirement was examined and found right, or was cited and not
examined although no other finding masked it and the target did not end the run; the entries of one requirement
are alternatives, so one that did not show beside one that did is only named), ``masked`` (a test stopped
at another finding first), ``not examined``, ``inconclusive``, ``capability absent``, ``kit error``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from nameko_conformance.oracle.evidence import FAILED, INCONCLUSIVE, MASKED, NOT_EXAMINED, PASSED

PASS, FAIL, NON_STRICT, INFORMATIONAL = "pass", "fail", "non-strict", "informational"
KNOWN_DEVIATION, STALE_BASELINE = "known deviation", "stale baseline"
CAPABILITY_ABSENT, INCONCLUSIVE_V, KIT_ERROR = "capability absent", "inconclusive", "kit error"
MASKED_V, NOT_EXAMINED_V = "masked", "not examined"
NEEDS_DRIVER, UNTESTABLE, NOT_RUN = "not covered: needs client driver", "untestable black-box", "not run"
GATE_FAILING = {FAIL, STALE_BASELINE, KIT_ERROR}
ORDER = [FAIL, STALE_BASELINE, KIT_ERROR, NON_STRICT, KNOWN_DEVIATION, INFORMATIONAL, MASKED_V, INCONCLUSIVE_V,
         NOT_EXAMINED_V, CAPABILITY_ABSENT, PASS, NEEDS_DRIVER, UNTESTABLE, NOT_RUN]

# Test-level outcomes that judged nothing: the whole test could not run.
TEST_CAPABILITY_ABSENT, TEST_KIT_ERROR, TEST_ABORTED = "capability-absent", "kit-error", "aborted"


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    nodeid: str
    requirements: tuple[str, ...]
    outcome: str  # passed | failed | capability-absent | kit-error | aborted (and inconclusive/not examined)
    statuses: dict[str, tuple[str, str]] = field(default_factory=dict)  # requirement -> (status, detail)
    findings: list[dict] = field(default_factory=list)  # Finding.to_dict() + "test", "reproduce"
    message: str = ""
    trace: list[dict] = field(default_factory=list)
    reproduce: str = ""
    duration: float = 0.0

    @property
    def failing(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f["requirement"] for f in self.findings))


def _strength_verdict(strength: str, strict: bool) -> str:
    if strength == "MUST" or (strength == "SHOULD" and strict):
        return FAIL
    return NON_STRICT if strength == "SHOULD" else INFORMATIONAL


def requirement_verdicts(registry: Any, results: Iterable[TestResult], strict: bool, baseline: Any,
                         selected: set[str] | None = None) -> dict[str, dict]:
    """``selected``: the requirements a ``--req`` selection asked for (None: all). Outside a selection the run
    examines some requirements only in passing, so a baseline entry of one of those that did not show is not
    stale: the tests that would show it were not selected."""
    results = list(results)
    by_req: dict[str, list[tuple[TestResult, str, str]]] = {}
    for result in results:
        if result.outcome in (TEST_CAPABILITY_ABSENT, TEST_KIT_ERROR, TEST_ABORTED):
            for req_id in result.requirements:
                by_req.setdefault(req_id, []).append((result, result.outcome, result.message))
            continue
        for req_id, (status, detail) in result.statuses.items():
            by_req.setdefault(req_id, []).append((result, status, detail))
    verdicts = {}
    for req in registry.requirements.values():
        rows = by_req.get(req.id, [])
        entry: dict[str, Any] = {"level": req.level, "role": req.role, "chapter": req.chapter, "text": req.text,
                                 "tests": sorted({r.nodeid for r, _, _ in rows}),
                                 "examined_by": sorted({r.nodeid for r, s, _ in rows if s in (PASSED, FAILED)}),
                                 "findings": [], "why": ""}
        findings = [dict(f, test=r.nodeid, reproduce=r.reproduce) for r in {id(r): r for r, _, _ in rows}.values()
                    for f in r.findings if f["requirement"] == req.id]
        statuses = {s for _, s, _ in rows}
        entries = baseline.for_requirement(req.id) if baseline is not None else []
        if not req.testable:
            verdict, entry["why"] = UNTESTABLE, req.untestable_reason or ""
        elif findings:
            for f in findings:
                accepted = baseline.accepting(req.id, f["code"], f["message"]) if baseline is not None else None
                f["accepted_by"] = accepted.names if accepted else None
            entry["findings"] = findings
            if all(f["accepted_by"] for f in findings):
                verdict = KNOWN_DEVIATION
                entry["why"] = "; ".join(sorted({e.reason for e in entries if any(
                    f["accepted_by"] == e.names for f in findings)}))
                # The entries of one requirement are alternatives: a target whose fault shows one way or another
                # depending on timing (it stops answering, or it exits) is listed with both, and either is known.
                # The entries that did not show this time are named, not failed: the gate must not flake.
                unseen = [e.names for e in entries if not any(f["accepted_by"] == e.names for f in findings)]
                if unseen:
                    entry["unseen"] = unseen
                    entry["why"] += f" (not seen this run: {', '.join(unseen)})"
            else:
                verdict = _strength_verdict(req.strength, strict)
        elif PASSED in statuses:
            verdict = PASS
            if entries and (selected is None or req.id in selected):
                verdict = STALE_BASELINE
                entry["why"] = (f"the baseline accepts {', '.join(e.names for e in entries)}, but the requirement was "
                                f"examined and found right")
        elif TEST_KIT_ERROR in statuses:
            verdict, entry["why"] = KIT_ERROR, _first(rows, TEST_KIT_ERROR)
        elif INCONCLUSIVE in statuses:
            verdict, entry["why"] = INCONCLUSIVE_V, _first(rows, INCONCLUSIVE)
        elif MASKED in statuses:
            verdict, entry["why"] = MASKED_V, _first(rows, MASKED)
        elif TEST_ABORTED in statuses:
            verdict, entry["why"] = NOT_EXAMINED_V, _first(rows, TEST_ABORTED)
        elif NOT_EXAMINED in statuses:
            verdict, entry["why"] = NOT_EXAMINED_V, _first(rows, NOT_EXAMINED)
        elif statuses and statuses <= {TEST_CAPABILITY_ABSENT}:
            verdict, entry["why"] = CAPABILITY_ABSENT, _first(rows, TEST_CAPABILITY_ABSENT)
        elif req.needs_client_driver:
            verdict, entry["why"] = NEEDS_DRIVER, req.needs_client_driver
        else:
            verdict, entry["why"] = NOT_RUN, "no test of this run cites it"
        unjudged = verdict in (MASKED_V, NOT_EXAMINED_V, INCONCLUSIVE_V)
        if entries and unjudged and (MASKED_V == verdict or TEST_ABORTED in statuses):
            # Another finding of this run kept the test from it, or the target ended the run: the entry cannot be
            # judged this time, and that failure already fails the gate; calling every entry stale would bury it.
            entry["why"] += f" (the baseline's {', '.join(e.names for e in entries)} not judged this run)"
        elif entries and unjudged and (selected is None or req.id in selected):
            entry["why"] = (f"the baseline accepts {', '.join(e.names for e in entries)}, but the run did not "
                            f"examine {req.id}: {entry['why']}")
            verdict = STALE_BASELINE
        if entries:
            entry["baseline"] = [{"accepts": e.names, "reason": e.reason} for e in entries]
        entry["verdict"] = verdict
        verdicts[req.id] = entry
    return verdicts


def _first(rows: list, status: str) -> str:
    return next((d for _, s, d in rows if s == status and d), "")


def gate(verdicts: dict[str, dict]) -> bool:
    return not any(v["verdict"] in GATE_FAILING for v in verdicts.values())
