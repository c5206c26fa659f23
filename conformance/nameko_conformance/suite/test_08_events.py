"""Events: what dispatch() publishes, and how the three handler types consume (chapter 08)."""

import time
import uuid

import pytest

from nameko_conformance.messages import MessageFactory
from nameko_conformance.oracle import broker_side, events, names, reply as replies, values
from nameko_conformance.suite._steps import at_broker, call_ok, listed_queue_flags, needs_firehose, reply_to, success

EVENT_HEADERS = {"nameko.call_id_stack": ["kit.root.1"], "nameko.language": "de"}
HANDLER_METHODS = {"service_pool": "on_ping_pool", "singleton": "on_ping_singleton", "broadcast": "on_ping_broadcast"}


@pytest.mark.capability("server", "events-dispatch")
@pytest.mark.req("EVT-1", "EVT-2", "EVT-3", "EVT-4", "CTX-6", "CTX-7", "TESTEE-7", "SER-1", "SEC-1")
def test_dispatch_publishes_bare_json_to_service_events(peer, service, conformance_session):
    """dispatch(T, data) publishes data as bare JSON to <service>.events keyed T, with the worker's context."""
    exchange = names.events_exchange(service)
    existed = peer.passive_exchange(exchange)
    if not existed.ok:  # a dispatcher may declare its exchange on first use
        call_ok(peer, "dispatch", "kit_warmup", {})
        existed = peer.passive_exchange(exchange)
    flags = peer.equivalent_exchange(exchange, "topic", durable=True) if existed.ok else existed
    peer.evidence.apply(events.events_exchange_declared(existed, flags, exchange, "EVT-3"))
    peer.evidence.need(existed.ok or None, f"the exchange {exchange}")
    event_type = f"kit_evt_{uuid.uuid4().hex[:8]}"
    peer.spy(exchange, [event_type])
    payload = {"n": 1, "s": "wörld", "l": [1, 2]}
    out = peer.request("dispatch", [event_type, payload], headers=EVENT_HEADERS)
    success(peer, reply_to(peer, out, requirement="TESTEE-7"))
    if peer.trace.broker is not None:
        # At the broker the event shows wherever it was published, not only where the spy queue is bound.
        publish = at_broker(peer.trace, lambda m: m.routing_key == event_type or (
            m.exchange.endswith(names.EVENTS_EXCHANGE_SUFFIX) and _json_or_none(m) == payload),
            f"the {event_type} event", timeout=5)
        peer.evidence.apply(broker_side.dispatch_publish(publish, service, event_type))
        peer.trace.seen_by_broker("EVT-1")
    event = peer.wait_for(lambda m: m.via == f"spy:{exchange}", timeout=5)
    peer.evidence.apply(values.holds("EVT-1", "no-event", f"an event on {exchange} keyed {event_type!r}",
                                     event, lambda e: e is not None))
    peer.evidence.need(event, f"the event on {exchange}")
    peer.evidence.apply(events.dispatched_event(event, event_type, payload, ["kit.root.1"],
                                                {"nameko.language": "de"}))
    peer.evidence.apply(replies.json_text(event))
    peer.evidence.apply(replies.no_credentials([event], conformance_session.target.password))


def handled_and_listed(peer, conformance_session, states, reads=3):
    """The broker's queue list once the handler queues show no unacknowledged delivery, or after ``reads`` reads
    half a second apart (a handler acknowledges just after it records the event); with why there is none."""
    listed, unavailable = listed_queue_flags(conformance_session, peer)
    for _ in range(reads - 1):
        if listed is None or not any((listed.get(q) or {}).get("unacked") for q in states):
            break
        peer.pump(0.5)
        listed, unavailable = listed_queue_flags(conformance_session, peer)
    return listed, unavailable


def _json_or_none(message):
    try:
        return message.json_body()
    except ValueError:
        return None


def events_received(peer, expected_count, timeout=5.0):
    """What the testee's handlers recorded (TESTEE-8), polled until ``expected_count`` entries or the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        received = call_ok(peer, "events_received")
        if not isinstance(received, list) or len(received) >= expected_count or time.monotonic() > deadline:
            return received
        peer.pump(0.05)


@pytest.mark.capability("server", "events-handle")
@pytest.mark.req("EVT-5", "EVT-6", "EVT-7", "EVT-8", "EVT-9", "EVT-10", "EVT-11", "EVT-12", "TESTEE-8", "MAL-13")
def test_each_handler_type_gets_each_event_once(peer, service, conformance_session):
    """A ping from <service>_src reaches the pool, singleton and broadcast handler once each, queues as named."""
    source = f"{service}_src"
    exchange = names.events_exchange(source)
    existed = peer.passive_exchange(exchange)
    flags = peer.equivalent_exchange(exchange, "topic", durable=True) if existed.ok else existed
    peer.evidence.apply(events.events_exchange_declared(existed, flags, exchange, "EVT-8"))
    queues = {kind: names.handler_queues(source, "ping", service, method)[kind]
              for kind, method in HANDLER_METHODS.items()}
    for kind in ("service_pool", "singleton"):
        peer.evidence.apply(events.handler_queue(peer.passive_queue(queues[kind]), queues[kind], kind))
    listed, unavailable = listed_queue_flags(conformance_session, peer)
    for kind in HANDLER_METHODS:
        peer.evidence.apply(events.queue_flags_listed(listed, queues[kind], kind, unavailable))
    peer.evidence.apply(events.broadcast_queue_listed(listed, queues["broadcast"]))
    before = events_received(peer, 0)
    peer.evidence.need(before if isinstance(before, list) else None, "events_received() as a list")
    token = str(uuid.uuid4())
    peer.publish(MessageFactory.event(source, "ping", None, body=b"{not json"))
    incoming = ["kit.evt.1"]
    ping = MessageFactory.event(source, "ping", {"token": token},
                                headers={"nameko.call_id_stack": incoming, "nameko.language": "it"})
    peer.evidence.apply(values.holds("EVT-8", "ping-unroutable", f"the ping on {exchange} routed to the handler "
                                     f"queues", peer.is_routable(ping), bool))
    received = events_received(peer, len(before) + 3)
    peer.evidence.apply(events.deliveries(received[len(before):] if isinstance(received, list) else received,
                                          token, incoming))
    states = {queues[k]: peer.passive_queue(queues[k]) for k in ("service_pool", "singleton")}
    peer.evidence.apply(events.drained(states, *handled_and_listed(peer, conformance_session, states)))
    # Last, since a handler bound too widely would record it: on the source's own exchange (nothing but the
    # testee's handlers binds there), an event of another type reaches no queue when each binds with "ping" only.
    other = MessageFactory.event(source, "kit_not_ping", {"token": token})
    peer.evidence.apply(values.holds("EVT-8", "binding-too-wide", f"an event of another type on {exchange} routed "
                                     f"to no handler queue (binding key exactly 'ping')", peer.is_routable(other),
                                     lambda routed: not routed))


@pytest.mark.capability("server", "events-handle")
@pytest.mark.req("EVT-5", "EVT-6", "EVT-7", "EVT-11")
def test_ping_reaches_the_three_handler_queues_at_the_broker(peer, service):
    """At the broker a ping from <service>_src reaches evt-S-ping--V.on_ping_pool, evt-S-ping and one
    evt-S-ping--V.on_ping_broadcast-<id> queue."""
    if not needs_firehose(peer, ("EVT-5", "EVT-6", "EVT-7", "EVT-11"),
                          "the queues an event reaches (and the broadcast queue's name) show only at the broker"):
        return
    source = f"{service}_src"
    token = str(uuid.uuid4())
    peer.publish(MessageFactory.event(source, "ping", {"token": token}))
    publish = at_broker(peer.trace, lambda m: m.exchange == names.events_exchange(source) and token.encode() in m.body,
                        "the kit's ping", timeout=5)
    if publish is None:
        peer.evidence.undecided(("EVT-5", "EVT-6", "EVT-7", "EVT-11"),
                                f"the firehose did not show the kit's own ping on {names.events_exchange(source)}")
        return
    peer.evidence.apply(broker_side.event_routing(publish, source, "ping", service, HANDLER_METHODS))
    peer.trace.seen_by_broker(("EVT-5", "EVT-6", "EVT-7", "EVT-11"))
