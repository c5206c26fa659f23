"""Steps shared by the suite's tests: call and check the reply's routing and envelope."""

from __future__ import annotations

from typing import Any

from nameko_conformance import verify
from nameko_conformance.amqp import KitPeer
from nameko_conformance.capture.wire import WireMessage
from nameko_conformance.messages import Outgoing
from nameko_conformance.outcomes import Inconclusive
from nameko_conformance.trace import FIREHOSE_ONLY, Seen, Trace

BROKER_LAG = 2.0  # the firehose copy of a publish the kit already received is normally there at once


def at_broker(trace: Trace, predicate, what: str, timeout: float = BROKER_LAG) -> WireMessage | None:
    """The broker's record of a publish of this test (firehose), or None after noting that it did not show."""
    found = trace.broker.wait_for(predicate, timeout) if trace.broker is not None else None
    if trace.broker is not None and found is None:
        trace.note(f"the firehose showed no publish of {what} within {timeout:.0f} s")
    return found


def needs_firehose(trace: Trace, requirements: tuple[str, ...], what: str) -> None:
    """A check only the broker's own view can make: inconclusive (never a pass) without the firehose."""
    if trace.broker is None:
        raise Inconclusive(f"{what}: {FIREHOSE_ONLY}", requirements)


def reply_to(peer: KitPeer, out: Outgoing, requirement: str | tuple = "RPC-REPLY-9") -> Seen:
    """Waits for the one reply to ``out`` and checks how it was routed and correlated: at the broker when the kit
    owns it (where the reply was published, and that it reached the kit's reply queue), else by the kit queue it
    arrived through."""
    reply = peer.wait_reply(out.correlation_id, requirement=requirement, what=out.routing_key)
    if peer.trace.broker is not None:
        publish = at_broker(peer.trace, lambda m: verify.is_reply_publish(m, out.correlation_id, out.routing_key),
                            f"the reply to {out.routing_key}")
        if publish is not None:
            verify.verify_reply_publish(publish, peer.rpc_exchange, peer.reply_key)
            if peer.reply_queue in (publish.routed_queues or ()):
                peer.trace.seen_by_broker("RPC-REPLY-1")
    verify.verify_routed_to_reply_key(reply, peer.reply_key, peer.rpc_exchange)
    verify.verify_correlation(reply, out.correlation_id)
    verify.verify_reply_properties(reply, out.properties.get("content_type", "application/json"))
    return reply


def call_ok(peer: KitPeer, method: str, *args: Any, **kwargs: Any) -> Any:
    out = peer.request(method, args, kwargs)
    return verify.verify_success(reply_to(peer, out))


def call_error(peer: KitPeer, out: Outgoing, exc_type: str | None, requirement: str | tuple = ()) -> dict:
    reply = reply_to(peer, out, requirement=requirement or "RPC-REPLY-9")
    return verify.verify_error_reply(reply, exc_type, requirement)


def exactly_one_reply(peer: KitPeer, out: Outgoing, requirement: str | tuple = "RPC-REPLY-9") -> None:
    """After a sentinel round trip, exactly one reply carries the request's correlation id."""
    peer.sentinel()
    count = len(peer.replies_for(out.correlation_id))
    if count != 1:
        verify.fail(f"expected exactly one reply to {out.routing_key} (correlation_id {out.correlation_id}), "
                    f"saw {count}", requirement)
