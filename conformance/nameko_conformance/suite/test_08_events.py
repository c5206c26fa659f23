"""Events: what dispatch() publishes, and how the three handler types consume (chapter 08)."""

import json
import time
import uuid

import pytest

from nameko_conformance import verify
from nameko_conformance.messages import MessageFactory
from nameko_conformance.outcomes import KitFault
from nameko_conformance.suite._steps import at_broker, call_ok, needs_firehose

HANDLERS = ("service_pool", "singleton", "broadcast")


@pytest.mark.capability("server", "events-dispatch")
@pytest.mark.req("EVT-1", "EVT-2", "EVT-3", "EVT-4", "CTX-6", "CTX-7", "TESTEE-7", "SER-1")
def test_dispatch_publishes_bare_json_to_service_events(peer, service):
    """dispatch(T, data) publishes data as bare JSON to <service>.events keyed T, with the worker's context."""
    exchange = f"{service}.events"
    if not peer.passive_exchange(exchange).ok:
        call_ok(peer, "dispatch", "kit_warmup", {})
        if not peer.passive_exchange(exchange).ok:
            verify.fail(f"expected {exchange} declared by the dispatcher, saw no such exchange after a dispatch",
                        "EVT-3")
    flags = peer.equivalent_exchange(exchange, "topic", durable=True)
    if not flags.ok:
        verify.fail(f"expected {exchange} topic durable not auto-delete, an equivalent declare got {flags}", "EVT-3")
    event_type = f"kit_evt_{uuid.uuid4().hex[:8]}"
    peer.spy(exchange, [event_type])
    payload = {"n": 1, "s": "wörld", "l": [1, 2]}
    headers = {"nameko.call_id_stack": ["kit.root.1"], "nameko.language": "de"}
    out = peer.request("dispatch", [event_type, payload], headers=headers)
    verify.verify_success(peer.wait_reply(out.correlation_id, what="dispatch", requirement="TESTEE-7"))
    if peer.trace.broker is not None:
        # At the broker the event shows wherever it was published, not only where the spy queue is bound.
        publish = at_broker(peer.trace, lambda m: m.routing_key == event_type or (
            m.exchange.endswith(".events") and _json_or_none(m) == payload), f"the {event_type} event", timeout=5)
        verify.verify_dispatch_publish(publish, service, event_type)
        peer.trace.seen_by_broker("EVT-1")
    event = peer.wait_for(lambda m: m.via == f"spy:{exchange}", timeout=5)
    if event is None:
        verify.fail(f"expected an event on {exchange} keyed {event_type!r}, saw none", ("EVT-1", "TESTEE-7"))
    if event.routing_key != event_type:
        verify.fail(f"expected routing key {event_type!r}, saw {event.routing_key!r}", "EVT-1")
    if event.properties.get("content_type") != "application/json" or verify.verify_json_text(event) != payload:
        verify.fail(f"expected bare JSON {payload!r} as application/json, saw {event.summary()}", "EVT-2")
    if event.properties.get("reply_to") or event.properties.get("correlation_id"):
        verify.fail(f"expected no reply_to or correlation_id on an event, saw {event.properties}", "EVT-4")
    stack = verify.verify_call_id_stack((event.headers or {}).get("nameko.call_id_stack"), "CTX-2")
    if stack[:1] != ["kit.root.1"] or len(stack) != 2:
        verify.fail(f"expected ['kit.root.1', <dispatching worker id>], saw {stack!r}", "CTX-6")
    if (event.headers or {}).get("nameko.language") != "de":
        verify.fail(f"expected nameko.language 'de' carried onto the event, saw {event.headers!r}", "CTX-7")


def _json_or_none(message):
    try:
        return message.json_body()
    except ValueError:
        return None


def events_received(peer, expected_count, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        received = call_ok(peer, "events_received")
        if not isinstance(received, list):
            verify.fail(f"expected events_received() to return a list, saw {received!r}", "TESTEE-8")
        if len(received) >= expected_count or time.monotonic() > deadline:
            return received
        peer.pump(0.05)


@pytest.mark.capability("server", "events-handle")
@pytest.mark.req("EVT-5", "EVT-6", "EVT-7", "EVT-8", "EVT-9", "EVT-10", "EVT-11", "EVT-12", "TESTEE-8", "MAL-13")
def test_each_handler_type_gets_each_event_once(peer, service):
    """A ping from <service>_src reaches the pool, singleton and broadcast handler once each, queues as named."""
    source = f"{service}_src"
    exchange = f"{source}.events"
    if not peer.passive_exchange(exchange).ok:
        verify.fail(f"expected the handlers to declare {exchange}, saw no such exchange", "EVT-8")
    if not peer.equivalent_exchange(exchange, "topic", durable=True).ok:
        verify.fail(f"expected {exchange} topic durable", "EVT-8")
    queues = {"service_pool": f"evt-{source}-ping--{service}.on_ping_pool", "singleton": f"evt-{source}-ping"}
    for kind, name in queues.items():
        found = peer.passive_queue(name)
        if not found.ok or not found.consumer_count:
            verify.fail(f"expected the {kind} handler consuming from {name}, saw {found}",
                        "EVT-5" if kind == "service_pool" else "EVT-6")
        if not peer.equivalent_queue(name, durable=True).ok:
            verify.fail(f"expected {name} durable, not auto-delete (reliable delivery)", "EVT-9")
    before = len(events_received(peer, 0))
    token = str(uuid.uuid4())
    bad = MessageFactory.event(source, "ping", None, body=b"{not json")
    peer.publish(bad)
    ping = MessageFactory.event(source, "ping", {"token": token},
                                headers={"nameko.call_id_stack": ["kit.evt.1"], "nameko.language": "it"})
    if not peer.is_routable(ping):
        verify.fail(f"expected ping on {exchange} to reach the handler queues, the broker returned it", "EVT-8")
    received = events_received(peer, before + 3)
    mine = [e for e in received[before:] if isinstance(e, dict) and e.get("payload") == {"token": token}]
    kinds = sorted(e.get("handler") for e in mine)
    if kinds != sorted(HANDLERS):
        verify.fail(f"expected one delivery to each of {list(HANDLERS)}, saw {kinds} (all new entries: "
                    f"{json.dumps(received[before:])[:300]})", ("EVT-11", "EVT-7", "MAL-13"))
    for entry in mine:
        context = entry.get("context") or {}
        stack = context.get("call_id_stack", entry.get("call_id_stack"))
        if stack is not None and (not isinstance(stack, list) or stack[:1] != ["kit.evt.1"]):
            verify.fail(f"expected the {entry['handler']} worker's stack to start with the event's, saw {stack!r}",
                        "EVT-12")
    for kind, name in queues.items():
        state = peer.passive_queue(name)
        if state.ok and state.message_count:
            verify.fail(f"expected {name} drained after handling, saw {state}", ("EVT-10", "MAL-13"))


@pytest.mark.capability("server", "events-handle")
@pytest.mark.req("EVT-5", "EVT-6", "EVT-7", "EVT-11")
def test_ping_reaches_the_three_handler_queues_at_the_broker(peer, service):
    """At the broker a ping from <service>_src reaches evt-S-ping--V.on_ping_pool, evt-S-ping and one
    evt-S-ping--V.on_ping_broadcast-<id> queue."""
    needs_firehose(peer.trace, ("EVT-5", "EVT-6", "EVT-7", "EVT-11"),
                   "the queues an event reaches (and the broadcast queue's name) show only at the broker")
    source = f"{service}_src"
    token = str(uuid.uuid4())
    peer.publish(MessageFactory.event(source, "ping", {"token": token}))
    publish = at_broker(peer.trace, lambda m: m.exchange == f"{source}.events" and token.encode() in m.body,
                        "the kit's ping", timeout=5)
    if publish is None:
        raise KitFault(f"the firehose did not show the kit's own ping on {source}.events")
    verify.verify_event_routing(publish, source, "ping", service)
    peer.trace.seen_by_broker(("EVT-5", "EVT-6", "EVT-7", "EVT-11"))
