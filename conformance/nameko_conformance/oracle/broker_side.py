"""Checks on what the broker itself saw (the firehose: every publish with the queues it was routed to)."""

from __future__ import annotations

from typing import Any

from nameko_conformance.oracle import names
from nameko_conformance.oracle.model import Check, Judgement, short


def is_reply_publish(publish: Any, correlation_id: str | None, request_routing_key: str) -> bool:
    """A publish carrying the request's correlation id that is not the request itself (its key differs)."""
    return publish.properties.get("correlation_id") == correlation_id and publish.routing_key != request_routing_key


def reply_publish(publish: Any, rpc_exchange: str, reply_key: str) -> Judgement:
    """RPC-REPLY-1 at the broker: the reply was published to the RPC exchange keyed by the request's reply_to."""
    check = Check("RPC-REPLY-1")
    if publish.exchange != rpc_exchange or publish.routing_key != reply_key:
        check.fail("RPC-REPLY-1", "wrong-destination", f"the reply published to exchange {rpc_exchange!r} with key "
                   f"{reply_key!r}", f"exchange {publish.exchange or '(default)'!r} key {publish.routing_key!r}",
                   publish)
    return check.done()


def unroutable_reply_publish(publish: Any | None, unbound_key: str) -> Judgement:
    """The reply to a request whose reply_to is bound nowhere is still published, and reaches no queue."""
    check = Check("RPC-REPLY-9")
    if publish is None:
        check.fail("RPC-REPLY-9", "unroutable-reply-not-published", f"a reply published with key {unbound_key!r}",
                   "no such publish at the broker")
    elif publish.routed_queues:
        check.undecided("RPC-REPLY-8", f"the reply to {unbound_key!r} was routable after all "
                                       f"({short(publish.routed_queues)}); the unroutable case was not exercised")
    return check.done()


def unroutable_request(publish: Any) -> Judgement:
    """The premise of RPC-CALL-1: the broker routed the target client's request to no queue."""
    check = Check()
    if publish.routed_queues:
        check.undecided("RPC-CALL-1", f"a queue takes requests for the unknown service ({short(publish.routed_queues)}); "
                                      f"the unroutable case was not exercised")
    return check.done()


def reply_queue_of(publish: Any, reply_to: str) -> Judgement:
    """RPC-CORR-1 at the broker: the reply to the target's client, keyed by its reply_to on the RPC exchange, reached
    exactly one queue (the client's reply queue); its name."""
    check = Check("RPC-CORR-1")
    routed = list(publish.routed_queues or ())
    if publish.routing_key != reply_to or not routed:
        check.fail("RPC-CORR-1", "reply-queue-unbound", f"a queue bound to the RPC exchange with key {reply_to!r} "
                   f"(the client's reply_to) to take the reply", f"routed to {short(routed)}", publish)
        return check.done(None)
    if len(routed) > 1:
        check.undecided("RPC-CORR-4", f"the reply reached several queues {short(routed)}; which is the client's is "
                                      f"unknown")
        return check.done(None)
    return check.done(routed[0])


def reply_queue_name(queue: str, reply_to: str) -> Judgement:
    """RPC-CORR-4: ``rpc.reply-<client>-<reply_to>``, for any client name (nameko's, a service's, a library's)."""
    check = Check("RPC-CORR-4")
    if not names.is_recommended_reply_queue(queue, reply_to):
        check.fail("RPC-CORR-4", "reply-queue-name", f"the client's reply queue named "
                   f"{names.reply_queue('<client>', reply_to)!r}", repr(queue))
    return check.done()


def event_routing(publish: Any, source: str, event_type: str, service: str, methods: dict[str, str]) -> Judgement:
    """EVT-5/6/7/11: an event from ``source`` reaches the handler queues of ``service``, each named as its type
    requires (``methods`` maps handler type to method name)."""
    check = Check("EVT-11")
    routed = list(publish.routed_queues or ())
    for kind, requirement in (("service_pool", "EVT-5"), ("singleton", "EVT-6"), ("broadcast", "EVT-7")):
        if kind not in methods:
            continue
        expected = names.handler_queues(source, event_type, service, methods[kind])[kind]
        check.examine(requirement)
        if kind == "broadcast":
            hits = [q for q in routed if q.startswith(expected) and len(q) > len(expected)]
            if len(hits) != 1:
                check.fail(requirement, "broadcast-queue", f"the event routed to one queue {expected}<id>",
                           f"routed to {short(routed)}", publish)
        elif expected not in routed:
            check.fail(requirement, f"{kind.replace('_', '-')}-queue", f"the event routed to the {kind} handler's "
                       f"queue {expected!r}", f"routed to {short(routed)}", publish)
    if not check.ok:
        check.fail("EVT-11", "event-not-delivered", "the event delivered to every handler of the service",
                   f"routed to {short(routed)}", publish)
    return check.done()


def dispatch_publish(publish: Any | None, service: str, event_type: str) -> Judgement:
    """EVT-1 at the broker: dispatch(T, …) from S was published to S.events keyed T."""
    check = Check("EVT-1")
    exchange = names.events_exchange(service)
    if publish is None:
        check.fail("EVT-1", "no-dispatch", f"an event published to {exchange!r} keyed {event_type!r}",
                   "no publish of it at the broker")
    elif publish.exchange != exchange or publish.routing_key != event_type:
        check.fail("EVT-1", "dispatch-destination", f"the event published to {exchange!r} keyed {event_type!r}",
                   f"exchange {publish.exchange!r} key {publish.routing_key!r}", publish)
    return check.done()
