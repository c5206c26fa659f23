"""The run-level judgements: what the readiness echo brought back, a refused declaration, liveness; and the bounds
on what the kit keeps of a hostile target's traffic (trace records)."""

from nameko_conformance.oracle.reply import DEFAULT_CATCHER
from nameko_conformance.oracle.session import STRAY_CATCHER, Liveness, readiness, refused_declaration
from nameko_conformance.trace import MAX_TRACE_BODY, MAX_TRACE_HEAD, MAX_TRACE_TAIL, Seen, Trace

KEY, EXCHANGE, ECHO = "reply-key-1", "nameko-rpc", "corr-echo"


def reply(correlation_id=ECHO, via="reply queue", exchange=EXCHANGE, key=KEY, body=b'{"result": 1, "error": null}'):
    return Seen("received", exchange, key, {"correlation_id": correlation_id}, None, body, via)


def codes(judgement):
    return [f.code for f in judgement.findings]


def test_a_correct_readiness_reply_is_accepted_without_findings():
    judgement = readiness([reply()], KEY, EXCHANGE, {ECHO})
    assert judgement.value is not None and codes(judgement) == []


def test_nothing_arrived_means_not_serving_yet():
    judgement = readiness([], KEY, EXCHANGE, {ECHO})
    assert judgement.value is None and codes(judgement) == []


def test_a_reply_through_the_default_exchange_is_accepted_and_is_rpc_reply_1():
    judgement = readiness([reply(via=DEFAULT_CATCHER, exchange="")], KEY, EXCHANGE, {ECHO})
    assert judgement.value is not None
    assert codes(judgement) == ["RPC-REPLY-1/wrong-exchange"]


def test_a_reply_on_another_key_is_accepted_and_is_rpc_reply_1():
    judgement = readiness([reply(via=STRAY_CATCHER, key="elsewhere")], KEY, EXCHANGE, {ECHO})
    assert judgement.value.routing_key == "elsewhere"
    assert codes(judgement) == ["RPC-REPLY-1/wrong-routing-key"]
    assert "RPC-REPLY-1" in judgement.examined


def test_the_catch_all_copy_of_a_correct_reply_is_no_finding():
    judgement = readiness([reply(via=STRAY_CATCHER)], KEY, EXCHANGE, {ECHO})
    assert judgement.value is not None and codes(judgement) == []


def test_a_reply_with_an_unknown_correlation_id_is_accepted_and_is_rpc_reply_2():
    judgement = readiness([reply(correlation_id="invented")], KEY, EXCHANGE, {ECHO})
    assert judgement.value is not None
    assert codes(judgement) == ["RPC-REPLY-2/wrong-correlation-id"]


def test_other_services_traffic_through_the_catch_all_is_not_an_answer():
    judgement = readiness([reply(correlation_id="someone-else", via=STRAY_CATCHER, key="other.method")], KEY,
                          EXCHANGE, {ECHO})
    assert judgement.value is None and codes(judgement) == []


def test_kit_requests_are_ignored():
    sent = Seen("sent", EXCHANGE, "svc.echo", {"correlation_id": ECHO}, None, b"{}")
    assert readiness([sent], KEY, EXCHANGE, {ECHO}).value is None


PIKA_REFUSAL = ("pika.exceptions.ChannelClosedByBroker: (406, \"PRECONDITION_FAILED - inequivalent arg 'durable' "
                "for exchange 'nameko-rpc' in vhost '/': received 'false' but current is 'true'\")")


def test_a_refused_declaration_of_the_rpc_exchange_in_the_output_is_topo_2():
    judgement = refused_declaration("starting\n" + PIKA_REFUSAL + "\n", "nameko-rpc")
    assert codes(judgement) == ["TOPO-2/refused-declare"]
    assert "durable" in judgement.findings[0].observed


def test_a_refusal_about_another_exchange_or_none_examines_nothing():
    assert refused_declaration(PIKA_REFUSAL, "other-rpc").examined == frozenset()
    assert refused_declaration("Traceback: ConnectionRefusedError", "nameko-rpc").findings == ()
    assert refused_declaration("", "nameko-rpc").findings == ()


def test_liveness_silence_ends_after_consecutive_unanswered_waits():
    liveness = Liveness(consecutive=2, total=4)
    assert liveness.timed_out("a", 10) is None
    reason = liveness.timed_out("b", 10)
    assert reason and "went silent" in reason and not liveness.responsive


def test_liveness_an_answer_resets_the_streak_but_drops_add_up():
    liveness = Liveness(consecutive=2, total=4)
    for what in "abc":
        assert liveness.timed_out(what, 10) is None
        liveness.answered()
    assert "drops replies" in liveness.timed_out("d", 10)
    assert liveness.timed_out("e", 10) is None  # said once


def test_liveness_never_served():
    liveness = Liveness()
    liveness.never_served("refused")
    assert not liveness.responsive and "never served" in liveness.reason


def test_trace_keeps_a_bounded_copy_of_a_huge_body_with_size_and_digest():
    trace = Trace()
    huge = reply(body=b"x" * (5 * 1024 * 1024))
    assert trace.add(huge) is huge  # the caller keeps the message itself
    kept = trace.messages[0]
    assert len(kept.body) == MAX_TRACE_BODY and kept.truncated and kept.body_size == 5 * 1024 * 1024
    entry = trace.to_dicts()[0]
    assert len(entry["body_text"]) == MAX_TRACE_BODY and "5242880 bytes" in entry["body_truncated"]
    assert str(5 * 1024 * 1024) in kept.summary()


def test_trace_keeps_the_first_and_last_messages_of_a_flood():
    trace = Trace()
    for n in range(MAX_TRACE_HEAD + MAX_TRACE_TAIL + 1000):
        trace.add(reply(correlation_id=str(n)))
    assert len(trace.messages) == MAX_TRACE_HEAD and len(trace.tail) == MAX_TRACE_TAIL
    assert trace.omitted == 1000
    entries = trace.to_dicts()
    assert len(entries) == MAX_TRACE_HEAD + MAX_TRACE_TAIL + 1
    assert "1000 messages omitted" in entries[MAX_TRACE_HEAD]["note"]
    assert entries[-1]["properties"]["correlation_id"] == str(MAX_TRACE_HEAD + MAX_TRACE_TAIL + 999)
    assert "earlier messages omitted" in trace.render()


def test_broker_witness_bounds_a_flood_and_huge_bodies():
    from nameko_conformance.capture.wire import WireMessage
    from nameko_conformance.trace import MAX_BROKER_BODY, MAX_BROKER_PUBLISHES, BrokerWitness

    class Source:
        def __init__(self):
            self.batches = [[], [WireMessage("nameko-rpc", "k", {}, None, b"x" * (MAX_BROKER_BODY + 10))],
                            [WireMessage("nameko-rpc", "k", {}, None, b"{}")] * (MAX_BROKER_PUBLISHES + 5)]

        def drain(self):
            return self.batches.pop(0) if self.batches else []

    witness = BrokerWitness(Source(), "svc")  # the first drain is what earlier tests left
    witness.poll()
    assert len(witness.publishes[0].body) == MAX_BROKER_BODY
    witness.poll()
    assert len(witness.publishes) == MAX_BROKER_PUBLISHES and witness.omitted == 6
