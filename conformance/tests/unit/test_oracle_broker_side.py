"""Checks on what the broker saw (oracle/broker_side.py): firehose publishes with the queues they reached."""

from oracle_fakes import Msg, summary

from nameko_conformance.oracle import broker_side as b
from nameko_conformance.oracle.model import describe


def publish(exchange="nameko-rpc", key="r1", routed=(), **props):
    return Msg(exchange=exchange, routing_key=key, properties=props, routed_queues=routed, via="firehose",
               direction="")


def test_is_reply_publish():
    assert b.is_reply_publish(publish(key="r1", correlation_id="c"), "c", "s.m")
    assert not b.is_reply_publish(publish(key="s.m", correlation_id="c"), "c", "s.m")
    assert not b.is_reply_publish(publish(key="r1", correlation_id="d"), "c", "s.m")


def test_reply_publish():
    assert summary(b.reply_publish(publish(), "nameko-rpc", "r1")) == (["RPC-REPLY-1"], [], [])
    for wrong in (publish(exchange=""), publish(key="r2")):
        judgement = b.reply_publish(wrong, "nameko-rpc", "r1")
        assert summary(judgement) == (["RPC-REPLY-1"], ["RPC-REPLY-1/wrong-destination"], [])
        assert judgement.findings[0].messages == (describe(wrong),)
    finding = b.reply_publish(publish(exchange=""), "nameko-rpc", "r1").findings[0]
    assert finding.expected == "the reply published to exchange 'nameko-rpc' with key 'r1'"
    assert finding.observed == "exchange '(default)' key 'r1'"


def test_unroutable_reply_publish():
    missing = b.unroutable_reply_publish(None, "nowhere")
    assert summary(missing) == (["RPC-REPLY-9"], ["RPC-REPLY-9/unroutable-reply-not-published"], [])
    assert missing.findings[0].expected == "a reply published with key 'nowhere'"
    assert missing.findings[0].observed == "no such publish at the broker"
    assert summary(b.unroutable_reply_publish(publish(routed=()), "nowhere")) == (["RPC-REPLY-9"], [], [])
    routable = b.unroutable_reply_publish(publish(routed=("q",)), "nowhere")
    assert summary(routable) == (["RPC-REPLY-9"], [], ["RPC-REPLY-8"])
    assert routable.inconclusive[0][1] == ("the reply to 'nowhere' was routable after all (('q',)); the unroutable "
                                           "case was not exercised")


def test_unroutable_request():
    assert summary(b.unroutable_request(publish(routed=()))) == ([], [], [])
    routed = b.unroutable_request(publish(routed=["rpc-x"]))
    assert summary(routed) == ([], [], ["RPC-CALL-1"])
    assert routed.inconclusive[0][1] == ("a queue takes requests for the unknown service (['rpc-x']); the "
                                         "unroutable case was not exercised")


def test_reply_queue_of():
    one = b.reply_queue_of(publish(key="r1", routed=("rpc.reply-x-r1",)), "r1")
    assert summary(one) == (["RPC-CORR-1"], [], []) and one.value == "rpc.reply-x-r1"
    for wrong in (publish(key="r2", routed=("q",)), publish(key="r1", routed=()), publish(key="r1", routed=None)):
        judgement = b.reply_queue_of(wrong, "r1")
        assert summary(judgement) == (["RPC-CORR-1"], ["RPC-CORR-1/reply-queue-unbound"], [])
        assert judgement.value is None and judgement.findings[0].messages
    finding = b.reply_queue_of(publish(key="r1"), "r1").findings[0]
    assert finding.expected == ("a queue bound to the RPC exchange with key 'r1' (the client's reply_to) to take "
                                "the reply")
    assert finding.observed == "routed to []"
    several = b.reply_queue_of(publish(key="r1", routed=("a", "b")), "r1")
    assert summary(several) == (["RPC-CORR-1"], [], ["RPC-CORR-4"]) and several.value is None
    assert several.inconclusive[0][1] == "the reply reached several queues ['a', 'b']; which is the client's is unknown"


def test_reply_queue_name():
    assert summary(b.reply_queue_name("rpc.reply-c-r1", "r1")) == (["RPC-CORR-4"], [], [])
    wrong = b.reply_queue_name("myqueue", "r1")
    assert summary(wrong) == (["RPC-CORR-4"], ["RPC-CORR-4/reply-queue-name"], [])
    assert wrong.findings[0].expected == "the client's reply queue named 'rpc.reply-<client>-r1'"
    assert wrong.findings[0].observed == "'myqueue'"


HANDLERS = {"service_pool": "on_pool", "singleton": "on_single", "broadcast": "on_broadcast"}
POOL, SINGLE, BROADCAST = "evt-src-t--svc.on_pool", "evt-src-t", "evt-src-t--svc.on_broadcast-"


def test_event_routing_to_every_handler_queue():
    good = b.event_routing(publish(routed=(POOL, SINGLE, BROADCAST + "abc")), "src", "t", "svc", HANDLERS)
    assert summary(good) == (["EVT-11", "EVT-5", "EVT-6", "EVT-7"], [], [])
    only_pool = b.event_routing(publish(routed=(POOL,)), "src", "t", "svc", {"service_pool": "on_pool"})
    assert summary(only_pool) == (["EVT-11", "EVT-5"], [], [])
    assert summary(b.event_routing(publish(routed=()), "src", "t", "svc", {})) == (["EVT-11"], [], [])


def test_event_routing_faults_per_handler_type():
    def codes(routed, methods=HANDLERS):
        return b.event_routing(publish(routed=routed), "src", "t", "svc", methods).codes()

    assert codes((SINGLE, BROADCAST + "a")) == ["EVT-5/service-pool-queue", "EVT-11/event-not-delivered"]
    assert codes((POOL, BROADCAST + "a")) == ["EVT-6/singleton-queue", "EVT-11/event-not-delivered"]
    assert codes((POOL, SINGLE)) == ["EVT-7/broadcast-queue", "EVT-11/event-not-delivered"]
    assert codes((POOL, SINGLE, BROADCAST)) == ["EVT-7/broadcast-queue", "EVT-11/event-not-delivered"]  # no id
    assert codes((POOL, SINGLE, BROADCAST + "a", BROADCAST + "b")) == ["EVT-7/broadcast-queue",
                                                                       "EVT-11/event-not-delivered"]
    assert codes(None) == ["EVT-5/service-pool-queue", "EVT-6/singleton-queue", "EVT-7/broadcast-queue",
                           "EVT-11/event-not-delivered"]
    findings = b.event_routing(publish(routed=(SINGLE,)), "src", "t", "svc", HANDLERS).findings
    assert findings[0].expected == f"the event routed to the service_pool handler's queue {POOL!r}"
    assert findings[0].observed == f"routed to {[SINGLE]!r}" and findings[0].messages
    assert findings[1].expected == f"the event routed to one queue {BROADCAST}<id>"
    assert findings[2].expected == "the event delivered to every handler of the service"
    assert findings[2].observed == f"routed to {[SINGLE]!r}" and findings[2].messages


def test_dispatch_publish():
    good = publish(exchange="src.events", key="t")
    assert summary(b.dispatch_publish(good, "src", "t")) == (["EVT-1"], [], [])
    missing = b.dispatch_publish(None, "src", "t")
    assert summary(missing) == (["EVT-1"], ["EVT-1/no-dispatch"], [])
    assert missing.findings[0].expected == "an event published to 'src.events' keyed 't'"
    assert missing.findings[0].observed == "no publish of it at the broker"
    for wrong in (publish(exchange="other.events", key="t"), publish(exchange="src.events", key="u")):
        judgement = b.dispatch_publish(wrong, "src", "t")
        assert judgement.codes() == ["EVT-1/dispatch-destination"] and judgement.findings[0].messages
    finding = b.dispatch_publish(publish(exchange="x", key="u"), "src", "t").findings[0]
    assert finding.expected == "the event published to 'src.events' keyed 't'"
    assert finding.observed == "exchange 'x' key 'u'"
