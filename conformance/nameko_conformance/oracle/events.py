"""Checks on events: what a dispatcher publishes and how handlers consume (chapter 08)."""

from __future__ import annotations

from typing import Any

from nameko_conformance.oracle import names, strict_json
from nameko_conformance.oracle.model import Check, Judgement, short
from nameko_conformance.oracle.topology import NO_LIST

HANDLER_KINDS = ("service_pool", "singleton", "broadcast")


def events_exchange_declared(existed: Any, equivalent: Any, exchange: str, requirement: str) -> Judgement:
    """EVT-3 (dispatcher) / EVT-8 (handler): ``S.events`` exists as a durable topic exchange."""
    check = Check(requirement)
    if not getattr(existed, "ok", False):
        check.fail(requirement, "events-exchange-missing", f"{exchange} declared", "no such exchange")
    elif not equivalent.ok:
        check.fail(requirement, "events-exchange-flags", f"{exchange} a durable topic exchange, not auto-delete",
                   f"an equivalent declare got {equivalent}")
    return check.done()


def dispatched_event(event: Any, event_type: str, payload: Any, incoming_stack: list, carried: dict) -> Judgement:
    """EVT-1/2/4, CTX-6/7 on an event a worker dispatched: key, bare JSON body, no RPC properties, the worker's
    stack and the request's other context headers."""
    check = Check("EVT-1", "EVT-2", "EVT-4", "CTX-6", "CTX-7", "TESTEE-7")
    if event.routing_key != event_type:
        check.fail("EVT-1", "event-routing-key", f"routing key {event_type!r}", repr(event.routing_key), event)
    value, fault = strict_json.decode(event.body)
    if event.properties.get("content_type") != names.JSON_CONTENT_TYPE:
        check.fail("EVT-2", "event-content-type", "content_type 'application/json'",
                   short(event.properties.get("content_type")), event)
    if fault is not None:
        check.fail(fault.requirement, fault.slug, "an RFC 8259 JSON text in UTF-8", fault.reason, event)
    elif value != payload:
        check.fail("EVT-2", "event-body", f"the bare payload {short(payload)}", short(value), event)
    leaked = {k: event.properties.get(k) for k in ("reply_to", "correlation_id") if event.properties.get(k)}
    if leaked:
        check.fail("EVT-4", "rpc-properties-on-event", "no reply_to or correlation_id on an event", short(leaked),
                   event)
    headers = event.headers or {}
    stack = headers.get(names.CALL_ID_STACK_HEADER)
    if not (isinstance(stack, list) and len(stack) == len(incoming_stack) + 1 and stack[:-1] == incoming_stack
            and all(isinstance(e, str) for e in stack)):
        check.fail("CTX-6", "event-call-id-stack", f"nameko.call_id_stack {short(incoming_stack)} + [the "
                   f"dispatching worker's call id]", short(stack), event)
    missing = {k: headers.get(k) for k, v in carried.items() if headers.get(k) != v}
    if missing:
        check.fail("CTX-7", "context-not-carried", f"the request's headers {short(carried)} carried onto the event",
                   short(missing), event)
    return check.done()


def handler_queue(state: Any, queue: str, kind: str) -> Judgement:
    """EVT-5/6: the handler's queue exists under its name and is consumed."""
    requirement = "EVT-5" if kind == "service_pool" else "EVT-6"
    check = Check(requirement)
    if not state.ok or not state.consumer_count:
        check.fail(requirement, f"{kind.replace('_', '-')}-queue", f"the {kind} handler consuming from {queue}",
                   str(state))
    return check.done()


def queue_flags_listed(listed: dict | None, queue_prefix: str, kind: str, unavailable: str = NO_LIST) -> Judgement:
    """EVT-9 from the broker's own list of queues (name → flags): durable always; reliable delivery (service_pool,
    singleton in the testee) not auto-delete; the broadcast handler, without reliable delivery, auto-delete and
    exclusive."""
    check = Check("EVT-9")
    if listed is None:
        check.undecided("EVT-9", unavailable)
        return check.done()
    found = {name: flags for name, flags in listed.items() if name == queue_prefix
             or (kind == "broadcast" and name.startswith(queue_prefix))}
    if not found:
        check.undecided("EVT-9", f"no queue {queue_prefix}{'<id>' if kind == 'broadcast' else ''} in the broker's list")
        return check.done()
    for name, flags in found.items():
        want = {"durable": True, "auto_delete": False}
        if kind == "broadcast":
            # RabbitMQ keeps no durable flag for an exclusive queue (it lists every one as not durable), so for the
            # broadcast queue only auto-delete and exclusive can be read.
            want = {"auto_delete": True, "exclusive": True}
        wrong = {k: flags.get(k) for k, v in want.items() if flags.get(k) is not v}
        if wrong:
            check.fail("EVT-9", f"{kind.replace('_', '-')}-queue-flags", f"{name} with {want}", short(flags))
    return check.done()


def broadcast_queue_listed(listed: dict | None, queue_prefix: str) -> Judgement:
    """EVT-7 from the broker's own list of queues: the broadcast handler consumes from ``<prefix><id>``, with an
    id after the prefix (a queue under the bare handler name is shared by every instance)."""
    check = Check()
    if listed is None:
        return check.done()  # the firehose test judges EVT-7 where there is one; here nothing is claimed
    check.examine("EVT-7")
    if not any(name.startswith(queue_prefix) and len(name) > len(queue_prefix) for name in listed):
        near = sorted(name for name in listed if name.startswith(queue_prefix.rstrip("-")))[:5]
        check.fail("EVT-7", "broadcast-queue", f"a queue {queue_prefix}<id> in the broker's list",
                   short(near) if near else "none")
    return check.done()


def deliveries(entries: Any, token: str, incoming_stack: list) -> Judgement:
    """EVT-11 (each handler type once), EVT-7 (the broadcast handler), EVT-12 (stacks), TESTEE-8 (the record),
    MAL-13 (handlers kept handling after an undecodable event) from events_received()."""
    check = Check("TESTEE-8")
    if not isinstance(entries, list):
        check.fail("TESTEE-8", "events-received-shape", "events_received() returning a list", short(entries))
        return check.done(None)
    check.examine("EVT-11", "EVT-7", "MAL-13")
    mine = [e for e in entries if isinstance(e, dict) and e.get("payload") == {"token": token}]
    kinds = sorted(str(e.get("handler")) for e in mine)
    if kinds != sorted(HANDLER_KINDS):
        check.fail("EVT-11", "handler-deliveries", f"one delivery to each of {list(HANDLER_KINDS)}", short(kinds))
        if "broadcast" not in kinds:
            check.fail("EVT-7", "broadcast-not-delivered", "the broadcast handler handling the event", short(kinds))
    if not mine:
        check.fail("MAL-13", "handling-stopped", "the event handled after an undecodable one", "no handler did")
    stacks = [(e.get("context") or {}).get("call_id_stack", e.get("call_id_stack")) for e in mine]
    stacks = [s for s in stacks if s is not None]
    if stacks:
        check.examine("EVT-12")
        for stack in stacks:
            if not (isinstance(stack, list) and stack[:-1] == incoming_stack[-10:] and len(stack) >= 1):
                check.fail("EVT-12", "handler-stack", f"the handler's stack {short(incoming_stack)} + [own id]",
                           short(stack))
    else:
        check.undecided("EVT-12", "events_received() reports no call_id_stack")
    return check.done(mine)


def drained(states: dict[str, Any], listed: dict | None = None, unavailable: str = NO_LIST) -> Judgement:
    """EVT-10, MAL-13: after handling, the handler queues hold nothing: no event ready (none requeued, the bad one
    neither) and, in the broker's own list, none delivered and still unacknowledged. Without that list a handler
    that never acknowledges cannot be told from one that does, so EVT-10 is then examined only if it fails."""
    check = Check("MAL-13")
    for queue, state in states.items():
        if not state.ok:
            check.undecided("EVT-10", f"{queue} could not be inspected ({state})")
        elif state.message_count:
            check.fail("EVT-10", "event-not-acked", f"{queue} drained after handling", str(state))
    if listed is None:
        if not check.found("EVT-10") and all(state.ok for state in states.values()):
            check.undecided("EVT-10", f"whether the handled events were acknowledged: {unavailable}")
        return check.done()
    check.examine("EVT-10")
    for queue in states:
        unacked = (listed.get(queue) or {}).get("unacked")
        if unacked:
            check.fail("EVT-10", "event-unacknowledged", f"{queue} with no unacknowledged delivery after handling",
                       f"{unacked} unacknowledged")
    return check.done()
