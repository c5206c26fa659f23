"""Broker-side evidence without a broker: which firehose publishes belong to a test, how they are shown, and the
checks that judge them (built from WireMessage values as the firehose decodes them)."""

import pytest

from nameko_conformance.capture.wire import WireMessage
from nameko_conformance.oracle import broker_side
from nameko_conformance.report import mark_evidence_sources
from nameko_conformance.trace import SPY_OBSERVER_NOTE, BrokerWitness, Seen, Trace, relevant_publishes, tie_tokens

SERVICE = "conformance_ab12cd34"
KIT_KEY = "0b7e1f0e-2f4a-4a55-bb1e-9f6c1d2e3a44"
CLIENT_KEY = "7d3c1c55-1b55-4bde-9d7a-0e4b6d7c1a10"


def publish(exchange, key, routed=(), **properties):
    return WireMessage(exchange, key, properties, {}, b'{"args": [], "kwargs": {}}', routed_queues=tuple(routed))


class ReplayedDrains:
    """Replays prepared publishes in batches, as successive drains of the firehose queue hand them out."""

    def __init__(self, *batches):
        self.batches = [list(b) for b in batches]

    def drain(self):
        return self.batches.pop(0) if self.batches else []


def kit_request():
    return Seen("sent", "nameko-rpc", f"{SERVICE}.call", {"correlation_id": "c-1", "reply_to": KIT_KEY}, {}, b"{}")


def test_tokens_are_the_kits_correlation_ids_and_reply_keys():
    assert tie_tokens([kit_request()]) == {"c-1", KIT_KEY}


def test_relevant_publishes_follow_a_nested_call_to_its_reply():
    """The target client's request names the probe service; its reply is tied through the client's own keys."""
    nested = publish("nameko-rpc", f"{SERVICE}_probe.kit_method", [f"rpc-{SERVICE}_probe"],
                     correlation_id="n-1", reply_to=CLIENT_KEY)
    nested_reply = publish("nameko-rpc", CLIENT_KEY, [f"rpc.reply-{SERVICE}-{CLIENT_KEY}"], correlation_id="n-1")
    kit_reply = publish("nameko-rpc", KIT_KEY, [f"conformance-kit.reply-{KIT_KEY}"], correlation_id="c-1")
    other_run = publish("nameko-rpc", "conformance_ffff0000.echo", ["rpc-conformance_ffff0000"],
                        correlation_id="x-9", reply_to="other")
    found = relevant_publishes([nested, other_run, nested_reply, kit_reply], SERVICE, {"c-1", KIT_KEY})
    assert found == [nested, nested_reply, kit_reply]


def test_witness_discards_earlier_traffic_and_keeps_its_own():
    stale, mine = publish("nameko-rpc", f"{SERVICE}.echo"), publish("nameko-rpc", KIT_KEY, correlation_id="c-1")
    witness = BrokerWitness(ReplayedDrains([stale], [mine]), SERVICE)
    assert witness.wait_for(lambda m: m.routing_key == KIT_KEY, timeout=0) is mine
    assert witness.publishes == [mine]


def test_witness_gives_none_when_the_publish_never_shows():
    witness = BrokerWitness(ReplayedDrains(), SERVICE)
    assert witness.wait_for(lambda m: True, timeout=0.05) is None


def test_trace_shows_broker_publishes_with_their_routed_queues():
    trace = Trace()
    trace.add(kit_request())
    misrouted = publish("", KIT_KEY, [KIT_KEY], correlation_id="c-1")
    trace.watch(ReplayedDrains([], [misrouted]), SERVICE)
    text = trace.render_broker()
    assert f"published exchange='' (default exchange) key='{KIT_KEY}' routed_queues=[\"{KIT_KEY}\"]" in text
    assert [m["direction"] for m in trace.to_dicts()] == ["sent", "at broker"]
    assert trace.observer == "firehose"


def test_trace_without_a_firehose_says_how_it_observed():
    trace = Trace()
    assert trace.render_broker() == SPY_OBSERVER_NOTE
    assert trace.observer == "spy" and trace.at_broker() == []


def test_reply_on_the_default_exchange_fails_rpc_reply_1_with_the_broker_record():
    judgement = broker_side.reply_publish(publish("", KIT_KEY, [KIT_KEY]), "nameko-rpc", KIT_KEY)
    assert judgement.codes() == ["RPC-REPLY-1/wrong-destination"]
    assert judgement.findings[0].messages[0]["exchange"] == ""  # the default exchange, shown as such


def test_reply_on_the_rpc_exchange_keyed_by_reply_to_passes():
    judgement = broker_side.reply_publish(publish("nameko-rpc", KIT_KEY, ["q"]), "nameko-rpc", KIT_KEY)
    assert judgement.ok and judgement.examined == {"RPC-REPLY-1"}


def test_reply_publish_is_told_from_its_request_by_routing_key():
    request = publish("nameko-rpc", f"{SERVICE}.echo", correlation_id="c-1")
    reply = publish("nameko-rpc", KIT_KEY, correlation_id="c-1")
    assert not broker_side.is_reply_publish(request, "c-1", f"{SERVICE}.echo")
    assert broker_side.is_reply_publish(reply, "c-1", f"{SERVICE}.echo")


def test_unroutable_reply_needs_a_publish_that_reached_no_queue():
    assert broker_side.unroutable_reply_publish(publish("nameko-rpc", "unbound"), "unbound").ok
    assert broker_side.unroutable_reply_publish(None, "unbound").codes() == \
        ["RPC-REPLY-9/unroutable-reply-not-published"]
    routable = broker_side.unroutable_reply_publish(publish("nameko-rpc", "unbound", ["someone"]), "unbound")
    assert routable.ok and [r for r, _ in routable.inconclusive] == ["RPC-REPLY-8"]


def test_a_routable_unknown_service_is_inconclusive_not_passed():
    judgement = broker_side.unroutable_request(publish("nameko-rpc", f"{SERVICE}_nosuch.anything", ["catch-all"]))
    assert [r for r, _ in judgement.inconclusive] == ["RPC-CALL-1"] and "RPC-CALL-1" not in judgement.examined
    assert broker_side.unroutable_request(publish("nameko-rpc", f"{SERVICE}_nosuch.anything")).inconclusive == ()


def test_client_reply_queue_comes_from_routed_queues():
    queue = f"rpc.reply-{SERVICE}-{CLIENT_KEY}"
    assert broker_side.reply_queue_of(publish("nameko-rpc", CLIENT_KEY, [queue]), CLIENT_KEY).value == queue
    assert broker_side.reply_queue_name(queue, CLIENT_KEY).ok
    assert broker_side.reply_queue_name(f"rpc.reply-my_library-{CLIENT_KEY}", CLIENT_KEY).ok  # any client name
    assert broker_side.reply_queue_of(publish("nameko-rpc", CLIENT_KEY), CLIENT_KEY).codes() == \
        ["RPC-CORR-1/reply-queue-unbound"]
    assert broker_side.reply_queue_name(f"amq.gen-{CLIENT_KEY}", CLIENT_KEY).codes() == ["RPC-CORR-4/reply-queue-name"]


HANDLERS = {"service_pool": "on_ping_pool", "singleton": "on_ping_singleton", "broadcast": "on_ping_broadcast"}


@pytest.mark.parametrize("missing, requirement", [(0, "EVT-5"), (1, "EVT-6"), (2, "EVT-7")])
def test_event_routing_names_each_missing_handler_queue(missing, requirement):
    source = f"{SERVICE}_src"
    queues = [f"evt-{source}-ping--{SERVICE}.on_ping_pool", f"evt-{source}-ping",
              f"evt-{source}-ping--{SERVICE}.on_ping_broadcast-5f0c1a52"]
    assert broker_side.event_routing(publish(f"{source}.events", "ping", queues), source, "ping", SERVICE,
                                     HANDLERS).ok
    del queues[missing]
    judgement = broker_side.event_routing(publish(f"{source}.events", "ping", queues), source, "ping", SERVICE,
                                          HANDLERS)
    assert {f.requirement for f in judgement.findings} == {requirement, "EVT-11"}


def test_dispatch_to_another_exchange_fails_evt_1():
    assert broker_side.dispatch_publish(publish(f"{SERVICE}.events", "kit_evt"), SERVICE, "kit_evt").ok
    assert broker_side.dispatch_publish(publish("nameko-events", "kit_evt"), SERVICE, "kit_evt").codes() == \
        ["EVT-1/dispatch-destination"]
    assert broker_side.dispatch_publish(None, SERVICE, "kit_evt").codes() == ["EVT-1/no-dispatch"]


def test_report_marks_which_requirements_rest_on_the_firehose():
    verdicts = {"RPC-REPLY-1": {"examined_by": ["t1", "t2"]},
                "RPC-REPLY-2": {"examined_by": ["t1"]},
                "DEV-1": {"examined_by": []}}
    mark_evidence_sources(verdicts, {"t2": {"RPC-REPLY-1"}}, "firehose")
    assert verdicts["RPC-REPLY-1"]["firehose_evidence"] is True
    assert verdicts["RPC-REPLY-1"]["observed_through"] == "firehose"
    assert verdicts["RPC-REPLY-2"]["firehose_evidence"] is False
    assert verdicts["RPC-REPLY-2"]["observed_through"] == "kit queues (firehose running)"
    assert verdicts["DEV-1"]["firehose_evidence"] is False and "observed_through" not in verdicts["DEV-1"]
