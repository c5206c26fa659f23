"""The fuzzer's use of the oracle, offline: every reply it sees is judged like a reply of the regular suite
(routing, correlation, content type, envelope), the runner keeps what was examined, and a finding ends the example
with its stable code."""

import json
from types import SimpleNamespace

import pytest

from nameko_conformance.fuzz.properties import judge_reply
from nameko_conformance.fuzz.runner import ExampleContext, FuzzFailure, FuzzReport, _reported
from nameko_conformance.messages import MessageFactory
from nameko_conformance.oracle.model import Check
from nameko_conformance.oracle.reply import DEFAULT_CATCHER
from nameko_conformance.trace import Seen

EXCHANGE = "nameko-rpc"
REPLY_KEY = "5a7e2c1d-3b4f-4e6a-8c9d-0f1e2d3c4b5a"
LINK = SimpleNamespace(reply_key=REPLY_KEY, rpc_exchange=EXCHANGE)
FACTORY = MessageFactory("svc", EXCHANGE, REPLY_KEY)
REPLY_CHECKS = {"RPC-REPLY-1", "RPC-REPLY-2", "RPC-REPLY-3", "RPC-REPLY-6", "SER-1", "SER-3", "SER-7", "SER-8"}


def reply_to(out, body=b'{"result": 1, "error": null}', exchange=EXCHANGE, key=REPLY_KEY, via="fuzz reply queue",
             **props):
    properties = {"content_type": "application/json", "correlation_id": out.correlation_id}
    properties.update(props)
    return Seen("received", exchange, key, properties, {}, body, via)


def codes(judgement):
    return sorted(judgement.codes())


def test_a_good_reply_passes_every_reply_check():
    out = FACTORY.request("echo", [1])
    judgement = judge_reply(LINK, out, reply_to(out))
    assert codes(judgement) == [] and judgement.examined == REPLY_CHECKS


@pytest.mark.parametrize("reply_kwargs, expected", [
    ({"exchange": "", "via": DEFAULT_CATCHER}, ["RPC-REPLY-1/wrong-exchange"]),
    ({"key": "other"}, ["RPC-REPLY-1/wrong-routing-key"]),
    ({"correlation_id": "someone-else"}, ["RPC-REPLY-2/wrong-correlation-id"]),
    ({"content_type": "text/plain"}, ["RPC-REPLY-6/content-type"]),
    ({"body": b'{"result": 1}'}, ["RPC-REPLY-3/envelope-members"]),
    ({"body": b"not json"}, ["SER-1/not-json"]),
])
def test_each_reply_fault_is_found_with_its_code(reply_kwargs, expected):
    out = FACTORY.request("echo", [1])
    judgement = judge_reply(LINK, out, reply_to(out, **reply_kwargs))
    assert codes(judgement) == expected
    assert judgement.examined >= {"RPC-REPLY-1", "RPC-REPLY-2", "RPC-REPLY-6"}


def test_a_tagged_object_echoed_back_is_not_charged_to_ser_8():
    tagged = {"__type__": "datetime", "__value__": "2020-01-02"}
    out = FACTORY.request("echo", body=json.dumps({"args": [tagged], "kwargs": {}}).encode())
    body = json.dumps({"result": {"args": [tagged], "kwargs": {}}, "error": None}).encode()
    judgement = judge_reply(LINK, out, reply_to(out, body=body))
    assert codes(judgement) == [] and "SER-8" not in judgement.examined


def test_a_tagged_object_the_target_makes_up_is_charged_to_ser_8():
    out = FACTORY.request("echo", [1])
    body = json.dumps({"result": {"__type__": "datetime", "__value__": "x"}, "error": None}).encode()
    assert codes(judge_reply(LINK, out, reply_to(out, body=body))) == ["SER-8/tagged-object"]


def test_the_context_keeps_what_was_examined_and_raises_at_a_finding():
    context = ExampleContext()
    assert context.judge(Check("A").done(42)) == 42
    with pytest.raises(FuzzFailure) as raised:
        context.judge(Check("B").fail("B", "slug", "e", "o").done())
    assert raised.value.judgement.codes() == ["B/slug"] and raised.value.requirements == ("B",)
    assert context.examined == {"A", "B"}


def test_a_soft_finding_is_kept_once_and_the_search_goes_on():
    context = ExampleContext()
    context.judge(Check().fail("SER-5", "echo-changed", "e", "o1").done(), soft=True)
    context.judge(Check().fail("SER-5", "echo-changed", "e", "o2").done(), soft=True)
    assert len(context.should_failures) == 1
    assert context.should_failures[0][0].judgement.findings[0].observed == "o1"


def test_a_report_passes_only_what_was_examined():
    report = FuzzReport(3, 1.0, None, False, frozenset({"RPC-REPLY-1"}), (("MAL-4", "no case"),))
    judgement = report.judgement()
    assert judgement.examined == {"RPC-REPLY-1"} and dict(judgement.inconclusive) == {"MAL-4": "no case"}


def test_a_reported_failure_keeps_codes_and_names_the_saved_example(tmp_path):
    context = ExampleContext(examined={"RPC-REPLY-2"})
    failure = FuzzFailure(Check().fail("RPC-REPLY-1", "wrong-exchange", "e", "o").done())
    out = FACTORY.request("echo", [1])
    reported = _reported("echo round trip", failure, out, "success", None, tmp_path, ["--target-cmd", "x"], context)
    finding = reported.judgement.findings[0]
    assert finding.code == "RPC-REPLY-1/wrong-exchange"
    assert "replay: nameko-conformance replay" in finding.observed and str(tmp_path) in finding.observed
    assert reported.judgement.examined == {"RPC-REPLY-1", "RPC-REPLY-2"}
    saved = list(tmp_path.glob("*.json"))
    assert len(saved) == 1 and json.loads(saved[0].read_text())["requirements"] == ["RPC-REPLY-1"]


def test_nesting_depth():
    from nameko_conformance.fuzz.properties import nesting_depth

    assert nesting_depth(1) == 0 and nesting_depth([]) == 1 and nesting_depth({"a": [1, {"b": []}]}) == 4
    deep = 0
    for _ in range(5000):
        deep = [deep]
    assert nesting_depth(deep) == 5000


def test_a_deep_body_refused_with_malformed_request_is_conn_13_not_an_echo_failure():
    from nameko_conformance.fuzz.properties import _judge_echo

    deep = 0
    for _ in range(40):
        deep = [deep]
    out = FACTORY.request("echo", [deep])
    refusal = json.dumps({"result": None, "error": {"exc_type": "MalformedRequest", "exc_path":
                          "nameko.exceptions.MalformedRequest", "exc_args": [], "value": "too deep"}}).encode()
    context = ExampleContext()
    _judge_echo({"args": [deep], "kwargs": {}}, out.body, reply_to(out, body=refusal), context)
    assert context.examined == {"CONN-13"}
    with pytest.raises(FuzzFailure) as raised:
        _judge_echo({"args": [1], "kwargs": {}}, b"{}", reply_to(out, body=refusal), ExampleContext())
    assert raised.value.judgement.codes() == ["TESTEE-2/echo-not-success"]
