"""Steps shared by the suite's tests: call and check the reply's routing and envelope."""

from __future__ import annotations

from typing import Any

from nameko_conformance import verify
from nameko_conformance.amqp import KitPeer
from nameko_conformance.messages import Outgoing
from nameko_conformance.trace import Seen


def reply_to(peer: KitPeer, out: Outgoing, requirement: str | tuple = "RPC-REPLY-9") -> Seen:
    """Waits for the one reply to ``out`` and checks how it was routed and correlated."""
    reply = peer.wait_reply(out.correlation_id, requirement=requirement, what=out.routing_key)
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
