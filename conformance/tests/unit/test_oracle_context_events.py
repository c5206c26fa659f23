"""Checks on call id stacks and context (oracle/context.py) and on events (oracle/events.py)."""

import json

from oracle_fakes import Declared, Msg, summary

from nameko_conformance.oracle import context as c
from nameko_conformance.oracle import broker_side as b_side
from nameko_conformance.oracle import events as e

UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
UUID2 = "1f8fad5b-d9cb-469f-a165-70867728950e"
SINGLE_Q = "evt-src-t"


# --- context ----------------------------------------------------------------------------------------------------

def test_context_result():
    good = {"context": {"a": 1}, "call_id_stack": ["x"]}
    judgement = c.context_result(good)
    assert summary(judgement) == (["TESTEE-5"], [], []) and judgement.value is good
    for bad in (None, [], {"context": {}}, {"call_id_stack": []}, {"context": [], "call_id_stack": []},
                {"context": {}, "call_id_stack": "x"}, {"context": {}, "call_id_stack": ["x", 1]}):
        wrong = c.context_result(bad)
        assert summary(wrong) == (["TESTEE-5"], ["TESTEE-5/context-result"], []) and wrong.value is None, bad
    assert c.context_result(None).findings[0].observed == "None"
    assert c.context_result(None).findings[0].expected == ("context() returning {context: {…}, call_id_stack: "
                                                           "[strings]}")


def test_own_call_ids():
    good = c.own_call_ids([f"s.m.{UUID}"], [f"s.m.{UUID2}"], "s", "m")
    assert summary(good) == (["CTX-14", "CTX-3", "CTX-8"], [], [])


def test_own_call_ids_faults():
    def codes(first, second, service="s", method="m"):
        return c.own_call_ids(first, second, service, method).codes()

    assert codes(["p", f"s.m.{UUID}"], [f"s.m.{UUID2}"]) == ["CTX-8/stack-without-headers"]
    assert codes([f"s.m.{UUID}"], ["p", f"s.m.{UUID2}"]) == ["CTX-8/stack-without-headers"]
    assert codes([f"s.m.{UUID}"], [f"s.m.{UUID}"]) == ["CTX-3/call-id-reused"]
    assert codes([], [f"s.m.{UUID}"]) == ["CTX-8/stack-without-headers", "CTX-14/call-id-shape"]
    assert codes([f"s.m.{UUID}"], []) == ["CTX-8/stack-without-headers"]
    assert codes([f"t.m.{UUID}"], [f"s.m.{UUID2}"]) == ["CTX-14/call-id-shape"]
    assert codes([f"s.n.{UUID}"], [f"s.m.{UUID2}"]) == ["CTX-14/call-id-shape"]
    assert codes(["s.m.0f8fad5b-d9cb-169f-a165-70867728950e"], [f"s.m.{UUID2}"]) == ["CTX-14/call-id-shape"]
    assert codes(["s.m"], [f"s.m.{UUID2}"]) == ["CTX-14/call-id-shape"]
    assert codes([5], [f"s.m.{UUID2}"]) == ["CTX-14/call-id-shape"]
    reused = c.own_call_ids([f"s.m.{UUID}"], [f"s.m.{UUID}"], "s", "m").findings[0]
    assert reused.observed == f"'s.m.{UUID}' twice" and reused.expected == "distinct call ids for two requests"
    shape = c.own_call_ids(["x"], [f"s.m.{UUID}"], "s", "m").findings[0]
    assert (shape.expected, shape.observed) == ("call id 's.m.<uuid4>'", "'x'")
    stack = c.own_call_ids(["a", "b"], ["c"], "s", "m").findings[0]
    assert (stack.expected, stack.observed) == ("a one-entry stack for a request without headers", "['a', 'b']")
    assert c.CALL_ID.match(f"s.m.{UUID}")["uuid"] == UUID


def test_extended_stack():
    incoming = [f"p{i}" for i in range(3)]
    assert summary(c.extended_stack(incoming + ["own"], incoming)) == (["CTX-4"], [], [])
    assert summary(c.extended_stack(["own"], [], "EVT-12")) == (["EVT-12"], [], [])
    long = [f"p{i}" for i in range(15)]
    assert c.extended_stack(long[-10:] + ["own"], long).ok
    assert c.extended_stack(long[-9:] + ["own"], long).codes() == ["CTX-4/stack-not-extended"]
    assert c.extended_stack(long + ["own"], long).codes() == ["CTX-4/stack-not-extended"]
    assert c.extended_stack(incoming, incoming).codes() == ["CTX-4/stack-not-extended"]
    reordered = c.extended_stack(["p1", "p0", "p2", "own"], incoming)
    assert reordered.codes() == ["CTX-4/stack-not-extended"]
    assert reordered.findings[0].expected == "['p0', 'p1', 'p2'] + [own call id]"
    assert reordered.findings[0].observed == "['p1', 'p0', 'p2', 'own']"


def test_capped_stack():
    long = [f"p{i}" for i in range(12)]
    assert summary(c.capped_stack(long[-10:] + ["own"], long)) == (["CTX-5"], [], [])
    for wrong in (long + ["own"], long[-9:] + ["own"], long[:10] + ["own"], long[-10:]):
        assert c.capped_stack(wrong, long).codes() == ["CTX-5/stack-not-capped"]
    finding = c.capped_stack(["a"], long).findings[0]
    assert finding.expected == "the last 10 parents + own id (11 entries)"
    assert finding.observed == "1 entries: ['a']"


def test_string_stack():
    assert summary(c.string_stack(["in", "own"], "in")) == (["CTX-9"], [], [])
    split = c.string_stack(["i", "n", "own"], "in")
    assert split.codes() == ["CTX-9/string-stack-split"]
    assert (split.findings[0].expected, split.findings[0].observed) == ("['in', <own id>]", "['i', 'n', 'own']")


def test_context_data():
    assert summary(c.context_data({"a": 1, "b": 2}, {"a": 1})) == (["TESTEE-5"], [], [])
    wrong = c.context_data({"a": 2}, {"a": 1, "b": None}, "CTX-1")
    assert summary(wrong) == (["CTX-1"], ["CTX-1/context-data"], [])
    assert (wrong.findings[0].expected, wrong.findings[0].observed) == ("context data {'a': 1, 'b': None}",
                                                                        "{'a': 2}")
    assert c.context_data({}, {"b": None}).ok


# --- events -----------------------------------------------------------------------------------------------------

def test_events_exchange_declared():
    ok = Declared(True)
    assert summary(e.events_exchange_declared(ok, ok, "s.events", "EVT-3")) == (["EVT-3"], [], [])
    missing = e.events_exchange_declared(Declared(False, 404), ok, "s.events", "EVT-8")
    assert summary(missing) == (["EVT-8"], ["EVT-8/events-exchange-missing"], [])
    assert (missing.findings[0].expected, missing.findings[0].observed) == ("s.events declared", "no such exchange")
    assert e.events_exchange_declared(None, ok, "s.events", "EVT-3").codes() == ["EVT-3/events-exchange-missing"]
    flags = e.events_exchange_declared(ok, Declared(False, 406, "PRECONDITION_FAILED"), "s.events", "EVT-3")
    assert summary(flags) == (["EVT-3"], ["EVT-3/events-exchange-flags"], [])
    assert flags.findings[0].expected == "s.events a durable topic exchange, not auto-delete"
    assert flags.findings[0].observed == "an equivalent declare got 406 PRECONDITION_FAILED"


EVENT_PROPS = {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2}
DISPATCHED = ("CTX-6", "CTX-7", "EVT-1", "EVT-2", "EVT-4", "TESTEE-7")


def event(key="t", body={"x": 1}, raw=None, headers=None, **props):
    data = raw if raw is not None else json.dumps(body).encode()
    if headers is None:
        headers = {"nameko.call_id_stack": ["p", "own"], "nameko.k": "v"}
    return Msg(exchange="s.events", routing_key=key, properties=dict(EVENT_PROPS, **props), headers=headers,
               body=data)


def dispatched(message, incoming=("p",), carried=None):
    return e.dispatched_event(message, "t", {"x": 1}, list(incoming), {"nameko.k": "v"} if carried is None
                              else carried)


def test_dispatched_event_right():
    assert summary(dispatched(event())) == (sorted(DISPATCHED), [], [])
    assert dispatched(event(headers={"nameko.call_id_stack": ["own"]}), incoming=(), carried={}).ok


def test_dispatched_event_faults():
    assert dispatched(event(key="u")).codes() == ["EVT-1/event-routing-key"]
    assert dispatched(event(content_type="text/plain")).codes() == ["EVT-2/event-content-type"]
    assert dispatched(event(raw=b"[NaN]")).codes() == ["SER-3/non-standard-constant"]
    assert dispatched(event(raw=b"\xff")).codes() == ["SER-1/not-utf8"]
    assert dispatched(event(body={"x": 2})).codes() == ["EVT-2/event-body"]
    assert dispatched(event(body={"payload": {"x": 1}})).codes() == ["EVT-2/event-body"]
    assert dispatched(event(reply_to="r")).codes() == ["EVT-4/rpc-properties-on-event"]
    assert dispatched(event(correlation_id="c")).codes() == ["EVT-4/rpc-properties-on-event"]
    for stack in (None, "p", ["p"], ["q", "own"], ["p", 1], ["p", "own", "x"]):
        headers = {"nameko.k": "v"} if stack is None else {"nameko.call_id_stack": stack, "nameko.k": "v"}
        assert dispatched(event(headers=headers)).codes() == ["CTX-6/event-call-id-stack"], stack
    assert dispatched(event(headers={"nameko.call_id_stack": ["p", "own"]})).codes() == [
        "CTX-7/context-not-carried"]
    assert dispatched(event(headers={"nameko.call_id_stack": ["p", "own"], "nameko.k": "w"})).codes() == [
        "CTX-7/context-not-carried"]
    assert dispatched(event(headers={})).codes() == ["CTX-6/event-call-id-stack", "CTX-7/context-not-carried"]
    none = e.dispatched_event(Msg(routing_key="t", properties=EVENT_PROPS, headers=None, body=b'{"x": 1}'), "t",
                              {"x": 1}, [], {})
    assert none.codes() == ["CTX-6/event-call-id-stack"]


def test_dispatched_event_finding_texts():
    findings = dispatched(event(key="u", content_type="x", body=[1], reply_to="r", headers={})).findings
    assert [(f.expected, f.observed) for f in findings] == [
        ("routing key 't'", "'u'"), ("content_type 'application/json'", "'x'"),
        ("the bare payload {'x': 1}", "[1]"),
        ("no reply_to or correlation_id on an event", "{'reply_to': 'r'}"),
        ("nameko.call_id_stack ['p'] + [the dispatching worker's call id]", "None"),
        ("the request's headers {'nameko.k': 'v'} carried onto the event", "{'nameko.k': None}")]
    assert all(f.messages for f in findings)
    fault = dispatched(event(raw=b"[NaN]")).findings[0]
    assert fault.expected == "an RFC 8259 JSON text in UTF-8" and fault.messages


def test_handler_queue():
    assert summary(e.handler_queue(Declared(True, consumer_count=1), "q", "service_pool")) == (["EVT-5"], [], [])
    assert summary(e.handler_queue(Declared(True, consumer_count=2), "q", "singleton")) == (["EVT-6"], [], [])
    idle = e.handler_queue(Declared(True, consumer_count=0), "q", "service_pool")
    assert idle.codes() == ["EVT-5/service-pool-queue"]
    assert idle.findings[0].expected == "the service_pool handler consuming from q"
    assert idle.findings[0].observed == "ok(None, 0)"
    assert e.handler_queue(Declared(False, 404, "NOT_FOUND"), "q", "singleton").codes() == ["EVT-6/singleton-queue"]


def test_queue_flags_listed():
    undecided = e.queue_flags_listed(None, "q", "service_pool")
    assert summary(undecided) == ([], [], ["EVT-9"])
    assert undecided.inconclusive[0][1] == "queue flags need the broker's own list of queues (--broker private)"
    absent = e.queue_flags_listed({"other": {}}, "q", "broadcast")
    assert summary(absent) == ([], [], ["EVT-9"])
    assert absent.inconclusive[0][1] == "no queue q<id> in the broker's list"
    assert e.queue_flags_listed({}, "q", "singleton").inconclusive[0][1] == "no queue q in the broker's list"
    durable = {"durable": True, "auto_delete": False, "exclusive": False}
    assert summary(e.queue_flags_listed({"q": durable, "qx": {}}, "q", "service_pool")) == (["EVT-9"], [], [])
    broadcast = {"durable": True, "auto_delete": True, "exclusive": True}
    assert e.queue_flags_listed({"q-1": broadcast, "x": {}}, "q-", "broadcast").ok
    assert e.queue_flags_listed({"q-1": dict(broadcast, durable=False)}, "q-", "broadcast").ok


def test_queue_flags_listed_faults():
    def codes(flags, kind="service_pool", name="q"):
        return e.queue_flags_listed({name: flags}, "q", kind).codes()

    assert codes({"durable": False, "auto_delete": False}) == ["EVT-9/service-pool-queue-flags"]
    assert codes({"durable": True, "auto_delete": True}) == ["EVT-9/service-pool-queue-flags"]
    assert codes({"durable": True}) == ["EVT-9/service-pool-queue-flags"]  # unknown is not False
    assert codes({"durable": 1, "auto_delete": False}) == ["EVT-9/service-pool-queue-flags"]
    assert codes({"durable": True, "auto_delete": False}, "singleton") == []
    assert codes({"durable": True, "auto_delete": True, "exclusive": False}, "broadcast", "q1") == [
        "EVT-9/broadcast-queue-flags"]
    assert codes({"durable": True, "auto_delete": False, "exclusive": True}, "broadcast", "q1") == [
        "EVT-9/broadcast-queue-flags"]
    two = e.queue_flags_listed({"q1": {}, "q2": {"durable": True, "auto_delete": True, "exclusive": True}}, "q",
                               "broadcast")
    assert two.codes() == ["EVT-9/broadcast-queue-flags"]
    finding = e.queue_flags_listed({"q": {"durable": False}}, "q", "singleton").findings[0]
    assert finding.expected == "q with {'durable': True, 'auto_delete': False}"
    assert finding.observed == "{'durable': False}"
    bfinding = e.queue_flags_listed({"q1": {}}, "q", "broadcast").findings[0]
    assert bfinding.expected == "q1 with {'auto_delete': True, 'exclusive': True}"  # RabbitMQ keeps no durable flag


def entry(handler, token="tok", stack=None, in_context=True):
    item = {"handler": handler, "payload": {"token": token}}
    if stack is not None:
        if in_context:
            item["context"] = {"call_id_stack": stack}
        else:
            item["call_id_stack"] = stack
    return item


def test_deliveries_right():
    entries = [entry(k, stack=["p", "own"]) for k in e.HANDLER_KINDS] + [entry("singleton", token="other"), "x"]
    judgement = e.deliveries(entries, "tok", ["p"])
    assert summary(judgement) == (["EVT-11", "EVT-12", "EVT-7", "MAL-13", "TESTEE-8"], [], [])
    assert judgement.value == entries[:3]
    flat = [entry(k, stack=["own"], in_context=False) for k in e.HANDLER_KINDS]
    assert summary(e.deliveries(flat, "tok", [])) == (["EVT-11", "EVT-12", "EVT-7", "MAL-13", "TESTEE-8"], [], [])
    long = [f"p{i}" for i in range(12)]
    assert e.deliveries([entry(k, stack=long[-10:] + ["o"]) for k in e.HANDLER_KINDS], "tok", long).ok


def test_deliveries_faults():
    wrong_shape = e.deliveries({"a": 1}, "tok", [])
    assert summary(wrong_shape) == (["TESTEE-8"], ["TESTEE-8/events-received-shape"], [])
    assert wrong_shape.value is None and wrong_shape.findings[0].observed == "{'a': 1}"
    none = e.deliveries([], "tok", [])
    assert none.codes() == ["EVT-11/handler-deliveries", "EVT-7/broadcast-not-delivered", "MAL-13/handling-stopped"]
    assert none.inconclusive == (("EVT-12", "events_received() reports no call_id_stack"),)
    assert [(f.expected, f.observed) for f in none.findings] == [
        ("one delivery to each of ['service_pool', 'singleton', 'broadcast']", "[]"),
        ("the broadcast handler handling the event", "[]"),
        ("the event handled after an undecodable one", "no handler did")]
    no_broadcast = e.deliveries([entry("service_pool"), entry("singleton")], "tok", [])
    assert no_broadcast.codes() == ["EVT-11/handler-deliveries", "EVT-7/broadcast-not-delivered"]
    twice = e.deliveries([entry(k) for k in e.HANDLER_KINDS] + [entry("broadcast")], "tok", [])
    assert twice.codes() == ["EVT-11/handler-deliveries"]
    assert twice.findings[0].observed == "['broadcast', 'broadcast', 'service_pool', 'singleton']"


def test_deliveries_handler_stacks():
    def codes(stack, incoming=("p",)):
        entries = [entry(k, stack=["p", "own"]) for k in ("service_pool", "singleton")] + [entry("broadcast", stack=stack)]
        return e.deliveries(entries, "tok", list(incoming)).codes()

    assert codes(["q", "own"]) == ["EVT-12/handler-stack"]
    assert codes("p") == ["EVT-12/handler-stack"]
    assert codes([]) == ["EVT-12/handler-stack"]
    assert codes(["own"]) == ["EVT-12/handler-stack"]
    finding = e.deliveries([entry("broadcast", stack=["x"])], "tok", ["p"]).findings[-1]
    assert (finding.expected, finding.observed) == ("the handler's stack ['p'] + [own id]", "['x']")
    mixed = e.deliveries([entry("broadcast", stack=["p", "o"]), entry("singleton")], "tok", ["p"])
    assert "EVT-12" in mixed.examined and "EVT-12/handler-stack" not in mixed.codes()


def test_drained():
    states = {"a": Declared(True, message_count=0), "b": Declared(True, message_count=0)}
    listed = {"a": {"unacked": 0}, "b": {"unacked": None}, "c": {"unacked": 4}}
    assert summary(e.drained(states, listed)) == (["EVT-10", "MAL-13"], [], [])
    # Without the broker's list, a handler that never acknowledges looks drained: EVT-10 is not claimed.
    blind = e.drained(states, None, "no list here")
    assert summary(blind) == (["MAL-13"], [], ["EVT-10"]) and blind.inconclusive[0][1].endswith("no list here")
    held = e.drained(states, {"a": {"unacked": 2}, "b": {"unacked": 0}})
    assert held.codes() == ["EVT-10/event-unacknowledged"] and held.findings[0].observed == "2 unacknowledged"
    left = e.drained({"a": Declared(True, message_count=1), "b": Declared(True, message_count=3)})
    assert left.codes() == ["EVT-10/event-not-acked", "EVT-10/event-not-acked"]
    assert (left.findings[0].expected, left.findings[0].observed) == ("a drained after handling", "ok(1, None)")
    unknown = e.drained({"a": Declared(False, 404, "NOT_FOUND")})
    assert summary(unknown) == (["MAL-13"], [], ["EVT-10"])
    assert unknown.inconclusive[0][1] == "a could not be inspected (404 NOT_FOUND)"


def test_string_stack_compares_everything_before_the_own_id():
    assert c.string_stack(["in", "extra", "own"], "in").codes() == ["CTX-9/string-stack-split"]


def test_event_routing_judges_each_handler_type_given():
    without_pool = {"singleton": "on_single", "broadcast": "on_broadcast"}
    judgement = b_side.event_routing(Msg(routed_queues=(SINGLE_Q,)), "src", "t", "svc", without_pool)
    assert judgement.examined == {"EVT-11", "EVT-6", "EVT-7"}
    assert judgement.codes() == ["EVT-7/broadcast-queue", "EVT-11/event-not-delivered"]
    assert judgement.findings[0].observed == f"routed to {[SINGLE_Q]!r}" and judgement.findings[0].messages


def test_dispatched_event_shows_what_it_saw():
    wrong = dispatched(event(headers={"nameko.call_id_stack": ["q", "own"], "nameko.k": "w"})).findings
    assert [(f.code, f.observed) for f in wrong] == [("CTX-6/event-call-id-stack", "['q', 'own']"),
                                                     ("CTX-7/context-not-carried", "{'nameko.k': 'w'}")]
    fault = dispatched(event(raw=b"[NaN]")).findings[0]
    assert fault.observed == "the non-standard constant NaN"
    shape = e.deliveries("x", "tok", []).findings[0]
    assert shape.expected == "events_received() returning a list" and shape.observed == "'x'"
    context = c.context_result([1]).findings[0]
    assert context.observed == "[1]"


def test_broadcast_queue_listed():
    prefix = "evt-s-ping--v.on_b-"
    assert not e.broadcast_queue_listed(None, prefix).examined  # no list: nothing claimed here
    named = e.broadcast_queue_listed({prefix + "3f2a": {}, "other": {}}, prefix)
    assert named.ok and "EVT-7" in named.examined
    bare = e.broadcast_queue_listed({"evt-s-ping--v.on_b": {}, prefix: {}}, prefix)
    assert bare.codes() == ["EVT-7/broadcast-queue"]
    assert "evt-s-ping--v.on_b" in bare.findings[0].observed
    assert e.broadcast_queue_listed({"x": {}}, prefix).findings[0].observed == "none"
