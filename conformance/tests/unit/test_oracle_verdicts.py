"""Run-level verdicts (oracle/verdicts.py): every verdict kind, baselines by code and by pattern, stale entries, the
gate. A small registry stands in for the spec's, so each case names exactly the requirement it is about."""

from dataclasses import dataclass

from nameko_conformance.baseline import Baseline, Entry
from nameko_conformance.oracle import verdicts as v
from nameko_conformance.oracle.evidence import FAILED, INCONCLUSIVE, MASKED, NOT_EXAMINED, PASSED


@dataclass
class Req:
    id: str
    strength: str = "MUST"
    level: str = "core"
    role: str = "server"
    chapter: str = "03"
    text: str = "the text"
    testable: bool = True
    untestable_reason: str = ""
    needs_client_driver: str = ""


@dataclass
class Registry:
    requirements: dict


def registry(*reqs):
    return Registry({r.id: r for r in reqs})


def finding(req, slug="x", message=None):
    return {"requirement": req, "code": f"{req}/{slug}", "message": message or f"{req}: expected a, saw b"}


def result(nodeid, statuses=None, findings=(), outcome="failed", requirements=(), message="", reproduce=""):
    statuses = statuses or {}
    return v.TestResult(nodeid, tuple(requirements) or tuple(statuses), outcome, dict(statuses), list(findings),
                        message, reproduce=reproduce)


def verdict(req, *results, strict=False, baseline=None):
    return v.requirement_verdicts(registry(req), results, strict, baseline)[req.id]


def test_test_result():
    r = result("t", {"A": (FAILED, "")}, [finding("A", "x"), finding("A", "y"), finding("B")])
    assert r.failing == ("A", "B") and r.__test__ is False
    assert r.trace == [] and r.duration == 0.0


def test_pass_only_from_an_examination():
    entry = verdict(Req("A"), result("t1", {"A": (PASSED, "")}, outcome="passed"),
                    result("t2", {"A": (NOT_EXAMINED, "later")}))
    assert entry["verdict"] == v.PASS and entry["why"] == "" and entry["findings"] == []
    assert entry["tests"] == ["t1", "t2"] and entry["examined_by"] == ["t1"]
    assert (entry["level"], entry["role"], entry["chapter"], entry["text"]) == ("core", "server", "03", "the text")
    assert "baseline" not in entry


def test_fail_by_strength_and_strictness():
    failed = result("t", {"A": (FAILED, "m")}, [finding("A")], reproduce="run it")
    assert verdict(Req("A"), failed)["verdict"] == v.FAIL
    assert verdict(Req("A", "SHOULD"), failed)["verdict"] == v.NON_STRICT
    assert verdict(Req("A", "SHOULD"), failed, strict=True)["verdict"] == v.FAIL
    assert verdict(Req("A", "MAY"), failed)["verdict"] == v.INFORMATIONAL
    assert verdict(Req("A", "MAY"), failed, strict=True)["verdict"] == v.INFORMATIONAL
    entry = verdict(Req("A"), failed, result("t2", {"A": (PASSED, "")}, outcome="passed"))
    assert entry["verdict"] == v.FAIL and entry["examined_by"] == ["t", "t2"]
    assert entry["findings"] == [dict(finding("A"), test="t", reproduce="run it", accepted_by=None)]


def test_findings_of_other_requirements_and_of_one_test_are_counted_once():
    r = result("t", {"A": (FAILED, ""), "B": (PASSED, "")}, [finding("A"), finding("B")])
    both = v.requirement_verdicts(registry(Req("A"), Req("B")), [r], False, None)
    assert [f["code"] for f in both["A"]["findings"]] == ["A/x"]
    assert both["B"]["verdict"] == v.FAIL  # a finding wins over a passed status
    twice = v.requirement_verdicts(registry(Req("A")), [r, r], False, None)["A"]
    assert len(twice["findings"]) == 1


def test_untestable_needs_driver_and_not_run():
    assert verdict(Req("A", testable=False, untestable_reason="why"))["verdict"] == v.UNTESTABLE
    assert verdict(Req("A", testable=False, untestable_reason="why"))["why"] == "why"
    untestable = verdict(Req("A", testable=False), result("t", {"A": (FAILED, "")}, [finding("A")]))
    assert untestable["verdict"] == v.UNTESTABLE and untestable["why"] == ""
    driver = verdict(Req("A", needs_client_driver="a client driver"))
    assert (driver["verdict"], driver["why"]) == (v.NEEDS_DRIVER, "a client driver")
    assert (verdict(Req("A"))["verdict"], verdict(Req("A"))["why"]) == (v.NOT_RUN, "no test of this run cites it")


def test_statuses_without_findings_in_order_of_precedence():
    def of(*rows):
        return verdict(Req("A"), *[result(f"t{n}", {"A": row}) for n, row in enumerate(rows)])

    entry = of((NOT_EXAMINED, "n"), (MASKED, "m"), (INCONCLUSIVE, "i"))
    assert (entry["verdict"], entry["why"]) == (v.INCONCLUSIVE_V, "i")
    assert (of((NOT_EXAMINED, "n"), (MASKED, "m"))["verdict"], of((MASKED, "m"))["why"]) == (v.MASKED_V, "m")
    assert (of((NOT_EXAMINED, "n"))["verdict"], of((NOT_EXAMINED, "n"))["why"]) == (v.NOT_EXAMINED_V, "n")
    assert of((NOT_EXAMINED, ""), (NOT_EXAMINED, "second"))["why"] == "second"  # the first non-empty reason
    assert of((PASSED, ""), (INCONCLUSIVE, "i"))["verdict"] == v.PASS
    assert of((NOT_EXAMINED, ""))["examined_by"] == []


def test_whole_test_outcomes():
    def whole(outcome, message="because", req=Req("A", needs_client_driver="d")):
        return verdict(req, result("t", outcome=outcome, requirements=("A",), message=message))

    assert (whole(v.TEST_KIT_ERROR)["verdict"], whole(v.TEST_KIT_ERROR)["why"]) == (v.KIT_ERROR, "because")
    assert (whole(v.TEST_ABORTED)["verdict"], whole(v.TEST_ABORTED)["why"]) == (v.NOT_EXAMINED_V, "because")
    absent = whole(v.TEST_CAPABILITY_ABSENT)
    assert (absent["verdict"], absent["why"]) == (v.CAPABILITY_ABSENT, "because")
    assert absent["tests"] == ["t"] and absent["examined_by"] == []
    # Statuses of a whole-test outcome are not read: its cited requirements carry the outcome.
    odd = v.TestResult("t", ("A",), v.TEST_KIT_ERROR, {"A": (PASSED, "")})
    assert verdict(Req("A"), odd)["verdict"] == v.KIT_ERROR
    mixed = verdict(Req("A"), result("t1", outcome=v.TEST_CAPABILITY_ABSENT, requirements=("A",), message="c"),
                    result("t2", {"A": (PASSED, "")}))
    assert mixed["verdict"] == v.PASS
    kit_over_inconclusive = verdict(Req("A"), result("t1", outcome=v.TEST_KIT_ERROR, requirements=("A",),
                                                     message="k"), result("t2", {"A": (INCONCLUSIVE, "i")}))
    assert kit_over_inconclusive["verdict"] == v.KIT_ERROR
    capability_and_not_examined = verdict(
        Req("A"), result("t1", outcome=v.TEST_CAPABILITY_ABSENT, requirements=("A",), message="c"),
        result("t2", {"A": (NOT_EXAMINED, "n")}))
    assert capability_and_not_examined["verdict"] == v.NOT_EXAMINED_V
    aborted_over_not_examined = verdict(Req("A"), result("t1", {"A": (NOT_EXAMINED, "n")}),
                                        result("t2", outcome=v.TEST_ABORTED, requirements=("A",), message="ab"))
    assert (aborted_over_not_examined["verdict"], aborted_over_not_examined["why"]) == (v.NOT_EXAMINED_V, "ab")
    masked_over_aborted = verdict(Req("A"), result("t1", {"A": (MASKED, "m")}),
                                  result("t2", outcome=v.TEST_ABORTED, requirements=("A",), message="ab"))
    assert masked_over_aborted["verdict"] == v.MASKED_V


BASE_CODE = Baseline("b.json", (Entry("A", "known quirk", code="A/x"),))
BASE_PATTERN = Baseline("b.json", (Entry("A", "pattern quirk", pattern=r"saw b$"),))


def test_baseline_accepts_exactly_the_named_behaviour():
    failed = result("t", {"A": (FAILED, "")}, [finding("A", "x")])
    by_code = verdict(Req("A"), failed, baseline=BASE_CODE)
    assert by_code["verdict"] == v.KNOWN_DEVIATION and by_code["why"] == "known quirk"
    assert by_code["findings"][0]["accepted_by"] == "A/x"
    assert by_code["baseline"] == [{"accepts": "A/x", "reason": "known quirk"}]
    by_pattern = verdict(Req("A"), failed, baseline=BASE_PATTERN)
    assert by_pattern["verdict"] == v.KNOWN_DEVIATION and by_pattern["why"] == "pattern quirk"
    assert by_pattern["findings"][0]["accepted_by"] == "/saw b$/"
    other = result("t", {"A": (FAILED, "")}, [finding("A", "y", "A: expected a, saw c")])
    for baseline in (BASE_CODE, BASE_PATTERN):
        entry = verdict(Req("A"), other, baseline=baseline)
        assert entry["verdict"] == v.FAIL and entry["findings"][0]["accepted_by"] is None


def test_baseline_that_accepts_one_finding_of_two_fails_the_requirement():
    two = result("t", {"A": (FAILED, "")}, [finding("A", "x"), finding("A", "y", "A: other")])
    entry = verdict(Req("A"), two, baseline=BASE_CODE)
    assert entry["verdict"] == v.FAIL and [f["accepted_by"] for f in entry["findings"]] == ["A/x", None]
    assert entry["why"] == ""


def test_stale_baseline_entries():
    passed = result("t", {"A": (PASSED, "")}, outcome="passed")
    stale = verdict(Req("A"), passed, baseline=BASE_CODE)
    assert stale["verdict"] == v.STALE_BASELINE
    assert stale["why"] == "the baseline accepts A/x, but the requirement was examined and found right"
    for status, why in ((NOT_EXAMINED, "n"), (INCONCLUSIVE, "i")):
        entry = verdict(Req("A"), result("t", {"A": (status, why)}), baseline=BASE_PATTERN)
        assert entry["verdict"] == v.STALE_BASELINE, status
        assert entry["why"] == f"the baseline accepts /saw b$/, but the run did not examine A: {why}"
    # Masked by another finding, or never reached because the target ended the run: that failure fails the gate;
    # the entry is only said to be unjudged.
    masked = verdict(Req("A"), result("t", {"A": (MASKED, "masked by B/y")}), baseline=BASE_PATTERN)
    assert masked["verdict"] == v.MASKED_V
    assert masked["why"] == "masked by B/y (the baseline's /saw b$/ not judged this run)"
    aborted = verdict(Req("A"), result("t", outcome=v.TEST_ABORTED, requirements=("A",), message="the target exited"),
                      baseline=BASE_PATTERN)
    assert aborted["verdict"] == v.NOT_EXAMINED_V and "not judged this run" in aborted["why"]
    not_cited = verdict(Req("A"), baseline=BASE_CODE)
    assert not_cited["verdict"] == v.NOT_RUN and not_cited["baseline"] == [{"accepts": "A/x", "reason": "known quirk"}]
    absent = verdict(Req("A"), result("t", outcome=v.TEST_CAPABILITY_ABSENT, requirements=("A",), message="c"),
                     baseline=BASE_CODE)
    assert absent["verdict"] == v.CAPABILITY_ABSENT
    kit = verdict(Req("A"), result("t", outcome=v.TEST_KIT_ERROR, requirements=("A",), message="k"),
                  baseline=BASE_CODE)
    assert kit["verdict"] == v.KIT_ERROR


def test_entries_of_one_requirement_are_alternatives_and_the_unseen_ones_are_named():
    baseline = Baseline("b.json", (Entry("A", "one", code="A/x"), Entry("A", "two", code="A/z")))
    entry = verdict(Req("A"), result("t", {"A": (FAILED, "")}, [finding("A", "x")]), baseline=baseline)
    assert entry["verdict"] == v.KNOWN_DEVIATION
    assert entry["unseen"] == ["A/z"] and entry["why"] == "one (not seen this run: A/z)"
    both = verdict(Req("A"), result("t", {"A": (FAILED, "")}, [finding("A", "x"), finding("A", "z")]),
                   baseline=baseline)
    assert both["verdict"] == v.KNOWN_DEVIATION and both["why"] == "one; two" and "unseen" not in both
    # A requirement that fails anyway stays failed: the unmatched entry does not excuse the other finding.
    failing = verdict(Req("A"), result("t", {"A": (FAILED, "")}, [finding("A", "y")]), baseline=baseline)
    assert failing["verdict"] == v.FAIL and "unseen" not in failing
    half = verdict(Req("A"), result("t", {"A": (FAILED, "")}, [finding("A", "x"), finding("A", "y")]),
                   baseline=baseline)
    assert half["verdict"] == v.FAIL


def test_a_baseline_for_another_requirement_changes_nothing():
    entry = verdict(Req("B"), result("t", {"B": (FAILED, "")}, [finding("B", "x")]), baseline=BASE_CODE)
    assert entry["verdict"] == v.FAIL and "baseline" not in entry
    assert verdict(Req("B"), result("t", {"B": (PASSED, "")}), baseline=BASE_CODE)["verdict"] == v.PASS


def test_gate_and_order():
    assert v.gate({}) is True
    for name in (v.FAIL, v.STALE_BASELINE, v.KIT_ERROR):
        assert v.gate({"A": {"verdict": v.PASS}, "B": {"verdict": name}}) is False
    others = (v.PASS, v.NON_STRICT, v.INFORMATIONAL, v.KNOWN_DEVIATION, v.MASKED_V, v.INCONCLUSIVE_V,
              v.NOT_EXAMINED_V, v.CAPABILITY_ABSENT, v.NEEDS_DRIVER, v.UNTESTABLE, v.NOT_RUN)
    assert v.gate({str(n): {"verdict": name} for n, name in enumerate(others)}) is True
    assert v.GATE_FAILING == {"fail", "stale baseline", "kit error"}
    assert v.ORDER[:3] == [v.FAIL, v.STALE_BASELINE, v.KIT_ERROR] and set(v.ORDER) == set(others) | v.GATE_FAILING
    assert (v.PASS, v.FAIL, v.NON_STRICT, v.INFORMATIONAL, v.KNOWN_DEVIATION, v.STALE_BASELINE) == (
        "pass", "fail", "non-strict", "informational", "known deviation", "stale baseline")
    assert (v.CAPABILITY_ABSENT, v.INCONCLUSIVE_V, v.KIT_ERROR, v.MASKED_V, v.NOT_EXAMINED_V) == (
        "capability absent", "inconclusive", "kit error", "masked", "not examined")
    assert (v.TEST_CAPABILITY_ABSENT, v.TEST_KIT_ERROR, v.TEST_ABORTED) == ("capability-absent", "kit-error",
                                                                             "aborted")


def test_every_requirement_of_the_registry_gets_a_verdict():
    reqs = registry(Req("A"), Req("B", "SHOULD"), Req("C", testable=False))
    verdicts = v.requirement_verdicts(reqs, iter([result("t", {"A": (PASSED, "")})]), False, None)
    assert {k: e["verdict"] for k, e in verdicts.items()} == {"A": v.PASS, "B": v.NOT_RUN, "C": v.UNTESTABLE}
    assert v.gate(verdicts) is True


def test_reasons_read_empty_when_no_test_gave_one_and_list_every_entry():
    assert verdict(Req("A"), result("t", {"A": (NOT_EXAMINED, "")}))["why"] == ""
    two = Baseline("b.json", (Entry("A", "one", code="A/x"), Entry("A", "two", pattern="z")))
    passed = verdict(Req("A"), result("t", {"A": (PASSED, "")}), baseline=two)
    assert passed["why"] == "the baseline accepts A/x, /z/, but the requirement was examined and found right"
    unseen = Baseline("b.json", (Entry("A", "one", code="A/x"), Entry("A", "two", code="A/y"),
                                 Entry("A", "three", code="A/w")))
    known = verdict(Req("A"), result("t", {"A": (FAILED, "")}, [finding("A", "x")]), baseline=unseen)
    assert known["why"] == "one (not seen this run: A/y, A/w)" and known["unseen"] == ["A/y", "A/w"]


def test_a_stale_entry_of_an_unexamined_requirement_lists_every_entry():
    two = Baseline("b.json", (Entry("A", "one", code="A/x"), Entry("A", "two", pattern="z")))
    entry = verdict(Req("A"), result("t", {"A": (INCONCLUSIVE, "no list")}), baseline=two)
    assert entry["verdict"] == v.STALE_BASELINE
    assert entry["why"] == "the baseline accepts A/x, /z/, but the run did not examine A: no list"
    assert entry["baseline"] == [{"accepts": "A/x", "reason": "one"}, {"accepts": "/z/", "reason": "two"}]


def test_outside_a_req_selection_an_entry_that_did_not_show_is_not_stale():
    """--req A: B was examined only in passing; its baseline entry (shown by a test not selected) stays quiet,
    while A's own entry is judged as usual."""
    baseline = Baseline("b.json", (Entry("A", "a", code="A/x"), Entry("B", "b", code="B/x")))
    reqs = registry(Req("A"), Req("B"))
    run = [result("t", {"A": (PASSED, ""), "B": (PASSED, "")})]
    verdicts = v.requirement_verdicts(reqs, run, False, baseline, selected={"A"})
    assert verdicts["A"]["verdict"] == v.STALE_BASELINE
    assert verdicts["B"]["verdict"] == v.PASS
    unexamined = v.requirement_verdicts(reqs, [result("t", {"B": (MASKED, "m")})], False, baseline, selected={"A"})
    assert unexamined["B"]["verdict"] == v.MASKED_V
    everything = v.requirement_verdicts(reqs, run, False, baseline)
    assert everything["B"]["verdict"] == v.STALE_BASELINE
