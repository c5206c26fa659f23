"""Chapter 17 checks (oracle/robustness.py) and the transient-queue rule (topology.no_transient_shared_queues)."""

import json

import pytest
from oracle_fakes import Declared, Msg, summary

from nameko_conformance.oracle import robustness as rb
from nameko_conformance.oracle import topology as t

EMPTY = Declared(True, message_count=0, consumer_count=1)


def test_read_anything():
    assert summary(rb.read_anything(True, EMPTY, "rpc-s")) == (["CONN-10"], [], [])
    stopped = rb.read_anything(False, EMPTY, "rpc-s")
    assert summary(stopped) == (["CONN-10"], ["CONN-10/stopped-serving"], [])
    assert (stopped.findings[0].expected, stopped.findings[0].observed) == (
        "the server serving on after hostile deliveries", "no correct reply to a later echo")
    left = rb.read_anything(True, Declared(True, message_count=3), "rpc-s")
    assert summary(left) == (["CONN-10"], ["CONN-10/left-in-queue"], [])
    assert (left.findings[0].expected, left.findings[0].observed) == (
        "every hostile delivery answered or acknowledged (rpc-s empty)", "rpc-s holds 3 messages")
    both = rb.read_anything(False, Declared(True, message_count=1), "rpc-s")
    assert both.codes() == ["CONN-10/stopped-serving", "CONN-10/left-in-queue"]


def test_read_anything_without_the_queue_state():
    unknown = rb.read_anything(True, Declared(False, 404, "NOT_FOUND"), "rpc-s")
    assert summary(unknown) == ([], [], ["CONN-10"])
    assert unknown.inconclusive[0][1] == "the kit could not inspect rpc-s (404 NOT_FOUND)"
    assert summary(rb.read_anything(True, None, "rpc-s")) == ([], [], ["CONN-10"])
    # A target that stopped serving fails whatever the queue shows.
    stopped = rb.read_anything(False, None, "rpc-s")
    assert stopped.codes() == ["CONN-10/stopped-serving"] and stopped.inconclusive[0][0] == "CONN-10"


def body(value):
    return Msg(body=json.dumps(value).encode())


def test_bounded_nesting_wants_a_malformed_request_error():
    malformed = {"result": None, "error": {"exc_type": "MalformedRequest", "exc_path": "nameko.exceptions."
                                           "MalformedRequest", "exc_args": [], "value": ""}}
    assert summary(rb.bounded_nesting(body(malformed), 5000)) == (["CONN-13"], [], [])
    other = rb.bounded_nesting(body({"result": None, "error": {"exc_type": "ValueError"}}), 5000)
    assert summary(other) == (["CONN-13"], ["CONN-13/unbounded-nesting"], [])
    assert other.findings[0].expected == "a MalformedRequest error reply to a body nested 5000 deep"
    assert other.findings[0].observed == "error 'ValueError'" and len(other.findings[0].messages) == 1
    result = rb.bounded_nesting(body({"result": [[1]], "error": None}), 10)
    assert result.codes() == ["CONN-13/unbounded-nesting"]
    assert result.findings[0].observed == "a result (the body was decoded)"
    not_object = rb.bounded_nesting(body([1, 2]), 10)
    assert not_object.findings[0].observed == "[1, 2]"
    long = rb.bounded_nesting(body("x" * 100), 10)
    assert long.findings[0].observed == repr("x" * 100)[:60] + f"… ({len(repr('x' * 100))} chars)"
    no_type = rb.bounded_nesting(body({"error": {}}), 10)
    assert no_type.findings[0].observed == "error None"


def test_bounded_nesting_reads_an_echo_of_the_nesting_leniently():
    echoed = Msg(body=("[" * 100000 + "]" * 100000).encode())
    judgement = rb.bounded_nesting(echoed, 100000)
    assert judgement.codes() == ["CONN-13/unbounded-nesting"]
    assert judgement.findings[0].observed == "'an echo of the nesting'"


def test_bounded_nesting_leaves_an_undecodable_reply_to_the_reply_checks():
    for raw in (b"{", b"\xff"):
        judgement = rb.bounded_nesting(Msg(body=raw), 10)
        assert summary(judgement) == ([], [], ["CONN-13"])
        assert judgement.inconclusive[0][1].endswith("; RPC-REPLY-3 judges that")
        assert judgement.inconclusive[0][1].startswith("the reply is not JSON (")
    reason = rb.bounded_nesting(Msg(body=b" " * 100000 + b"{x"), 10).inconclusive[0][1]
    with pytest.raises(ValueError) as raised:
        json.loads(" " * 100000 + "{x")
    assert len(str(raised.value)) > 80
    assert reason == f"the reply is not JSON ({str(raised.value)[:80]}); RPC-REPLY-3 judges that"
    assert rb.bounded_nesting(Msg(body=bytearray(b'{"error": {"exc_type": "MalformedRequest"}}')), 1).ok


# --- TOPO-10 ----------------------------------------------------------------------------------------------------

DURABLE = {"durable": True, "exclusive": False}


def test_no_transient_shared_queues():
    undecided = t.no_transient_shared_queues(None, "svc")
    assert summary(undecided) == ([], [], ["TOPO-10"])
    assert undecided.inconclusive[0][1] == "queue flags need the broker's own list of queues (--broker private)"
    listed = {"rpc-svc": DURABLE, "evt-src-t--svc.m": DURABLE, "rpc.reply-svc-x": {"durable": False,
                                                                                   "exclusive": True},
              "other-queue": {"durable": False, "exclusive": False},
              "conformance-kit.svc.x": {"durable": False, "exclusive": False},
              "rpc-svc_probe-1": {"durable": False, "exclusive": False}}
    assert summary(t.no_transient_shared_queues(listed, "svc")) == (["TOPO-10"], [], [])
    assert summary(t.no_transient_shared_queues({}, "svc")) == (["TOPO-10"], [], [])


def test_transient_shared_queues_are_listed_sorted():
    listed = {"rpc-svc": {"durable": False, "exclusive": False}, "evt-svc-x": {},
              "rpc.reply-svc-1": {"durable": False, "exclusive": True}}
    judgement = t.no_transient_shared_queues(listed, "svc")
    assert summary(judgement) == (["TOPO-10"], ["TOPO-10/transient-shared-queue"], [])
    assert judgement.findings[0].expected == "no queue both non-durable and non-exclusive"
    assert judgement.findings[0].observed == "['evt-svc-x', 'rpc-svc']"
