"""Steps shared by the suite's tests: act (publish, wait), then hand what was observed to the oracle's checks.

Each step records its judgements in the peer's evidence and returns what later checks need; when that was not
observed, the test ends there (the evidence says which requirements it then could not examine, and why).
"""

from __future__ import annotations

from typing import Any

from nameko_conformance.amqp import KitPeer
from nameko_conformance.capture.wire import WireMessage
from nameko_conformance.messages import Outgoing
from nameko_conformance.oracle import broker_side, reply as replies
from nameko_conformance.trace import FIREHOSE_ONLY, Seen, Trace

BROKER_LAG = 2.0  # the firehose copy of a publish the kit already received is normally there at once


def at_broker(trace: Trace, predicate, what: str, timeout: float = BROKER_LAG) -> WireMessage | None:
    """The broker's record of a publish of this test (firehose), or None after noting that it did not show."""
    found = trace.broker.wait_for(predicate, timeout) if trace.broker is not None else None
    if trace.broker is not None and found is None:
        trace.note(f"the firehose showed no publish of {what} within {timeout:.0f} s")
    return found


def needs_firehose(peer: KitPeer, requirements: tuple[str, ...], what: str) -> bool:
    """A check only the broker's own view can make: without the firehose it is inconclusive (never a pass)."""
    if peer.trace.broker is None:
        peer.evidence.undecided(requirements, f"{what}: {FIREHOSE_ONLY}")
        return False
    return True


def reply_to(peer: KitPeer, out: Outgoing, requirement: str | tuple = "RPC-REPLY-9") -> Seen:
    """Waits for the reply to ``out`` and judges how it was routed, correlated and typed: at the broker too when the
    kit owns it (where the reply was published, and that it reached the kit's reply queue)."""
    reply = peer.wait_reply(out.correlation_id, requirement=requirement, what=out.routing_key)
    ev = peer.evidence
    if peer.trace.broker is not None:
        publish = at_broker(peer.trace, lambda m: broker_side.is_reply_publish(m, out.correlation_id, out.routing_key),
                            f"the reply to {out.routing_key}")
        if publish is not None:
            ev.apply(broker_side.reply_publish(publish, peer.rpc_exchange, peer.reply_key))
            if peer.reply_queue in (publish.routed_queues or ()):
                peer.trace.seen_by_broker("RPC-REPLY-1")
    ev.apply(replies.routing(reply, peer.reply_key, peer.rpc_exchange))
    ev.apply(replies.correlation(reply, out.correlation_id))
    ev.apply(replies.content_type(reply, out.properties.get("content_type", "application/json")))
    return reply


def success(peer: KitPeer, reply: Seen, expected: Any = ..., refused: str | None = None) -> Any:
    """The result of a success reply (judged against ``expected`` when given); the test ends when the reply is
    not a success reply. ``refused``: the requirement an error reply breaks (see ``replies.success``)."""
    body = peer.evidence.need(peer.evidence.apply(replies.success(reply, expected, refused)), "a success reply")
    return body["result"]


def call_ok(peer: KitPeer, method: str, *args: Any, **kwargs: Any) -> Any:
    out = peer.request(method, args, kwargs)
    return success(peer, reply_to(peer, out))


def error_of(peer: KitPeer, reply: Seen, exc_type: str | None = None, requirement: str | None = None) -> dict:
    """The error object of an error reply (of ``exc_type``, demanded by ``requirement``); the test ends when there
    is none to look at."""
    error = peer.evidence.apply(replies.error_reply(reply, exc_type, requirement))
    return peer.evidence.need(error, "an error reply with a well-formed error object")


def call_error(peer: KitPeer, out: Outgoing, exc_type: str | None, requirement: str | None = None) -> dict:
    reply = reply_to(peer, out, requirement=requirement or "RPC-REPLY-9")
    return error_of(peer, reply, exc_type, requirement)


def exactly_one_reply(peer: KitPeer, out: Outgoing, requirement: str = "RPC-REPLY-9",
                      serving_requirement: str = "TESTEE-2") -> Seen:
    """After a sentinel round trip, exactly one reply carries the request's correlation id."""
    peer.sentinel(serving_requirement)
    return peer.evidence.apply(replies.exactly_one(peer.replies_for(out.correlation_id), out.routing_key,
                                                   requirement))


def listed_queue_flags(conformance_session, peer: KitPeer) -> tuple[dict | None, str]:
    """(name → {durable, auto_delete, exclusive} from the broker's own list, or None; why there is none)."""
    lister = conformance_session.queue_lister
    listed = lister.flags(peer.reply_queue)
    if listed is not None:
        peer.trace.note(f"queue flags read from {lister.source}")
    return listed, lister.why_none
