"""Where and how replies are published (chapter 03)."""

import pytest

from nameko_conformance.messages import OMIT
from nameko_conformance.oracle import broker_side, reply as replies
from nameko_conformance.suite._steps import at_broker, exactly_one_reply, reply_to, success

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("RPC-REPLY-1", "RPC-REPLY-2", "RPC-REPLY-3", "RPC-REPLY-4", "RPC-REPLY-6", "RPC-REPLY-9", "SER-1")
def test_reply_routes_on_rpc_exchange_with_reply_to_key(peer):
    """The reply goes to the RPC exchange keyed by reply_to, carries the correlation_id, once, as JSON."""
    out = peer.request("echo", ["routing"])
    reply = reply_to(peer, out)
    success(peer, reply, {"args": ["routing"], "kwargs": {}})
    exactly_one_reply(peer, out)


@pytest.mark.req("RPC-REPLY-7")
def test_reply_is_utf8_and_persistent(peer):
    """Replies carry content_encoding utf-8 and delivery_mode 2."""
    reply = reply_to(peer, peer.request("echo"))
    peer.evidence.apply(replies.encoding_and_persistence(reply))


@pytest.mark.req("RPC-REPLY-13")
def test_reply_carries_no_context_headers(peer):
    """A request with context headers gets a reply without nameko.* headers."""
    out = peer.request("echo", headers={"nameko.call_id_stack": ["kit.caller.1"], "nameko.language": "en"})
    peer.evidence.apply(replies.no_context_headers(reply_to(peer, out)))


@pytest.mark.req("RPC-REPLY-2", "MAL-8")
def test_reply_without_correlation_id_when_request_has_none(peer):
    """A request without correlation_id gets a reply without correlation_id."""
    token = "no-correlation-" + peer.reply_key
    peer.request("echo", [token], correlation_id=OMIT)
    reply = peer.wait_for(lambda m: token.encode() in m.body, timeout=10)
    if reply is None:
        peer.evidence.apply(replies.missing_reply(None, "a request without correlation_id", "within 10 s", [],
                                                  "MAL-8"))
    peer.evidence.need(reply, "a reply to a request without correlation_id")
    peer.evidence.apply(replies.correlation(reply, None))
    peer.evidence.apply(replies.routing(reply, peer.reply_key, peer.rpc_exchange))


@pytest.mark.req("RPC-REPLY-8")
def test_unroutable_reply_does_not_stop_the_server(peer):
    """A request whose reply_to is bound nowhere is consumed, and the server keeps serving; at the broker its reply
    is published and reaches no queue."""
    unbound = "conformance-kit-unbound-" + peer.reply_key
    out = peer.request("echo", ["lost"], reply_to=unbound)
    peer.sentinel("RPC-REPLY-8")
    state = peer.passive_queue(f"rpc-{peer.service}")
    peer.evidence.apply(replies.queue_drained(state, f"rpc-{peer.service}", "RPC-REPLY-8",
                                              "the request with an unroutable reply_to"))
    if peer.trace.broker is not None:
        publish = at_broker(peer.trace, lambda m: broker_side.is_reply_publish(m, out.correlation_id, out.routing_key),
                            f"the reply to {unbound}")
        peer.evidence.apply(broker_side.unroutable_reply_publish(publish, unbound))
        peer.trace.seen_by_broker("RPC-REPLY-8")


@pytest.mark.req("RPC-REPLY-1", "RPC-REPLY-2", "RPC-REPLY-9")
def test_concurrent_callers_get_only_their_own_replies(make_peer):
    """Many calls in flight from several callers: each reply reaches its caller and matches its request."""
    peers = [make_peer() for _ in range(3)]
    sent = {p.reply_key: [p.request("echo", [p.reply_key, n]) for n in range(15)] for p in peers}
    for p in peers:
        for n, out in enumerate(sent[p.reply_key]):
            success(p, reply_to(p, out), {"args": [p.reply_key, n], "kwargs": {}})
    for p in peers:
        p.pump(0.05)
        p.evidence.apply(replies.only_own_replies(p.received, {o.correlation_id for o in sent[p.reply_key]}))
        for out in sent[p.reply_key]:
            p.evidence.apply(replies.exactly_one(p.replies_for(out.correlation_id), out.routing_key))
