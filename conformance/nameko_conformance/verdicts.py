"""Sans-I/O verdict model: test outcomes per requirement in, one verdict per requirement and a gate out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from nameko_conformance.baseline import Baseline
from nameko_conformance.registry import Registry

PASS, FAIL, NON_STRICT, INFORMATIONAL = "pass", "fail", "non-strict", "informational"
KNOWN_DEVIATION, STALE_BASELINE = "known deviation", "stale baseline"
CAPABILITY_ABSENT, INCONCLUSIVE, KIT_ERROR = "capability absent", "inconclusive", "kit error"
NEEDS_DRIVER, UNTESTABLE, NOT_RUN = "not covered: needs client driver", "untestable black-box", "not run or not reached"
GATE_FAILING = {FAIL, STALE_BASELINE}


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    nodeid: str
    requirements: tuple[str, ...]
    outcome: str  # passed | failed | inconclusive | capability-absent | kit-error
    failing: tuple[str, ...] = ()
    message: str = ""
    trace: list[dict] = field(default_factory=list)
    reproduce: str = ""
    duration: float = 0.0


def failure_verdict(strength: str, req_id: str, strict: bool, baseline: Baseline) -> str:
    if req_id in baseline:
        return KNOWN_DEVIATION
    if strength == "MUST" or (strength == "SHOULD" and strict):
        return FAIL
    return NON_STRICT if strength == "SHOULD" else INFORMATIONAL


def requirement_verdicts(registry: Registry, results: Iterable[TestResult], strict: bool,
                         baseline: Baseline) -> dict[str, dict]:
    by_req: dict[str, list[TestResult]] = {}
    for result in results:
        for req_id in set(result.requirements) | set(result.failing):
            by_req.setdefault(req_id, []).append(result)
    verdicts = {}
    for req in registry.requirements.values():
        tests = by_req.get(req.id, [])
        entry = {"level": req.level, "role": req.role, "chapter": req.chapter, "text": req.text,
                 "tests": sorted({t.nodeid for t in tests}), "evidence": []}
        failed = [t for t in tests if t.outcome == "failed" and req.id in t.failing]
        if not req.testable:
            verdict = UNTESTABLE
            entry["reason"] = req.untestable_reason
        elif req.needs_client_driver and not tests:
            verdict = NEEDS_DRIVER
            entry["reason"] = req.needs_client_driver
        elif failed:
            verdict = failure_verdict(req.strength, req.id, strict, baseline)
            entry["evidence"] = [{"test": t.nodeid, "message": t.message, "reproduce": t.reproduce} for t in failed]
        elif any(t.outcome == "kit-error" for t in tests):
            verdict = KIT_ERROR
            entry["evidence"] = [{"test": t.nodeid, "message": t.message} for t in tests if t.outcome == "kit-error"]
        elif tests and all(t.outcome == "capability-absent" for t in tests):
            verdict = CAPABILITY_ABSENT
        elif any(t.outcome == "passed" for t in tests):
            verdict = STALE_BASELINE if req.id in baseline else PASS
            entry["evidence"] = [{"test": t.nodeid} for t in tests if t.outcome == "passed"]
        elif any(t.outcome == "inconclusive" for t in tests):
            verdict = INCONCLUSIVE
            entry["evidence"] = [{"test": t.nodeid, "message": t.message} for t in tests if t.outcome == "inconclusive"]
        else:
            verdict = NOT_RUN
        if req.id in baseline:
            entry["baseline_reason"] = baseline.reasons[req.id]
        entry["verdict"] = verdict
        verdicts[req.id] = entry
    return verdicts


def gate(verdicts: dict[str, dict]) -> bool:
    return not any(v["verdict"] in GATE_FAILING for v in verdicts.values())
