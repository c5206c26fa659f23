"""The verdict model: levels, strictness and baselines turn test outcomes into requirement verdicts."""

from nameko_conformance.baseline import Baseline
from nameko_conformance.registry import load_registry
from nameko_conformance.uri import mask, parse_target
from nameko_conformance.verdicts import TestResult, gate, requirement_verdicts


def verdict_of(req_id, outcome, strict=False, baseline=Baseline.empty()):
    failing = (req_id,) if outcome == "failed" else ()
    result = TestResult("t::x", (req_id,), outcome, failing=failing)
    return requirement_verdicts(load_registry(), [result], strict, baseline)[req_id]["verdict"]


def test_must_failure_fails_and_should_failure_is_non_strict():
    assert verdict_of("RPC-REPLY-1", "failed") == "fail"
    assert verdict_of("RPC-REPLY-7", "failed") == "non-strict"
    assert verdict_of("RPC-REPLY-7", "failed", strict=True) == "fail"
    assert verdict_of("CTX-13", "failed") == "informational"


def test_baseline_tolerates_failures_and_rots_loudly():
    baseline = Baseline("b.json", {"RPC-REPLY-1": "known"})
    assert verdict_of("RPC-REPLY-1", "failed", baseline=baseline) == "known deviation"
    assert verdict_of("RPC-REPLY-1", "passed", baseline=baseline) == "stale baseline"
    registry = load_registry()
    verdicts = requirement_verdicts(registry, [TestResult("t", ("RPC-REPLY-1",), "passed")], False, baseline)
    assert gate(verdicts) is False


def test_driver_requirements_are_not_covered_rather_than_passed():
    assert verdict_of("RPC-CALL-4", "capability-absent") == "capability absent"
    verdicts = requirement_verdicts(load_registry(), [], False, Baseline.empty())
    assert verdicts["RPC-CALL-4"]["verdict"] == "not covered: needs client driver"


def test_target_uri_masks_password_and_splits_kit_keys():
    target = parse_target("amqp://u:s3cret@127.0.0.1:5672/%2F?service=svc&heartbeat=5&capabilities=server")
    assert target.service == "svc" and target.capabilities == {"server"}
    assert "heartbeat=5" in target.broker_uri and "service" not in target.broker_uri
    assert "s3cret" not in target.masked and "s3cret" not in mask("x amqp://u:s3cret@h/ y")
