"""The oracle's building blocks: Finding, Judgement, Check, describe/short, and one test's Evidence statuses."""

import pytest
from oracle_fakes import Msg

from nameko_conformance.oracle.evidence import (FAILED, INCONCLUSIVE, MASKED, NOT_EXAMINED, PASSED, Evidence,
                                                ObservationMissing)
from nameko_conformance.oracle.model import MASKED_PREFIX, Check, Finding, Judgement, combine, describe, short


def test_finding_message_and_dict():
    finding = Finding("RPC-REPLY-1", "RPC-REPLY-1/x", "this", "that", ({"a": 1},))
    assert finding.message == "RPC-REPLY-1: expected this, saw that"
    assert finding.to_dict() == {"requirement": "RPC-REPLY-1", "code": "RPC-REPLY-1/x", "expected": "this",
                                 "observed": "that", "message": "RPC-REPLY-1: expected this, saw that",
                                 "messages": [{"a": 1}]}


def test_judgement_defaults_and_queries():
    empty = Judgement()
    assert empty.ok and empty.examined == frozenset() and empty.findings == () and empty.value is None
    assert empty.inconclusive == () and empty.codes() == [] and not empty.failed("X")
    judgement = Judgement(frozenset({"A"}), (Finding("A", "A/s", "e", "o"),))
    assert not judgement.ok and judgement.failed("A") and not judgement.failed("B")
    assert judgement.codes() == ["A/s"]


def test_check_examines_flattened_ids_and_skips_empty_ones():
    judgement = Check("A", ("B", ["C", ""]), None).examine(("D",), "E").done(42)
    assert judgement.examined == {"A", "B", "C", "D", "E"}
    assert judgement.value == 42 and judgement.ok


def test_check_fail_records_requirement_code_and_described_messages():
    message = Msg(body=b"x")
    check = Check("A")
    assert check.ok
    returned = check.fail("B", "slug", "exp", "obs", message, None)
    assert returned is check and not check.ok
    judgement = check.done()
    assert judgement.examined == {"A", "B"}
    (finding,) = judgement.findings
    assert (finding.requirement, finding.code, finding.expected, finding.observed) == ("B", "B/slug", "exp", "obs")
    assert finding.messages == (describe(message),)


def test_check_fail_under_several_ids_is_judged_under_the_first():
    judgement = Check().fail(("C", "D"), "s", "e", "o").done()
    assert judgement.codes() == ["C/s"] and judgement.examined == {"C"}


def test_undecided_and_masked_take_the_requirement_out_of_examined():
    check = Check("A", "B").undecided("A", "why").masked("B", "X/y")
    check.examine("A")  # examined again later: still undecided
    judgement = check.done()
    assert judgement.examined == frozenset()
    assert judgement.inconclusive == (("A", "why"), ("B", MASKED_PREFIX + "X/y"))
    assert MASKED_PREFIX == "masked by "


def test_merge_takes_everything_and_returns_the_value():
    inner = Check("A").fail("A", "s", "e", "o").undecided("B", "w").done("v")
    outer = Check("C")
    assert outer.merge(inner) == "v"
    judgement = outer.done()
    assert judgement.examined == {"A", "C"} and judgement.codes() == ["A/s"]
    assert judgement.inconclusive == (("B", "w"),)


def test_combine():
    a = Check("A").done()
    b = Check("B").fail("B", "s", "e", "o").done()
    combined = combine([a, b])
    assert combined.examined == {"A", "B"} and combined.codes() == ["B/s"] and combined.value is None
    assert combine([]) == Judgement()


def test_describe_keeps_a_dict_and_pictures_a_message():
    given = {"k": 1}
    assert describe(given) is given
    message = Msg(exchange="", routing_key="k", properties={"a": 1, "b": None}, headers={"h": 2}, body="é",
                  via="v", direction="received", routed_queues=("q1", "q2"))
    assert describe(message) == {"direction": "received", "via": "v", "exchange": "", "routing_key": "k",
                                 "routed_queues": ["q1", "q2"], "properties": {"a": 1}, "headers": {"h": 2},
                                 "body_text": "é"}


def test_describe_bounds_the_body_and_base64s_undecodable_bytes():
    big = describe(Msg(body=b"a" * 3000, headers=None, routed_queues=[]))
    assert big["body_text"] == "a" * 2048 and big["body_truncated"] == "3000 bytes, first 2048 kept"
    assert "headers" not in big and big["routed_queues"] == [] and big["exchange"] == "nameko-rpc"
    exact = describe(Msg(body=b"a" * 2048))
    assert "body_truncated" not in exact
    raw = describe(Msg(body=b"\xff\x00"))
    assert raw["body_base64"] == "/wA=" and "body_text" not in raw
    assert describe(object()) == {"properties": {}, "body_text": ""}
    assert "via" not in describe(Msg(via="", direction="")) and "direction" not in describe(Msg(direction=""))
    assert describe(Msg(body=None, properties=None))["body_text"] == ""
    assert describe(Msg(body="\ud800"))["body_base64"] == "7aCA"


def test_short_bounds_a_repr():
    assert short("ab") == "'ab'"
    assert short("x" * 158) == repr("x" * 158)
    long = short("x" * 159)
    assert long == repr("x" * 159)[:160] + "… (161 chars)"
    assert short([1, 2, 3], limit=5) == "[1, 2… (9 chars)"


# --- Evidence ---------------------------------------------------------------------------------------------------

def test_apply_records_and_returns_the_value_without_duplicating_findings():
    evidence = Evidence(cited=("A",))
    judgement = Check("A", "B").fail("A", "s", "e", "o").undecided("C", "first").done("value")
    assert evidence.apply(judgement) == "value"
    evidence.apply(judgement)
    evidence.apply(Check().undecided("C", "second").done())
    assert evidence.examined == {"A", "B"} and [f.code for f in evidence.findings] == ["A/s"]
    assert evidence.inconclusive == {"C": "first"}


def test_need_returns_the_value_or_stops_the_test():
    evidence = Evidence()
    assert evidence.need(0, "zero") == 0
    with pytest.raises(ObservationMissing) as raised:
        evidence.need(None, "the reply", ["A", "B"])
    assert raised.value.what == "the reply" and raised.value.requirements == ("A", "B")
    assert str(raised.value) == "the reply"
    assert ObservationMissing("w").requirements == ()


def test_undecided_takes_one_id_or_several_and_keeps_the_first_reason():
    evidence = Evidence()
    evidence.undecided("AB-1", "one")
    evidence.undecided(["AB-1", "C"], "two")
    assert evidence.inconclusive == {"AB-1": "one", "C": "two"}


def test_statuses_of_every_kind():
    evidence = Evidence(cited=("P", "F", "I", "M", "N"))
    evidence.apply(Check("P", "F").fail("F", "s", "e", "o").fail("F", "t", "e2", "o2").done())
    evidence.apply(Check().undecided("I", "cannot tell").masked("M", "F/s").done())
    assert evidence.statuses() == {
        "P": (PASSED, ""), "F": (FAILED, "F: expected e, saw o"), "I": (INCONCLUSIVE, "cannot tell"),
        "M": (MASKED, "masked by F/s"), "N": (NOT_EXAMINED, "the test reached no check of it")}


def test_statuses_list_cited_first_then_what_else_was_judged():
    evidence = Evidence(cited=("Z",))
    evidence.apply(Check("B", "A").fail("D", "s", "e", "o").undecided("C", "w").done())
    assert list(evidence.statuses()) == ["Z", "A", "B", "D", "C"]


def test_a_stopped_test_masks_what_it_cites_after_a_finding_else_leaves_it_not_examined():
    stopped = Evidence(cited=("A", "B"))
    stopped.stop("no reply")
    assert stopped.statuses() == {"A": (NOT_EXAMINED, "no reply"), "B": (NOT_EXAMINED, "no reply")}
    stopped.apply(Check("A").fail("A", "s", "e", "o").done())
    assert stopped.statuses()["B"] == (MASKED, "masked by A/s: A: expected e, saw o")
    assert stopped.stopped == "no reply"
    unstopped = Evidence(cited=("A", "B"))
    unstopped.apply(Check("A").fail("A", "s", "e", "o").done())
    assert unstopped.statuses()["B"] == (NOT_EXAMINED, "the test reached no check of it")


def test_status_names():
    assert (PASSED, FAILED, INCONCLUSIVE, NOT_EXAMINED, MASKED) == (
        "passed", "failed", "inconclusive", "not examined", "masked")
